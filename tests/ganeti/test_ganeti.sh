#!/bin/bash
# imgdeploy on a real single-node Ganeti 3.0 cluster (cluster.sh): the
# Debian package built from this tree ($IMGDEPLOY_DEB_DIR, ./build.sh deb)
# is installed as the OS provider `imgdeploy` (its postinst builds the helper
# image), real Debian images are deployed with gnt-instance add onto ext
# (block device) and file disks, from image_dir and from an HTTP server
# inside the cluster's namespace, and the deployed disks are checked on the
# host. At the end the package is purged and must leave nothing behind.
# IMGDEPLOY_GANETI_BENCH=1 also times the add of a 2 GiB image.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${IMGDEPLOY_SOURCE_DIR:-$(dirname "$(dirname "$HERE")")}
DEB_DIR=${IMGDEPLOY_DEB_DIR:-$SRC/build/deb}
CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
source "$HERE/cluster.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, loop devices, dpkg)"; exit 77; }

T=$(mktemp -d /tmp/imgdeploy-ganeti.XXXXXX)
MNT=
PKG_INSTALLED=
HTTP_PID=
OS=imgdeploy+default
PASSWORD='Gnt-Secret-Pa55word'
PASSWORD2='Second-Gnt-Pa55word'
IMAGES=/var/lib/imgdeploy/images
CONF=/etc/imgdeploy/imgdeploy.yaml

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "-- $*"; }
elapsed() { awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $1 }"; }

finish() {
    local rc=$?
    set +e
    [ -z "$MNT" ] || umount "$MNT"
    [ -z "$HTTP_PID" ] || kill "$HTTP_PID" 2>/dev/null
    cluster_down
    if [ -n "$PKG_INSTALLED" ]; then
        rm -f "$IMAGES"/test-* /etc/imgdeploy/variants/test.yaml
        apt-get purge -y -qq imgdeploy >/dev/null 2>&1
    fi
    if [ $rc -ne 0 ]; then echo "(test files kept in $T)" >&2; else rm -rf "$T"; fi
    exit $rc
}
trap finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- the package -------------------------------------------------------
deb=$(ls "$DEB_DIR"/imgdeploy_*.deb 2>/dev/null | tail -n1 || true)
if [ -z "$deb" ]; then
    step "no package in $DEB_DIR: building it (./build.sh deb)"
    "$SRC/build.sh" deb >/dev/null
    deb=$(ls "$SRC"/build/deb/imgdeploy_*.deb | tail -n1)
fi
step "lintian $(basename "$deb")"
command -v lintian >/dev/null || apt-get install -y -qq --no-install-recommends lintian >/dev/null
lintian --fail-on error "$deb" >"$T/lintian.log" 2>&1 ||
    { cat "$T/lintian.log"; fail "lintian reports errors"; }
grep -E '^(E|W): ' "$T/lintian.log" | sed 's/^/   /' || true

if dpkg-query -W -f='${Status}' imgdeploy 2>/dev/null | grep -q 'ok installed'; then
    # Left by an earlier, interrupted run (its test image is there), or not ours.
    [ -e "$IMAGES/test-debian.img" ] || fail "imgdeploy is already installed as a package here; the test installs and purges its own"
    rm -f "$IMAGES"/test-* /etc/imgdeploy/variants/test.yaml
    apt-get purge -y -qq imgdeploy >/dev/null
fi
step "install the package (postinst builds the helper image)"
start=$(date +%s.%N)
PKG_INSTALLED=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "apt-get install $deb"; }
echo "   installed in $(elapsed "$start") s"
for f in /usr/sbin/imgdeploy /usr/sbin/imgdeploy-build-helper /usr/lib/imgdeploy/imgdeploy-helper \
         /usr/share/ganeti/os/imgdeploy/create /usr/share/ganeti/os/imgdeploy/variants.list \
         /var/lib/imgdeploy/helper/kernel /var/lib/imgdeploy/helper/initramfs \
         /var/lib/imgdeploy/helper/manifest.json /etc/imgdeploy/variants/default.yaml; do
    [ -e "$f" ] || { cat "$T/install.log"; fail "the package did not install $f"; }
