#!/bin/bash
# The Linux tasks of issue 4, run for real on the host like
# test_tasks_host.sh (task environment contract, loop devices): SWAP (both
# forms) through 10FixPartitionTable and 50AddSwap, cloud-init mode
# (35InitializeDatasource and the cloud-init bodies of the 50/60 tasks),
# 50SELinuxAutorelabel, 70RunCustomTask, in-image task overrides, and the
# bad inputs of each. Results are checked with independent tools: sfdisk,
# sgdisk, blkid, swaplabel, python3's yaml, and the per-once scripts run in
# a chroot of a real Debian image.
source "$(dirname "$0")/common.sh"
require_root
TASKS_BIN=${IMGDEPLOY_TASKS_BIN:?set by ctest: tasks/bin of the build tree}
CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
for tool in sfdisk sgdisk partx mkfs.ext4 blkid swaplabel perl chroot; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
"$PYTHON" -c 'import yaml' 2>/dev/null || fail "python3-yaml is not installed (./build.sh deps)"
for t in 35InitializeDatasource 50AddSwap 50SELinuxAutorelabel 70RunCustomTask; do
    [ -x "$TASKS_BIN/$t" ] || fail "$TASKS_BIN/$t is not built"
done

LOOPS=()
release_under_t() {
    local mp dev
    awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | tac |
        while read -r mp; do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true; done
    for dev in "${LOOPS[@]}"; do partx -d "$dev" 2>/dev/null || true; done
}
trap 'release_under_t; cleanup' EXIT

OUTSIDE=/tmp/imgdeploy-outside-marker-$$
HOSTNAME_FQDN=web1.example.org
PASSWORD='S3cret pass:word!'
KEY1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1tZXN0a2V5b25lZm9ydGVzdGluZ29ubHkxMjM0NTY3 test@one"
USERDATA=$'#cloud-config\nruncmd:\n  - [sh, -c, "echo user-data-ran > /root/ud"]\n'
b64() { printf '%s' "$1" | base64 -w0; }
MIB_SECTORS=2048

attach() {
    DISK=$(losetup -f --show "$1") || skip "cannot attach a loop device"
    LOOPS+=("$DISK")
    echo "$DISK" >> "$T/.loops"
    partx -d "$DISK" 2>/dev/null || true
    partx -a "$DISK" 2>/dev/null || true
}
detach() {
    partx -d "$1" 2>/dev/null || true
    losetup -d "$1"
}
fill() { mkdir -p "$T/fill"; mount "$1" "$T/fill"; cp -a "$2/." "$T/fill/"; umount "$T/fill"; }

# run_task NAME [VAR=value...]: as the helper runs it (tasks/README.md).
run_task() {
    local name=$1
    shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        SNF_IMAGE_HOSTNAME=$HOSTNAME_FQDN SNF_IMAGE_TYPE=diskdump \
        SNF_IMAGE_DEV="$DISK" SNF_IMAGE_DEV_0="$DISK" SNF_IMAGE_DEV_COUNT=1 \
        SNF_IMAGE_TARGET="$T/target" SNF_IMAGE_RESIZE_PART="$RESIZE_PART" \
        SNF_IMAGE_PROPERTY_OSFAMILY=linux SNF_IMAGE_PROPERTY_ROOT_PARTITION="$ROOT_PART" \
        TASKNAME="$name" IMGDEPLOY_MONITOR_FD=3 "$@" \
        "$TASKS_BIN/$name" 3>>"$T/monitor" >"$T/task.out" 2>"$T/task.err"
}
crash_check() {
    if grep -E 'terminate called|Aborted|AddressSanitizer|runtime error' "$T/task.err" >/dev/null; then
        cat "$T/task.err" >&2
        fail "$1: crash output"
    fi
}
run_ok() {
    run_task "$@" || { cat "$T/task.out" "$T/task.err" >&2; fail "$1 failed"; }
    crash_check "$1"
}
# run_fails PATTERN NAME [VAR=value...]: non-zero, a "NAME: ..." stderr line
# and an ERROR monitor line matching PATTERN, no secret in the output.
run_fails() {
    local pattern=$1 name=$2 rc=0 before
    shift
    before=$(wc -l < "$T/monitor")
    run_task "$@" || rc=$?
    [ $rc -ne 0 ] || { cat "$T/task.out" "$T/task.err" >&2; fail "$name succeeded, expected a failure"; }
    crash_check "$name"
    grep -E "^$name: .*($pattern)" "$T/task.err" >/dev/null || { cat "$T/task.err" >&2; fail "$name: no error line /$pattern/"; }
    tail -n +$((before + 1)) "$T/monitor" | grep -E "^ERROR:.*($pattern)" >/dev/null ||
        fail "$name: no ERROR monitor line matching /$pattern/"
    FAIL_RC=$rc
    echo "   ok: $(grep -E "^$name: " "$T/task.err" | tail -1 | cut -c1-150)"
}
# yaml FILE EXPR: evaluates a python expression over the YAML document d.
yaml() { "$PYTHON" -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1], 'rb')); print(($2))" "$1"; }
mode_of() { stat -c %a "$1"; }
part_json() {  # DISK N -> "start size type"
    sfdisk -J "$1" | "$PYTHON" -c "
import json, sys
for p in json.load(sys.stdin)['partitiontable']['partitions']:
    if p['node'].endswith('p$2'): print(p['start'], p['size'], p['type'])"
}