done
[ -d /etc/imgdeploy/tasks.d ] && [ -d "$IMAGES" ] || fail "no /etc/imgdeploy/tasks.d or $IMAGES"
# A kernel's installation runs the postinst.d hook, which rebuilds the helper image.
touch -d '2001-01-01' /var/lib/imgdeploy/helper/manifest.json
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n1)
/etc/kernel/postinst.d/imgdeploy "${kernel#/boot/vmlinuz-}" "$kernel" || fail "the kernel hook failed"
[ /var/lib/imgdeploy/helper/manifest.json -nt "$T" ] || fail "the kernel hook did not rebuild the helper image"
# A second variant: a YAML file and a line in variants.list, both under /etc.
printf 'img_format: diskdump\n' > /etc/imgdeploy/variants/test.yaml
echo test >> /etc/imgdeploy/variants.list
# Temporary files go to a directory of this test: leftovers show there.
mkdir -p "$T/tmp" "$T/monitor"
chmod 0755 "$T" "$T/tmp"
cat > "$T/monitor.sh" <<EOF
#!/bin/sh
cat >> "$T/monitor/\$1.jsonl"
EOF
chmod 0755 "$T/monitor.sh"
set_config() {  # extra YAML lines
    { echo "tmp_dir: $T/tmp"; echo "progress_monitor: $T/monitor.sh"; printf '%s\n' "$@"; } > "$CONF"
}
set_config

# --- the images --------------------------------------------------------
img=$CACHE/debian-mbr-ext4.img
[ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$img" >/dev/null
ln -f "$img" "$IMAGES/test-debian.img" 2>/dev/null || cp --sparse=always "$img" "$IMAGES/test-debian.img"
IMG_MIB=$(($(stat -c %s "$img") / 1048576))
DISK=$((IMG_MIB + 128))M
# A second image: the same system with a marker file, for reinstall.
cp --sparse=always "$img" "$IMAGES/test-marked.img"
lo=$(losetup -f --show -P "$IMAGES/test-marked.img")
partx -a "$lo" 2>/dev/null || partx -u "$lo"
mkdir -p "$T/mnt"
mount "${lo}p1" "$T/mnt" && MNT=$T/mnt
echo second-image > "$T/mnt/etc/imgdeploy-test-marker"
umount "$T/mnt" && MNT=
partx -d "$lo" 2>/dev/null || true
losetup -d "$lo"
SUM=$(sha256sum "$IMAGES/test-debian.img" | cut -d' ' -f1)
SUM2=$(sha256sum "$IMAGES/test-marked.img" | cut -d' ' -f1)

# --- the cluster -------------------------------------------------------
step "bring up the single-node cluster"
start=$(date +%s.%N)
cluster_up
echo "   cluster up in $(elapsed "$start") s"
mkdir -p "$T/www"
ln "$IMAGES/test-debian.img" "$T/www/debian.img" 2>/dev/null || cp --sparse=always "$img" "$T/www/debian.img"
G python3 -m http.server --bind "$NODE_IP" --directory "$T/www" 8077 >"$T/http.log" 2>&1 &
HTTP_PID=$!
HTTP=http://$NODE_IP:8077

# --- helpers -----------------------------------------------------------
# disk_path INSTANCE: disk 0's block device or file, as Ganeti activates it.
disk_path() {
    G gnt-instance activate-disks "$1" | awk -F: '$2 == "disk/0" { print $3 }'
}
# mount_root INSTANCE: mounts the deployed root file system read-only on $T/mnt.
mount_root() {
    local path dev
    path=$(disk_path "$1")
    [ -n "$path" ] || fail "$1: no disk found"
    dev=$(losetup -f --show -r "$path")
    echo "$dev" > "$T/mounted-loop"
    partx -a "$dev" 2>/dev/null || partx -u "$dev"
    mount -o ro "${dev}p1" "$T/mnt" || fail "$1: cannot mount the deployed root"
    MNT=$T/mnt
}
umount_root() {
    umount "$T/mnt"
    MNT=
    local dev
    dev=$(cat "$T/mounted-loop")
    partx -d "$dev" 2>/dev/null || true
    losetup -d "$dev"
}
# check_customized INSTANCE PASSWORD: hostname, password, machine-id, grown file system.
check_customized() {
    local inst=$1 pw=$2 hash
    mount_root "$inst"
    [ "$(cat "$T/mnt/etc/hostname")" = "$inst" ] || fail "$inst: /etc/hostname is '$(cat "$T/mnt/etc/hostname")'"
    hash=$(awk -F: '$1 == "root" {print $2}' "$T/mnt/etc/shadow")
    [ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$pw" "$hash")" = "$hash" ] || fail "$inst: root password does not verify"
    [ "$(cat "$T/mnt/etc/machine-id")" != 0123456789abcdef0123456789abcdef ] || fail "$inst: machine-id unchanged"
    [ "$(df -B1M --output=size "$T/mnt" | tail -1)" -gt "$IMG_MIB" ] || fail "$inst: file system not grown"
}
# add INSTANCE ARGS...: gnt-instance add with the defaults of these tests.
add() {
    local inst=$1
    shift
    G gnt-instance add -o "$OS" -n "$NODE" --no-start --no-name-check --no-ip-check "$@" "$inst"
}
# expect_create_error PATTERN INSTANCE ARGS...: the add fails, and Ganeti's
# "last lines" hold one "imgdeploy: error:" line matching PATTERN.
expect_create_error() {
    local pattern=$1 inst=$2 rc=0 lines
    shift 2
    add "$inst" "$@" >"$T/out" 2>&1 || rc=$?
    [ $rc -ne 0 ] || { cat "$T/out"; fail "$inst: the add should have failed"; }
    grep -q 'last lines in the log file' "$T/out" || { cat "$T/out"; fail "$inst: no OS log lines in the job output"; }
    lines=$(grep -c 'imgdeploy: error: ' "$T/out" || true)
    [ "$lines" = 1 ] || { cat "$T/out"; fail "$inst: $lines 'imgdeploy: error:' lines, expected 1"; }
    grep -E "imgdeploy: error: .*($pattern)" "$T/out" >/dev/null || { cat "$T/out"; fail "$inst: error does not match /$pattern/"; }
    echo "   ok: $(grep -o 'imgdeploy: error: .*' "$T/out" | cut -c1-150)"
    G gnt-instance remove -f "$inst" >/dev/null
}
# no_leftovers: no imgdeploy or qemu process in the namespace, no loop
# device on a test image or on a file disk, nothing in tmp_dir.
no_leftovers() {
    local pid comm
    for pid in $(ip netns pids "$NS"); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
        case $comm in imgdeploy* | qemu* | setpriv) fail "process $pid ($comm) left behind" ;; esac
    done
    losetup -a | grep -E "$IMAGES|$FILE_STORAGE" && fail "loop devices left behind"
    [ -z "$(ls -A "$T/tmp")" ] || fail "temporary files left in $T/tmp: $(ls -A "$T/tmp")"
}