: > "$T/monitor"
mkdir -p "$T/target"

# --- a small Linux image: root ext4 on 1, /var ext4 on 2 -------------------------
step "MBR image, root on 1, separate /var on 2: 48 MiB image on a 128 MiB disk, SWAP=5:32"
d=$T/tree
mkdir -p "$d"/{etc/ssh,etc/cloud/cloud.cfg.d,root,var,home/alice}
printf 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n' > "$d/etc/passwd"
printf 'root:x:0:\nalice:x:1000:\n' > "$d/etc/group"
printf 'root:*:19000:0:99999:7:::\nalice:*:19000:0:99999:7:::\n' > "$d/etc/shadow"
chmod 0640 "$d/etc/shadow"
printf 'UUID=44444444-4444-4444-8444-444444444444 / ext4 defaults 0 1\nUUID=55555555-5555-4555-8555-555555555555 /var ext4 defaults 0 2\n' > "$d/etc/fstab"
echo template > "$d/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttemplate\n' > "$d/etc/hosts"
echo 12.5 > "$d/etc/debian_version"
printf 'ID=debian\nVERSION_ID="12"\n' > "$d/etc/os-release"
printf 'PermitRootLogin prohibit-password\n' > "$d/etc/ssh/sshd_config"
ssh-keygen -q -t ed25519 -N '' -C template -f "$d/etc/ssh/ssh_host_ed25519_key"
echo 0123456789abcdef0123456789abcdef > "$d/etc/machine-id"
mkdir -p "$d$OUTSIDE"
ln -s "$OUTSIDE" "$d/evil"
ln -s ../../../../../.. "$d/etc/up"
mkdir -p "$T/vartree/lib" "$T/vartree/log"
rm -f "$T/disk1.img"; truncate -s 48M "$T/disk1.img"
printf 'label: dos\nstart=2048, size=24MiB, type=83\ntype=83\n' | sfdisk -q "$T/disk1.img"
attach "$T/disk1.img"
mkfs.ext4 -q -U 44444444-4444-4444-8444-444444444444 -d "$d" "${DISK}p1"
mkfs.ext4 -q -U 55555555-5555-4555-8555-555555555555 -d "$T/vartree" "${DISK}p2"
detach "$DISK"
truncate -s 128M "$T/disk1.img"
attach "$T/disk1.img"
RESIZE_PART=2 ROOT_PART=1
cp "$T/disk1.img" "$T/never-touched" 2>/dev/null || true
run_ok 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=5:32
read -r s5 z5 t5 < <(part_json "$DISK" 5)
read -r s2 z2 t2 < <(part_json "$DISK" 2)
read -r s3 z3 t3 < <(part_json "$DISK" 3)
total=$(blockdev --getsz "$DISK")
[ "$t5" = 82 ] && [ "$z5" = $((32 * MIB_SECTORS)) ] || fail "partition 5 is '$t5' of $z5 sectors"
[ $((total - s5 - z5)) -lt $MIB_SECTORS ] || fail "the swap partition ends $((total - s5 - z5)) sectors before the end"
[ "$t3" = 5 ] || fail "no extended partition 3 around the swap (type $t3)"
[ $((s2 + z2)) = "$s3" ] || fail "partition 2 (ends $((s2 + z2))) was not grown up to the extended partition ($s3)"
[ "$(cat "/sys/class/block/$(basename "$DISK")p5/size")" = "$z5" ] || fail "the kernel does not see partition 5"
sfdisk --verify "$DISK" 2>&1 | grep -q 'No errors detected' || fail "sfdisk --verify $DISK"
echo "   ok: swap partition 5 of 32 MiB at the end in a new extended partition 3; 2 grown to $((z2 / MIB_SECTORS)) MiB"
run_ok 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=5:32
grep -q 'already ends at the end of the disk' "$T/task.out" || fail "10FixPartitionTable is not idempotent with SWAP"
run_ok 20FilesystemResizeUnmounted
run_ok 30MountImage
grep -q " $T/target/var " <(awk '{print " " $5 " "}' /proc/self/mountinfo) || fail "/var is not mounted"

step "50AddSwap: partition form, fstab by UUID, idempotent"
run_ok 50AddSwap SNF_IMAGE_PROPERTY_SWAP=5:32
[ "$(blkid -p -o value -s TYPE "${DISK}p5")" = swap ] || fail "no swap signature on ${DISK}p5"
uuid=$(swaplabel "${DISK}p5" | awk '/UUID/ {print $2}')
[ "$(grep -c 'none swap' "$T/target/etc/fstab")" = 1 ] || fail "fstab: $(cat "$T/target/etc/fstab")"
grep -qx "UUID=$uuid none swap sw 0 0" "$T/target/etc/fstab" || fail "fstab has no entry for $uuid"
grep -q '^UUID=55555555-5555-4555-8555-555555555555 /var ext4' "$T/target/etc/fstab" || fail "fstab lost /var"
run_ok 50AddSwap SNF_IMAGE_PROPERTY_SWAP=5:32
uuid2=$(swaplabel "${DISK}p5" | awk '/UUID/ {print $2}')
[ "$(grep -c 'none swap' "$T/target/etc/fstab")" = 1 ] && grep -qx "UUID=$uuid2 none swap sw 0 0" "$T/target/etc/fstab" ||
    fail "second run: $(cat "$T/target/etc/fstab")"
echo "   ok: ${DISK}p5 is swap $uuid2, one fstab entry"

step "50AddSwap: disk form (SWAP=b) on a whole extra disk"
rm -f "$T/extra.img"; truncate -s 16M "$T/extra.img"
printf 'label: dos\ntype=83\n' | sfdisk -q "$T/extra.img"
EXTRA=$(losetup -f --show "$T/extra.img"); LOOPS+=("$EXTRA"); echo "$EXTRA" >> "$T/.loops"
run_ok 50AddSwap SNF_IMAGE_PROPERTY_SWAP=b SNF_IMAGE_DEV_COUNT=2 SNF_IMAGE_DEV_1="$EXTRA"
[ "$(blkid -p -o value -s TYPE "$EXTRA")" = swap ] || fail "no swap signature on $EXTRA"
xuuid=$(swaplabel "$EXTRA" | awk '/UUID/ {print $2}')
grep -qx "UUID=$xuuid none swap sw 0 0" "$T/target/etc/fstab" || fail "no fstab entry for the swap disk"
echo "   ok: $EXTRA is swap $xuuid, in fstab"
run_fails "SWAP 'c': the instance has no disk c" 50AddSwap SNF_IMAGE_PROPERTY_SWAP=c SNF_IMAGE_DEV_COUNT=2 SNF_IMAGE_DEV_1="$EXTRA"
run_fails "SWAP 'a': disk a is the image's own disk" 50AddSwap SNF_IMAGE_PROPERTY_SWAP=a
run_fails "SWAP '2:8': partition .*p2 holds a ext4 file system; refusing" 50AddSwap SNF_IMAGE_PROPERTY_SWAP=2:8
run_fails "SWAP '7:8': .* has no partition 7" 50AddSwap SNF_IMAGE_PROPERTY_SWAP=7:8
run_fails "SWAP 'x:1': expected <partition number>:<size in MB>" 50AddSwap SNF_IMAGE_PROPERTY_SWAP=x:1