# --- gnt-os --------------------------------------------------------------
step "gnt-os diagnose / list / info"
G gnt-os diagnose >"$T/diagnose" 2>&1 || true
grep -E "^OS: imgdeploy \[global status: valid\]" "$T/diagnose" >/dev/null || { cat "$T/diagnose"; fail "imgdeploy is not a valid OS"; }
G gnt-os list --no-headers >"$T/list"
grep -qx 'imgdeploy+default' "$T/list" && grep -qx 'imgdeploy+test' "$T/list" || { cat "$T/list"; fail "gnt-os list: variants"; }
G gnt-os info imgdeploy >"$T/info"
for p in img_id img_format img_passwd img_properties img_personality img_checksum; do
    grep -qE "^ +- $p: .+" "$T/info" || { cat "$T/info"; fail "gnt-os info: parameter $p not described"; }
done
grep -qE 'variants: *$|default' "$T/info" || fail "gnt-os info: variants"

# --- verify ----------------------------------------------------------------
step "bad OS parameters: refused by verify before anything is created"
rc=0
add inst9.gnt.test -t file --disk 0:size=$DISK -O img_id=test-debian.img,img_format=qcow9 >"$T/out" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q 'OS Parameters validation failed' "$T/out" && grep -q 'img_format' "$T/out" ||
    { cat "$T/out"; fail "verify did not refuse img_format=qcow9"; }
G gnt-instance list --no-headers -o name | grep -q inst9 && fail "the refused instance exists"
[ ! -e "$FILE_STORAGE/inst9.gnt.test" ] || fail "the refused instance has a disk"
echo "   ok: $(grep -o 'imgdeploy: error: .*' "$T/out" | head -n1 | cut -c1-150)"