step "50SELinuxAutorelabel"
run_ok 50SELinuxAutorelabel
[ ! -e "$T/target/.autorelabel" ] || fail "/.autorelabel on a Debian image without SELinux"
mkdir -p "$T/target/etc/selinux"
printf '# config\nSELINUX=enforcing\nSELINUXTYPE=targeted\n' > "$T/target/etc/selinux/config"
run_ok 50SELinuxAutorelabel
[ -f "$T/target/.autorelabel" ] || fail "no /.autorelabel with SELINUX=enforcing"
rm "$T/target/.autorelabel"
sed -i 's/^SELINUX=.*/SELINUX=disabled/' "$T/target/etc/selinux/config"
run_ok 50SELinuxAutorelabel
[ ! -e "$T/target/.autorelabel" ] || fail "/.autorelabel with SELINUX=disabled"
rm -r "$T/target/etc/selinux"
mv "$T/target/etc/debian_version" "$T/debian_version"
printf 'ID="rocky"\nID_LIKE="rhel centos fedora"\n' > "$T/target/etc/os-release"
run_ok 50SELinuxAutorelabel
[ -f "$T/target/.autorelabel" ] || fail "no /.autorelabel on a RHEL-family image"
rm "$T/target/.autorelabel"
mv "$T/debian_version" "$T/target/etc/debian_version"
printf 'ID=debian\n' > "$T/target/etc/os-release"
echo "   ok: enforcing -> relabel, disabled -> none, Debian -> none, RHEL family -> relabel"