# --- add from image_dir onto a block device ------------------------------
step "add: ext (block device) disk, local image, secret password"
start=$(date +%s.%N)
add inst1.gnt.test -t ext --disk 0:size=$DISK,provider=$EXT_PROVIDER \
    -O img_id=test-debian.img,img_format=diskdump --os-parameters-secret img_passwd="$PASSWORD" >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "gnt-instance add inst1"; }
echo "   add took $(elapsed "$start") s"
check_customized inst1.gnt.test "$PASSWORD"
umount_root
grep -q '"type": *"image-copy-progress"' "$T/monitor/inst1.gnt.test.jsonl" &&
    grep -q '"type": *"image-helper"' "$T/monitor/inst1.gnt.test.jsonl" ||
    { head -c 2000 "$T/monitor/inst1.gnt.test.jsonl" 2>/dev/null; fail "progress_monitor: no copy/helper messages"; }
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/monitor/inst1.gnt.test.jsonl" ||
    fail "progress_monitor: a line is not JSON"
echo "   progress_monitor got $(wc -l < "$T/monitor/inst1.gnt.test.jsonl") JSON messages"

# --- add over HTTP onto a file disk ----------------------------------------
step "add: file disk, image over HTTP from inside the namespace, with its checksum"
start=$(date +%s.%N)
add inst2.gnt.test -t file --disk 0:size=$DISK \
    -O img_id=$HTTP/debian.img,img_format=diskdump,img_checksum=sha256:$SUM \
    --os-parameters-secret img_passwd="$PASSWORD" >"$T/out" 2>&1 || { cat "$T/out"; fail "gnt-instance add inst2"; }
echo "   add took $(elapsed "$start") s"
grep -q 'GET /debian.img' "$T/http.log" || fail "the HTTP server was not asked for the image"
check_customized inst2.gnt.test "$PASSWORD"
umount_root

# --- reinstall with another image and new parameters -----------------------
# Ganeti merges the instance's stored parameters into the run, so the
# first image's img_checksum must be replaced too.
step "reinstall: another image, its checksum, a new password"
start=$(date +%s.%N)
G gnt-instance reinstall -f -O img_id=test-marked.img,img_format=diskdump,img_checksum=sha256:$SUM2 \
    --os-parameters-secret img_passwd="$PASSWORD2" inst2.gnt.test >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "gnt-instance reinstall inst2"; }
echo "   reinstall took $(elapsed "$start") s"
check_customized inst2.gnt.test "$PASSWORD2"
[ "$(cat "$T/mnt/etc/imgdeploy-test-marker" 2>/dev/null)" = second-image ] || fail "reinstall: not the second image"
umount_root

# --- secrets ---------------------------------------------------------------
step "the passwords are in no Ganeti log, OS log, job or config file"
for pw in "$PASSWORD" "$PASSWORD2"; do
    hits=$(grep -rlF -- "$pw" /var/log/ganeti /var/lib/ganeti /etc/ganeti /etc/imgdeploy "$T/monitor" 2>/dev/null || true)
    [ -z "$hits" ] || fail "a password appears in: $hits"
done
ls /var/log/ganeti/os/add-imgdeploy+default-inst1.gnt.test-*.log >/dev/null || fail "no OS log for inst1"
ls /var/lib/ganeti/queue/job-* >/dev/null 2>&1 || ls /var/lib/ganeti/queue/archive >/dev/null || fail "no job files to search"

# --- rename ----------------------------------------------------------------
step "rename inst2 -> inst3"
G gnt-instance rename -f --no-name-check --no-ip-check inst2.gnt.test inst3.gnt.test >"$T/out" 2>&1 ||
    { cat "$T/out"; fail "gnt-instance rename"; }
grep -q WARNING "$T/out" && { cat "$T/out"; fail "rename: the OS rename script failed"; }
G gnt-instance list --no-headers -o name | grep -qx inst3.gnt.test || fail "rename: no inst3"

# --- export / import -------------------------------------------------------
step "gnt-backup export inst3, import as inst4: byte-identical disk"
start=$(date +%s.%N)
G gnt-backup export -n "$NODE" --noshutdown inst3.gnt.test >"$T/out" 2>&1 || { cat "$T/out"; fail "gnt-backup export"; }
G gnt-backup import -t file --disk 0:size=$DISK -n "$NODE" --src-node "$NODE" \
    --src-dir /var/lib/ganeti/export/inst3.gnt.test --no-name-check --no-ip-check --net 0:mac=generate \
    inst4.gnt.test >"$T/out" 2>&1 || { cat "$T/out"; fail "gnt-backup import"; }