step "70RunCustomTask"
CUSTOM=$(b64 '#!/bin/sh
echo "custom $SNF_IMAGE_HOSTNAME $SNF_IMAGE_PROPERTY_OSFAMILY" > "$SNF_IMAGE_TARGET/root/custom-ran"
echo "a note on stderr" >&2')
run_ok 70RunCustomTask SNF_IMAGE_PROPERTY_CUSTOM_TASK="$CUSTOM"
[ "$(cat "$T/target/root/custom-ran")" = "custom $HOSTNAME_FQDN linux" ] || fail "the custom task did not run with the task environment"
grep -q 'a note on stderr' "$T/task.err" || fail "the custom task's stderr was not passed on"
run_fails "CUSTOM_TASK script exited with status 3 \\(last stderr line: 'custom boom'\\)" 70RunCustomTask \
    SNF_IMAGE_PROPERTY_CUSTOM_TASK="$(b64 $'#!/bin/sh\necho "custom boom" >&2\nexit 3')"
[ "$FAIL_RC" = 1 ] || fail "70RunCustomTask exit status $FAIL_RC"
run_fails "property CUSTOM_TASK is not valid base64" 70RunCustomTask SNF_IMAGE_PROPERTY_CUSTOM_TASK='#!/bin/sh'
ls -d /tmp/imgdeploy-custom-task.* 2>/dev/null && fail "the custom task's temp dir was left in /tmp"
echo "   ok: ran with the environment; failures name the status and stderr; no temp files left"

step "in-image task overrides (ALLOW_MOUNTED_TASK_OVERWRITING)"
mkdir -p "$T/target/root/snf-image/helper" "$T/target/root/imgdeploy/helper"
cat > "$T/target/root/snf-image/helper/overwrite_task_assignhostname" <<'EOS'
#!/bin/sh
echo "$1 $OVERWRITTEN_TASK $(cat "$SNF_IMAGE_TARGET/etc/hostname")" >> "$SNF_IMAGE_TARGET/root/override.log"
[ "$1" = pre-exec ] && exit 101
exit 0
EOS
chmod 755 "$T/target/root/snf-image/helper/overwrite_task_assignhostname"
run_ok 50AssignHostname SNF_IMAGE_PROPERTY_ALLOW_MOUNTED_TASK_OVERWRITING=yes SNF_IMAGE_HOSTNAME=over.example.org
printf 'pre-exec AssignHostname template\npost-exec AssignHostname over.example.org\n' | cmp -s - "$T/target/root/override.log" ||
    fail "override log: $(cat "$T/target/root/override.log")"
echo "   ok: 101 = pre-exec, the task, post-exec (in that order)"
printf '#!/bin/sh\nexit 0\n' > "$T/target/root/imgdeploy/helper/Overwrite_Task_ChangeMachineId"
chmod 755 "$T/target/root/imgdeploy/helper/Overwrite_Task_ChangeMachineId"
run_ok 50ChangeMachineId SNF_IMAGE_PROPERTY_ALLOW_MOUNTED_TASK_OVERWRITING=yes
grep -q 'replaced by the in-image override /root/imgdeploy/helper/Overwrite_Task_ChangeMachineId' "$T/task.out" || fail "no replacement note"
[ "$(cat "$T/target/etc/machine-id")" = 0123456789abcdef0123456789abcdef ] || fail "a replaced task ran"
printf '#!/bin/sh\necho "override says no" >&2\nexit 7\n' > "$T/target/root/imgdeploy/helper/Overwrite_Task_ChangeMachineId"
run_fails "in-image override /root/imgdeploy/helper/Overwrite_Task_ChangeMachineId pre-exec exited with status 7 \\(last stderr line: 'override says no'\\)" \
    50ChangeMachineId SNF_IMAGE_PROPERTY_ALLOW_MOUNTED_TASK_OVERWRITING=yes
[ "$FAIL_RC" = 7 ] || fail "the task's exit status is $FAIL_RC, not the override's 7"
run_ok 50ChangeMachineId
[ "$(cat "$T/target/etc/machine-id")" != 0123456789abcdef0123456789abcdef ] || fail "without ALLOW_... the task did not run"
# A symlink to the helper's /bin/true: resolved inside the image, where it does not exist.
rm "$T/target/root/imgdeploy/helper/Overwrite_Task_ChangeMachineId"
ln -s /bin/true "$T/target/root/imgdeploy/helper/overwrite_task_changemachineid"
cp "$T/target/etc/machine-id" "$T/mid"
run_ok 50ChangeMachineId SNF_IMAGE_PROPERTY_ALLOW_MOUNTED_TASK_OVERWRITING=yes
grep -q 'WARNING:ignoring the task override /root/imgdeploy/helper/overwrite_task_changemachineid: not an executable regular file' "$T/monitor" ||
    fail "no warning for an override that leads outside the image"
cmp -s "$T/mid" "$T/target/etc/machine-id" && fail "the original task did not run"
rm -r "$T/target/root/imgdeploy" "$T/target/root/snf-image"
echo "   ok: 0 replaces, 7 fails with 7, no override without the property, symlinks stay in the image"

step "60EnforcePersonality bad input: '..', symlinks out of the image, huge files, unknown owners"
run_fails "personality entry 0: path '/etc/../../x' contains '..'" 60EnforcePersonality \
    SNF_IMAGE_PERSONALITY="[{\"path\": \"/etc/../../x\", \"contents\": \"$(b64 x)\"}]"
run_ok 60EnforcePersonality SNF_IMAGE_PERSONALITY="[{\"path\": \"/evil/in\", \"contents\": \"$(b64 a)\"}, {\"path\": \"/etc/up/tmp/up-file\", \"contents\": \"$(b64 b)\"}]"
[ "$(cat "$T/target$OUTSIDE/in")" = a ] && [ "$(cat "$T/target/tmp/up-file")" = b ] || fail "symlinked personality paths not kept inside the image"
[ ! -e "$OUTSIDE" ] && [ ! -e /tmp/up-file ] || fail "a personality file escaped the image"
# Huge files: one environment string is at most 128 KiB (the kernel's
# MAX_ARG_STRLEN), so the 10 MiB limit itself is covered by
# tests/unit/tasks/test_personality.cpp; here the largest that gets through.
head -c $((90 * 1024)) /dev/zero | base64 -w0 > "$T/big.b64"
run_ok 60EnforcePersonality SNF_IMAGE_PERSONALITY="[{\"path\": \"/root/big\", \"contents\": \"$(cat "$T/big.b64")\"}]"
[ "$(stat -c %s "$T/target/root/big")" = $((90 * 1024)) ] || fail "a 90 KiB personality file"
run_fails "owner 'mallory' is not in the image's /etc/passwd" 60EnforcePersonality \
    SNF_IMAGE_PERSONALITY="[{\"path\": \"/root/m\", \"contents\": \"$(b64 x)\", \"owner\": \"mallory\"}]"
[ ! -e "$T/target/root/m" ] || fail "a refused personality wrote files"

step "cloud-init mode: 35InitializeDatasource and the cloud-init bodies, seed on the separate /var"
cp -a "$T/target/etc/shadow" "$T/shadow-before"
cp -a "$T/target/etc/hostname" "$T/hostname-before"
ssh-keygen -lf "$T/target/etc/ssh/ssh_host_ed25519_key.pub" > "$T/hostkey-before"
CI=(SNF_IMAGE_PROPERTY_CLOUD_INIT=yes)
run_fails "SNF_IMAGE_CLOUD_USERDATA \\(OS parameter cloud_userdata\\) is not valid base64" 35InitializeDatasource \
    "${CI[@]}" SNF_IMAGE_CLOUD_USERDATA='#cloud-config'
[ ! -e "$T/target/var/lib/cloud" ] && [ ! -e "$T/target/etc/cloud/cloud.cfg.d/98_imgdeploy-InitializeDatasource.cfg" ] ||
    fail "a failed 35InitializeDatasource wrote files"
run_ok 35InitializeDatasource SNF_IMAGE_CLOUD_USERDATA="$(b64 "$USERDATA")"
grep -q 'CLOUD_INIT is not set: nothing to do' "$T/task.out" || fail "35InitializeDatasource ran without CLOUD_INIT"
run_ok 35InitializeDatasource "${CI[@]}" SNF_IMAGE_CLOUD_USERDATA="$(b64 "$USERDATA")"
for name in 50AssignHostname 50ChangeMachineId 50DeleteSSHKeys; do run_ok $name "${CI[@]}"; done
run_ok 50ChangePassword "${CI[@]}" SNF_IMAGE_PASSWD="$PASSWORD" SNF_IMAGE_AUTH_KEYS="$KEY1" SNF_IMAGE_PROPERTY_USERS="root alice"
run_ok 50AddSwap "${CI[@]}" SNF_IMAGE_PROPERTY_SWAP=5:32
run_ok 60EnforcePersonality "${CI[@]}" SNF_IMAGE_PERSONALITY="[{\"path\": \"/home/alice/new/hi.txt\", \"contents\": \"$(b64 'hi alice')\", \"owner\": \"alice\", \"group\": \"alice\", \"mode\": 384}]"
grep -qF "$PASSWORD" "$T/monitor" "$T/task.out" "$T/task.err" && fail "the password was printed"
seed=$T/target/var/lib/cloud/seed/nocloud-net
cfgd=$T/target/etc/cloud/cloud.cfg.d
[ "$(yaml "$seed/meta-data" "d['instance-id']")" != "" ] || fail "no instance-id"
yaml "$seed/meta-data" "d['instance-id']" | grep -qxE 'iid-[0-9a-f]{32}' || fail "instance-id: $(cat "$seed/meta-data")"
[ "$(yaml "$seed/meta-data" "d['local-hostname']")" = "$HOSTNAME_FQDN" ] || fail "local-hostname"
[ "$(yaml "$seed/meta-data" "d['public-keys']")" = "['$KEY1']" ] || fail "public-keys: $(cat "$seed/meta-data")"
[ "$(cat "$seed/user-data")" = "${USERDATA%$'\n'}" ] || fail "user-data: $(cat "$seed/user-data")"
[ "$(mode_of "$seed/user-data"):$(mode_of "$seed/meta-data")" = 600:600 ] || fail "seed modes"
inline=$cfgd/98_imgdeploy-InitializeDatasource.cfg
[ "$(yaml "$inline" "d['datasource_list']")" = "['NoCloud', 'None']" ] || fail "datasource_list: $(cat "$inline")"
grep -qx 'datasource_list: \[NoCloud, None\]' "$inline" || fail "datasource_list is not on one line (ds-identify)"
[ "$(yaml "$inline" "d['datasource']['NoCloud']['meta-data'] == yaml.safe_load(open('$seed/meta-data'))")" = True ] ||
    fail "inline meta-data differs from the seed"
[ "$(yaml "$inline" "d['datasource']['NoCloud']['user-data'] == open('$seed/user-data').read()")" = True ] ||
    fail "inline user-data differs from the seed"
[ "$(mode_of "$inline")" = 600 ] || fail "inline drop-in mode"
pw=$cfgd/98_imgdeploy-ChangePassword.cfg
[ "$(yaml "$pw" "d['ssh_pwauth'], d['chpasswd']['expire'], [u['name'] for u in d['chpasswd']['users']]")" = "(True, False, ['root', 'alice'])" ] ||
    fail "chpasswd drop-in: $(sed "s/[$][^ ]*/<hash>/g" "$pw")"
hash=$(yaml "$pw" "d['chpasswd']['users'][0]['password']")
[ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$hash")" = "$hash" ] || fail "the chpasswd hash does not verify"
grep -qF "$PASSWORD" "$pw" && fail "the plain password is in the drop-in"
[ "$(mode_of "$pw")" = 600 ] || fail "the password drop-in is not 0600"
[ "$(yaml "$cfgd/98_imgdeploy-DeleteSSHKeys.cfg" "d")" = "{'ssh_deletekeys': True}" ] || fail "DeleteSSHKeys drop-in"
[ "$(yaml "$cfgd/98_imgdeploy-AddSwap.cfg" "d['swap']['size'], d['swap']['maxsize']")" = "('auto', 33554432)" ] || fail "swap drop-in"
yaml "$cfgd/98_imgdeploy-AddSwap.cfg" "d['swap']['filename']" | grep -qxE '/swap-[0-9a-f]{8}\.img' || fail "swap file name"
cmp -s "$T/shadow-before" "$T/target/etc/shadow" || fail "cloud-init mode changed /etc/shadow"
cmp -s "$T/hostname-before" "$T/target/etc/hostname" || fail "cloud-init mode changed /etc/hostname"
[ ! -e "$T/target/root/.ssh" ] && [ ! -e "$T/target/home/alice/.ssh" ] || fail "cloud-init mode wrote authorized_keys"
ssh-keygen -lf "$T/target/etc/ssh/ssh_host_ed25519_key.pub" | cmp -s - "$T/hostkey-before" || fail "cloud-init mode replaced host keys"
[ "$(cat "$T/target/etc/machine-id")" != "$(cat "$T/mid")" ] || fail "ChangeMachineId did not run in cloud-init mode"
[ ! -e "$T/target/home/alice/new" ] || fail "personality written now in cloud-init mode"
[ -x "$T/target/var/lib/cloud/scripts/per-once/imgdeploy-personality.sh" ] || fail "no personality per-once script"
[ -x "$T/target/var/lib/cloud/scripts/per-once/imgdeploy-clear-secrets.sh" ] || fail "no clear-secrets per-once script"
run_ok 80UmountImage
mkdir -p "$T/check"
mount -o ro "${DISK}p2" "$T/check"
[ -f "$T/check/lib/cloud/seed/nocloud-net/meta-data" ] || fail "the seed is not on the /var file system"
umount "$T/check"
mount -o ro "${DISK}p1" "$T/check"
[ ! -e "$T/check/var/lib" ] || fail "the seed went to the root file system's /var"
umount "$T/check"
echo "   ok: seed on /var (0600), inline copy equal, drop-ins, shadow/hostname/keys untouched"

step "10FixPartitionTable bad SWAP values change nothing"
sfdisk -d "$DISK" > "$T/table-before"
run_fails "SWAP '2:abc': expected <partition number>:<size in MB>" 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=2:abc
run_fails "SWAP '1:16': partition 1 already exists" 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=1:16
run_fails "SWAP '4:9999': no room for 9999 MiB of swap" 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=4:9999
run_fails "SWAP '9:16': logical partitions are numbered in order" 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=9:16
sfdisk -d "$DISK" | cmp -s - "$T/table-before" || fail "a refused SWAP changed the partition table"
detach "$DISK"

# --- GPT --------------------------------------------------------------------
step "GPT image: SWAP=3:16 is a Linux swap partition named swap"
mkdir -p "$T/gtree"
cp -a "$d/." "$T/gtree/"
printf 'UUID=66666666-6666-4666-8666-666666666666 / ext4 defaults 0 1\n' > "$T/gtree/etc/fstab"
rm -f "$T/disk2.img"; truncate -s 40M "$T/disk2.img"
printf 'label: gpt\nstart=2048, type=L\n' | sfdisk -q "$T/disk2.img"
attach "$T/disk2.img"
mkfs.ext4 -q -U 66666666-6666-4666-8666-666666666666 -d "$T/gtree" "${DISK}p1"
detach "$DISK"
truncate -s 80M "$T/disk2.img"
attach "$T/disk2.img"
RESIZE_PART=1 ROOT_PART=1
run_ok 10FixPartitionTable SNF_IMAGE_PROPERTY_SWAP=3:16
sgdisk -i 3 "$DISK" > "$T/sgdisk"
grep -q 'Partition GUID code: 0657FD6D-A4AB-43C4-84E5-0933C84B4F4F' "$T/sgdisk" || fail "partition 3 type: $(cat "$T/sgdisk")"
grep -q "Partition name: 'swap'" "$T/sgdisk" || fail "partition 3 name: $(cat "$T/sgdisk")"
grep -q 'Partition size: 32768 sectors' "$T/sgdisk" || fail "partition 3 size: $(cat "$T/sgdisk")"
sgdisk -v "$DISK" | grep -q 'No problems found' || fail "sgdisk -v $DISK"
run_ok 30MountImage
run_ok 50AddSwap SNF_IMAGE_PROPERTY_SWAP=3:16
[ "$(blkid -p -o value -s TYPE "${DISK}p3")" = swap ] || fail "no swap on ${DISK}p3"
grep -qx "UUID=$(swaplabel "${DISK}p3" | awk '/UUID/ {print $2}') none swap sw 0 0" "$T/target/etc/fstab" || fail "GPT swap not in fstab"
run_ok 80UmountImage
detach "$DISK"
echo "   ok: GPT swap partition 3, type and name checked by sgdisk, formatted and in fstab"

# --- a real Debian image: the per-once scripts run ---------------------------
step "Debian image, cloud-init mode: the per-once scripts run in a chroot"
img=$CACHE/debian-mbr-ext4.img
[ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$img" >/dev/null
cp --sparse=always "$img" "$T/debian.img"
attach "$T/debian.img"
RESIZE_PART=1 ROOT_PART=1
run_ok 30MountImage
run_fails "CLOUD_INIT is set but the image has no /etc/cloud .*is cloud-init installed" 35InitializeDatasource "${CI[@]}"
mkdir -p "$T/target/etc/cloud"
run_ok 35InitializeDatasource "${CI[@]}" SNF_IMAGE_CLOUD_USERDATA="$(b64 "$USERDATA")"
iid=$(yaml "$T/target/var/lib/cloud/seed/nocloud-net/meta-data" "d['instance-id']")
run_ok 50ChangePassword "${CI[@]}" SNF_IMAGE_PASSWD="$PASSWORD"
run_ok 60EnforcePersonality "${CI[@]}" SNF_IMAGE_PERSONALITY="[{\"path\": \"/srv/new/dir/f.txt\", \"contents\": \"$(b64 'for nobody')\", \"owner\": \"nobody\", \"group\": \"nogroup\", \"mode\": 416}]"
po=/var/lib/cloud/scripts/per-once
chroot "$T/target" /bin/sh -e "$po/imgdeploy-personality.sh" || fail "the personality script failed"
[ "$(cat "$T/target/srv/new/dir/f.txt")" = 'for nobody' ] || fail "personality file not installed"
[ "$(stat -c %a:%U:%G "$T/target/srv/new/dir/f.txt")" = 640:nobody:nogroup ] || fail "personality file mode/owner: $(stat -c %a:%U:%G "$T/target/srv/new/dir/f.txt")"
[ ! -e "$T/target/var/lib/cloud/imgdeploy-personality" ] || fail "the personality payload was kept"
chroot "$T/target" /bin/sh -e "$po/imgdeploy-clear-secrets.sh" || fail "the clear-secrets script failed"
[ ! -s "$T/target/var/lib/cloud/seed/nocloud-net/user-data" ] || fail "user-data not emptied"
[ ! -e "$T/target/etc/cloud/cloud.cfg.d/98_imgdeploy-ChangePassword.cfg" ] || fail "the password drop-in was kept"
inline=$T/target/etc/cloud/cloud.cfg.d/98_imgdeploy-InitializeDatasource.cfg
[ "$(yaml "$inline" "d['datasource']['NoCloud']['user-data'], d['datasource']['NoCloud']['meta-data']['instance-id']")" = "('', '$iid')" ] ||
    fail "inline config after clearing: $(cat "$inline")"
[ "$(mode_of "$inline")" = 600 ] || fail "inline drop-in mode after clearing"
run_ok 35InitializeDatasource "${CI[@]}" SNF_IMAGE_CLOUD_INIT_DEBUG=yes
[ "$(mode_of "$T/target$po/imgdeploy-clear-secrets.sh")" = 644 ] || fail "CLOUD_INIT_DEBUG: the clear-secrets script is executable"
grep -q 'imgdeploy-cloud-init-debug.log' "$inline" || fail "CLOUD_INIT_DEBUG: no debug log config"
[ "$(yaml "$T/target/var/lib/cloud/seed/nocloud-net/meta-data" "d['instance-id']")" != "$iid" ] || fail "instance-id not new per deployment"
printf '%s' "$USERDATA" | gzip -9 -c > "$T/ud.gz"
run_ok 35InitializeDatasource "${CI[@]}" SNF_IMAGE_CLOUD_USERDATA="$(base64 -w0 "$T/ud.gz")"
cmp -s "$T/ud.gz" "$T/target/var/lib/cloud/seed/nocloud-net/user-data" || fail "gzip'd user-data: the seed file differs"
[ "$(yaml "$inline" "d['datasource']['NoCloud']['user-data'] == open('$T/ud.gz', 'rb').read()")" = True ] ||
    fail "gzip'd user-data: the inline copy is not the same bytes"
echo "   ok: per-once scripts ran: personality installed, secrets cleared; debug mode; gzip'd user-data as !!binary"
run_ok 80UmountImage
detach "$DISK"

[ ! -e "$OUTSIDE" ] || fail "something escaped to $OUTSIDE"
echo "PASS: SWAP, cloud-init mode, SELinux relabel, custom task, task overrides and their bad inputs"