echo "   export + import took $(elapsed "$start") s"
G gnt-instance shutdown --timeout=0 inst4.gnt.test >/dev/null 2>&1 || true
cmp "$(disk_path inst3.gnt.test)" "$(disk_path inst4.gnt.test)" || fail "the imported disk differs from the exported one"

# --- failures --------------------------------------------------------------
step "failing creates: one clear error line, nothing left behind"
expect_create_error 'no-such\.img' inst5.gnt.test -t file --disk 0:size=$DISK -O img_id=no-such.img,img_format=diskdump
no_leftovers
expect_create_error 'checksum mismatch' inst5.gnt.test -t ext --disk 0:size=$DISK,provider=$EXT_PROVIDER \
    -O img_id=$HTTP/debian.img,img_format=diskdump,img_checksum=sha256:$(printf '0%.0s' $(seq 64))
no_leftovers
set_config "helper:" "  soft_timeout_s: 1" "  hard_timeout_s: 1"
expect_create_error 'did not finish within 1 s|timed? ?out' inst5.gnt.test -t file --disk 0:size=$DISK \
    -O img_id=test-debian.img,img_format=diskdump
no_leftovers
set_config

# --- parallel adds -----------------------------------------------------------
step "four adds submitted at once, each with its own helper VM"
start=$(date +%s.%N)
jobs=()
for i in 11 12 13 14; do
    jobs+=("$(add inst$i.gnt.test --submit -t file --disk 0:size=$DISK \
        -O img_id=test-debian.img,img_format=diskdump --os-parameters-secret img_passwd="$PASSWORD" 2>&1 |
        sed -n 's/^JobID: //p')")
done
for j in "${jobs[@]}"; do G gnt-job watch "$j" >/dev/null 2>&1 || true; done
for j in "${jobs[@]}"; do
    G gnt-job info "$j" | grep -qE '^ *Status: success' || { G gnt-job info "$j"; fail "job $j did not succeed"; }
done
echo "   4 parallel adds took $(elapsed "$start") s"
for i in 11 12 13 14; do
    grep -q 'HELPER: ' /var/log/ganeti/os/add-imgdeploy+default-inst$i.gnt.test-*.log ||
        fail "inst$i: no helper VM output in its OS log"
    check_customized inst$i.gnt.test "$PASSWORD"
    umount_root
done
no_leftovers

# --- 2 GiB (measurement only) ---------------------------------------------------
if [ -n "${IMGDEPLOY_GANETI_BENCH:-}" ]; then
    step "time a whole gnt-instance add of a 2 GiB Debian image"
    big=$CACHE/debian-mbr-ext4-2g.img
    [ -s "$big" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$big" 2048 >/dev/null
    ln -f "$big" "$IMAGES/test-big.img" 2>/dev/null || cp --sparse=always "$big" "$IMAGES/test-big.img"
    for t in ext file; do
        extra=()
        [ $t = ext ] && extra=(--disk 0:size=2200M,provider=$EXT_PROVIDER) || extra=(--disk 0:size=2200M)
        start=$(date +%s.%N)
        add inst2$([ $t = ext ] && echo 1 || echo 2).gnt.test -t $t "${extra[@]}" \
            -O img_id=test-big.img,img_format=diskdump >"$T/out" 2>&1 || { cat "$T/out"; fail "2 GiB add ($t)"; }
        echo "   BENCH: gnt-instance add, 2 GiB image, -t $t: $(elapsed "$start") s"
    done
fi

# --- purge -------------------------------------------------------------------
step "teardown, then purge the package: nothing left"
kill "$HTTP_PID" 2>/dev/null || true
HTTP_PID=
cluster_down
rm -f "$IMAGES"/test-* /etc/imgdeploy/variants/test.yaml
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq imgdeploy >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "apt-get purge"; }
PKG_INSTALLED=
grep -i 'warning' "$T/purge.log" && fail "purge warned"
for p in /usr/sbin/imgdeploy /usr/share/ganeti/os/imgdeploy /usr/lib/imgdeploy /etc/imgdeploy /var/lib/imgdeploy; do
    [ ! -e "$p" ] || fail "purge left $p"
done
echo PASS
