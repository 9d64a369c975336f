#!/bin/bash
# The Windows and BSD branches of the built-in tasks, run for real on the
# host against fixture disks on loop devices (no Windows or BSD image can be
# had here): a Windows disk (MBR, "System Reserved" + NTFS made by mkntfs,
# registry hives built from a minimal regf with hivexsh), OpenBSD and NetBSD
# disks (MBR slice + BSD disklabel written by this script) and a FreeBSD GPT
# disk. Linux cannot write UFS, so the BSD fixtures carry ext2 in the
# disklabel partition: the tasks' BSD file edits are tested on it, the UFS
# mount itself is not (see tasks/README.md). Results are checked with
# independent tools: ntfscat, ntfsinfo, hivexget, xmllint, python3 struct.
source "$(dirname "$0")/common.sh"
require_root
TASKS_BIN=${IMGDEPLOY_TASKS_BIN:?set by ctest: tasks/bin of the build tree}
SRC=${IMGDEPLOY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in sfdisk partx mkntfs ntfs-3g ntfscat ntfsinfo hivexsh hivexget xmllint mkfs.ext2; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
PY=/usr/bin/python3
LOOPS=()

release_under_t() {
    local mp dev
    awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | tac |
        while read -r mp; do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true; done
    for dev in "${LOOPS[@]}"; do
        partx -d "$dev" 2>/dev/null || true
        losetup -d "$dev" 2>/dev/null || true
    done
}
trap 'release_under_t; cleanup' EXIT
[ "${KEEP_T:-}" ] && trap 'release_under_t' EXIT

attach() {
    DISK=$(losetup -f --show "$1") || skip "cannot attach a loop device"
    LOOPS+=("$DISK")
    partx -d "$DISK" 2>/dev/null || true
    partx -a "$DISK" 2>/dev/null || true
}
detach() {
    partx -d "$1" 2>/dev/null || true
    losetup -d "$1"
    local keep=() dev
    for dev in "${LOOPS[@]}"; do [ "$dev" = "$1" ] || keep+=("$dev"); done
    LOOPS=("${keep[@]}")
}

PASSWORD='W1n pass%word!'
run_task() {
    local name=$1
    shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        SNF_IMAGE_HOSTNAME="$NAME" SNF_IMAGE_TYPE=diskdump \
        SNF_IMAGE_DEV="$DISK" SNF_IMAGE_DEV_0="$DISK" SNF_IMAGE_DEV_COUNT=1 \
        SNF_IMAGE_TARGET="$T/target" SNF_IMAGE_RESIZE_PART="$RESIZE_PART" \
        SNF_IMAGE_PROPERTY_OSFAMILY="$FAMILY" SNF_IMAGE_PROPERTY_ROOT_PARTITION="$ROOT_PART" \
        TASKNAME="$name" IMGDEPLOY_MONITOR_FD=3 "$@" \
        "$TASKS_BIN/$name" 3>>"$T/monitor" >"$T/task.out" 2>"$T/task.err"
}
run_ok() {
    run_task "$@" || { cat "$T/task.out" "$T/task.err" >&2; fail "$1 failed"; }
    if grep -E 'terminate called|Aborted|AddressSanitizer|runtime error' "$T/task.err" >/dev/null; then
        cat "$T/task.err" >&2
        fail "$1: crash output"
    fi
    echo "   $1: $(tail -1 "$T/task.out" 2>/dev/null | cut -c1-140)"
}
run_fails() {
    local pattern=$1 name=$2 rc=0
    shift
    run_task "$@" || rc=$?
    [ $rc -ne 0 ] || { cat "$T/task.out" "$T/task.err" >&2; fail "$name succeeded, expected a failure"; }
    grep -E "^$name: .*($pattern)" "$T/task.err" >/dev/null || {
        cat "$T/task.err" >&2
        fail "$name: no error line matching /$pattern/"
    }
    grep -E "^ERROR:.*($pattern)" "$T/monitor" >/dev/null || fail "$name: no ERROR monitor line /$pattern/"
    echo "   ok: $(grep -E "^$name: " "$T/task.err" | head -1 | cut -c1-150)"
}
mkdir -p "$T/target"
: > "$T/monitor"

# ===================== Windows ==========================================

# hive FILE COMMANDS: a minimal hive, then hivexsh -w commands.
hive() {
    "$PY" "$SRC/tests/lib/make-minimal-hive.py" "$1"
    printf '%b\ncommit\n' "$2" | hivexsh -w "$1" || fail "hivexsh on $1"
}

make_windows_tree() { "$SRC/tests/lib/make-windows-tree.sh" "$1" >/dev/null || fail "make-windows-tree.sh"; }

# build_windows FILE: 48 MiB image (p1 System Reserved 8 MiB, p2 Windows), grown to 96 MiB.
build_windows() {
    rm -f "$1"
    truncate -s 48M "$1"
    printf 'label: dos\nstart=2048, size=16384, type=7, bootable\nstart=18432, type=7\n' | sfdisk -q "$1"
    attach "$1"
    mkntfs -q -f -p 2048 -H 255 -S 63 -L "System Reserved" "${DISK}p1" >/dev/null || fail "mkntfs p1"
    mkntfs -q -f -p 18432 -H 255 -S 63 "${DISK}p2" >/dev/null || fail "mkntfs p2"
    rm -rf "$T/wtree"
    make_windows_tree "$T/wtree"
    mkdir -p "$T/fill"
    ntfs-3g "${DISK}p2" "$T/fill" || fail "ntfs-3g mount of the fixture"
    cp -r "$T/wtree/." "$T/fill/"
    umount "$T/fill"
    wait_unused "${DISK}p2"
    detach "$DISK"
    truncate -s 96M "$1"
    attach "$1"
}
# ntfs-3g lets go of the device a moment after umount returns.
wait_unused() { local i; for i in $(seq 50); do "$PY" -c "import os,sys; os.close(os.open(sys.argv[1], os.O_RDONLY|os.O_EXCL))" "$1" 2>/dev/null && return; sleep 0.1; done; }

ncat() { ntfscat -f "${DISK}p2" "$1" 2>/dev/null; }
xp() { xmllint --xpath "$1" "$T/unattend.xml" 2>/dev/null; }

step "Windows: MBR + NTFS fixture, tasks 10 -> 81"
FAMILY=windows NAME=winhost1 ROOT_PART=2 RESIZE_PART=2
build_windows "$T/win.img"
printf '<?xml version="1.0"?>\n<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="oobeSystem"><component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"><UserAccounts><LocalAccounts><LocalAccount><Name>alice</Name></LocalAccount></LocalAccounts></UserAccounts></component></settings><settings pass="specialize"><component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64"><TimeZone>Floppy TZ</TimeZone></component></settings></unattend>\n' > "$T/floppy-unattend.xml"
PERSONALITY='[{"path": "/Users/Administrator/hello.txt", "contents": "'$(printf 'new hello' | base64 -w0)'"}]'
WIN_ENV=(SNF_IMAGE_PASSWD="$PASSWORD" SNF_IMAGE_PROPERTY_USERS="Administrator alice"
    SNF_IMAGE_OS_PRODUCT_KEY=ABCDE-12345-FGHIJ-67890-KLMNO SNF_IMAGE_UNATTEND="$T/floppy-unattend.xml"
    SNF_IMAGE_PROPERTY_IGNORE_UNATTEND=yes SNF_IMAGE_PERSONALITY="$PERSONALITY")
for name in 10FixPartitionTable 20FilesystemResizeUnmounted 30MountImage 35InstallUnattend \
    40FilesystemResizeMounted 50AssignHostname 50ChangeMachineId 50ChangePassword 50DeleteSSHKeys \
    50DisableRemoteDesktopConnections 60EnforcePersonality 80UmountImage; do
    run_ok "$name" "${WIN_ENV[@]}"
done
grep -q '^ERROR:' "$T/monitor" && fail "ERROR monitor lines in a good run: $(cat "$T/monitor")"
grep -F -q "$PASSWORD" "$T/monitor" "$T/task.out" "$T/task.err" && fail "the password was printed"
awk -v t="$T/target" 'index($5, t) == 1' /proc/self/mountinfo | grep -q . && fail "80UmountImage left mounts"
wait_unused "${DISK}p2"

# The partition table: p2 reaches the end of the disk.
total=$(blockdev --getsz "$DISK")
read -r p2start p2size < <(sfdisk -J "$DISK" | "$PY" -c "
import json, sys; p = json.load(sys.stdin)['partitiontable']['partitions'][1]; print(p['start'], p['size'])")
[ $((p2start + p2size)) -ge $((total - 2048)) ] || fail "p2 ends at $((p2start + p2size)) of $total sectors"

ncat /unattend.xml > "$T/unattend.xml" || fail "no /unattend.xml in the image"
xmllint --noout "$T/unattend.xml" || fail "unattend.xml is not well-formed"
NS='local-name()'
spec="//*[$NS='settings'][@pass='specialize']/*[$NS='component'][@name='Microsoft-Windows-Shell-Setup']"
[ "$(xp "string($spec/*[$NS='TimeZone'])")" = "Floppy TZ" ] || fail "the floppy's answer file was not installed (IGNORE_UNATTEND)"
[ "$(xp "string($spec/*[$NS='ComputerName'])")" = winhost1 ] || fail "ComputerName not set: $(cat "$T/unattend.xml")"
[ "$(xp "string($spec/*[$NS='ProductKey'])")" = ABCDE-12345-FGHIJ-67890-KLMNO ] || fail "ProductKey not set"
paths=$(xp "//*[$NS='RunSynchronousCommand']/*[$NS='Path']/text()")
grep -qF 'ChangeAdminPassword.cmd' <<< "$paths" || fail "no RunSynchronousCommand for the password script"
grep -qF 'diskpart.exe /s C:\Windows\SnfScripts\ExtendFilesystem' <<< "$paths" || fail "no diskpart command"
[ "$(xp "count(//*[$NS='RunSynchronousCommand'])")" = 2 ] || fail "RunSynchronousCommand count"
ncat /Windows/SnfScripts/ExtendFilesystem | tr -d '\r' | grep -qx 'select partition 2' ||
    fail "diskpart script does not select partition 2"
pw=$(ncat /Windows/SnfScripts/ChangeAdminPassword.cmd | tr -d '\r')
grep -qxF 'net user "Administrator" "W1n pass%%word!" /ACTIVE:YES /EXPIRES:NEVER /PASSWORDREQ:YES' <<< "$pw" ||
    fail "password script: no net user line for Administrator"
grep -qF 'net user "alice"' <<< "$pw" || fail "password script: no line for the unattend LocalAccount alice"
ncat /Windows/System32/config/SYSTEM > "$T/SYSTEM"
[ "$(hivexget "$T/SYSTEM" '\ControlSet002\Control\Terminal Server' fDenyTSConnections)" = 1 ] ||
    fail "fDenyTSConnections is not 1 in the current control set"
sc=$(ncat /Windows/Setup/Scripts/SetupComplete.cmd | tr -d '\r')
grep -qF 'reg add "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server" /v fDenyTSConnections /t REG_DWORD /d 0 /f' <<< "$sc" ||
    fail "SetupComplete.cmd does not restore fDenyTSConnections=0"
grep -qF 'del /Q /F C:\Windows\SnfScripts\ChangeAdminPassword.cmd' <<< "$sc" || fail "SetupComplete.cmd does not delete the password script"
[ "$(ncat /Users/Administrator/hello.txt)" = "new hello" ] || fail "personality file not written"
grep -q '^hello.txt.bak.[0-9]*$' <<< "$(ntfsls -f -p /Users/Administrator "${DISK}p2" 2>/dev/null)" || fail "no .bak.<time> of the replaced file"
grep -q 'WARNING:skipped: OSFAMILY' "$T/monitor" || fail "the Linux-only tasks did not say they skip Windows"

step "Windows: 81FilesystemResizeAfterUmount (OFFLINE_NTFSRESIZE)"
clusters() { ntfsinfo -m -f "${DISK}p2" 2>/dev/null | awk -F': ' '/Volume Size in Clusters/ {print $2}'; }
before=$(clusters)
run_ok 81FilesystemResizeAfterUmount
[ "$(clusters)" = "$before" ] || fail "81 resized without OFFLINE_NTFSRESIZE (diskpart's job)"
run_ok 81FilesystemResizeAfterUmount SNF_IMAGE_PROPERTY_OFFLINE_NTFSRESIZE=yes
after=$(clusters)
[ $((after * 4096)) -ge $(((p2size - 2048) * 512)) ] || fail "NTFS has $after clusters, partition $p2size sectors"
flags() { ntfsinfo -m -f "${DISK}p2" 2>/dev/null | awk '/Volume Flags:/ {print $3, $4}'; }
[[ $(flags) == *DIRTY* ]] || fail "the resized volume is not left for chkdsk"
run_fails 'dirty' 81FilesystemResizeAfterUmount SNF_IMAGE_PROPERTY_OFFLINE_NTFSRESIZE=yes
ntfsfix -d "${DISK}p2" >/dev/null
run_ok 81FilesystemResizeAfterUmount SNF_IMAGE_PROPERTY_OFFLINE_NTFSRESIZE=yes SNF_IMAGE_PROPERTY_OFFLINE_NTFSRESIZE_NOCHECK=yes
[[ $(flags) != *DIRTY* ]] || fail "NOCHECK left the volume dirty"

step "Windows: bad input"
run_ok 30MountImage
run_fails 'not a valid Windows computer name: longer than 15' 50AssignHostname SNF_IMAGE_HOSTNAME=averyveryverylongname
run_fails 'not a valid Windows computer name: it holds the character' 50AssignHostname SNF_IMAGE_HOSTNAME=web_1
run_fails 'all digits' 50AssignHostname SNF_IMAGE_HOSTNAME=12345
run_fails 'img_passwd_hash cannot be used for Windows' 50ChangePassword SNF_IMAGE_PASSWD_HASH='$6$x$y'
run_fails "user 'bob' .* neither in the SAM" 50ChangePassword SNF_IMAGE_PASSWD=x SNF_IMAGE_PROPERTY_USERS=bob
run_fails 'double quote' 50ChangePassword SNF_IMAGE_PASSWD='a"b'
run_ok 80UmountImage
wait_unused "${DISK}p2"
detach "$DISK"

step "Windows: an image that was not generalized"
IMAGE_STATE=IMAGE_STATE_COMPLETE build_windows "$T/win2.img"
run_ok 30MountImage
run_fails 'not generalized by sysprep' 35InstallUnattend
run_ok 80UmountImage
wait_unused "${DISK}p2"
detach "$DISK"

step "Windows legacy: sysprep.inf"
FAMILY=windows-legacy
rm -rf "$T/wtree"
build_windows "$T/win3.img"
mkdir -p "$T/fill"
ntfs-3g "${DISK}p2" "$T/fill"
hive "$T/fill/Windows/System32/config/SYSTEM" 'add Select\ncd Select\nsetval 1\nCurrent\ndword:0x1\ncd \\\nadd ControlSet001\nadd Setup\ncd Setup\nsetval 2\nSystemSetupInProgress\ndword:0x1\nMiniSetupInProgress\ndword:0x1'
hive "$T/fill/Windows/System32/config/SOFTWARE" 'add Microsoft\ncd Microsoft\nadd Windows NT\ncd Windows NT\nadd CurrentVersion\ncd CurrentVersion\nsetval 1\nCurrentVersion\nstring:5.1'
umount "$T/fill"
wait_unused "${DISK}p2"
for name in 30MountImage 35InstallUnattend 50AssignHostname 50ChangePassword 50DisableRemoteDesktopConnections 80UmountImage; do
    run_ok "$name" SNF_IMAGE_PASSWD="$PASSWORD" SNF_IMAGE_OS_PRODUCT_KEY=ABCDE-12345-FGHIJ-67890-KLMNO
done
wait_unused "${DISK}p2"
inf=$(ncat /sysprep/sysprep.inf | tr -d '\r')
grep -qx 'ComputerName=winhost1' <<< "$inf" || fail "sysprep.inf: no ComputerName=winhost1: $inf"
grep -qx 'ProductKey=ABCDE-12345-FGHIJ-67890-KLMNO' <<< "$inf" || fail "sysprep.inf: no ProductKey"
grep -qx 'AdminPassword="W1n pass%%word!"' <<< "$inf" || grep -qx 'EncryptedAdminPassword=No' <<< "$inf" ||
    fail "sysprep.inf: no AdminPassword"
ncat '/sysprep/i386/$OEM$/cmdlines.txt' | tr -d '\r' | grep -qxF '"C:\Windows\SnfScripts\ChangeAdminPassword.cmd"' ||
    fail "cmdlines.txt does not run the password script"
detach "$DISK"

# ===================== BSD ==============================================

# bsd_disk FILE FLAVOR: a 32 MiB disk, MBR slice (a6/a9) from sector 64 to
# the end, a disklabel with a (ext2 stand-in for ffs, 8 MiB), b (swap 4 MiB),
# d/e (ffs, the rest of the slice) and the raw partitions; grown to 64 MiB.
bsd_disk() {
    local file=$1 flavor=$2
    rm -f "$file"
    truncate -s 32M "$file"
    "$PY" - "$file" "$flavor" <<'EOF'
import struct, sys
path, flavor = sys.argv[1], sys.argv[2]
disk = 32 * 2048
start, size = 64, disk - 64
with open(path, "r+b") as f:
    mbr = bytearray(512)
    struct.pack_into("<B3sB3sII", mbr, 446, 0x80, b"\0\1\0", 0xA6 if flavor == "openbsd" else 0xA9, b"\xfe\xff\xff", start, size)
    mbr[510:512] = b"\x55\xaa"
    f.write(mbr)
    lab = bytearray(512)
    struct.pack_into("<IHH16s16sIIIIII", lab, 0, 0x82564557, 4, 0, b"SCSI disk", b"fixture", 512, 63, 255, disk // (63 * 255), 63 * 255, disk)
    a = (start + 64, 8 * 2048); b = (a[0] + a[1], 4 * 2048); last = (b[0] + b[1], start + size - b[0] - b[1])
    if flavor == "openbsd":
        lab[64:72] = bytes(range(1, 9))
        struct.pack_into("<II", lab, 80, start, start + size)
        struct.pack_into("<HH", lab, 112, 0, 1)
        parts = {"a": (a, 7), "b": (b, 1), "c": ((0, disk), 0), "d": (last, 7)}
    else:
        parts = {"a": (a, 7), "b": (b, 1), "c": ((start, size), 0), "d": ((0, disk), 0), "e": (last, 7)}
    n = 16
    struct.pack_into("<IHHII", lab, 132, 0x82564557, 0, n, 8192, 65536)
    for letter, ((off, sz), fstype) in parts.items():
        struct.pack_into("<IIIBBH", lab, 148 + 16 * (ord(letter) - 97), sz, off, 0, fstype, 0, 0)
    s = 0
    for (w,) in struct.iter_unpack("<H", bytes(lab[:148 + 16 * n])):
        s ^= w
    struct.pack_into("<H", lab, 136, s)
    f.seek((start + 1) * 512)
    f.write(lab)
EOF
    mkdir -p "$T/bsdtree/etc/ssh" "$T/bsdtree/root"
    printf 'root:$2b$08$oldoldoldoldoldoldoldeQ4bcl7Q9ar4N5TnSK4o5ELCdC3zTg8y:0:0:daemon:0:0:Charlie &:/root:/bin/ksh\ndaemon:*:1:1::0:0:The devil himself:/root:/sbin/nologin\n' > "$T/bsdtree/etc/master.passwd"
    printf 'root:*:0:0:Charlie &:/root:/bin/ksh\n' > "$T/bsdtree/etc/passwd"
    echo template > "$T/bsdtree/etc/myname"
    printf 'sshd_flags=""\nhostname="template"\n' > "$T/bsdtree/etc/rc.conf"
    printf 'echo local\n' > "$T/bsdtree/etc/rc.local"
    : > "$T/bsdtree/etc/spwd.db"
    printf 'PermitRootLogin no\n' > "$T/bsdtree/etc/ssh/sshd_config"
    rm -f "$T/bsdtree/etc/ssh/ssh_host_ed25519_key"*
    ssh-keygen -q -t ed25519 -N '' -C template -f "$T/bsdtree/etc/ssh/ssh_host_ed25519_key"
    truncate -s 64M "$file"
    attach "$file"
}

# check_label FILE FLAVOR: the slice and the last non-swap partition end at
# the disk's end, raw partitions cover the disk/slice, the checksum is right.
check_label() {
    "$PY" - "$1" "$2" <<'EOF' || fail "disklabel check ($2)"
import struct, sys
path, flavor = sys.argv[1], sys.argv[2]
data = open(path, "rb").read(200 * 512)
disk = 64 * 2048
_, _, _, _, start, size = struct.unpack_from("<B3sB3sII", data, 446)
assert start + size == disk, ("slice", start, size)
lab = data[(start + 1) * 512:(start + 2) * 512]
magic, = struct.unpack_from("<I", lab, 0)
n, = struct.unpack_from("<H", lab, 138)
s = 0
for i, (w,) in enumerate(struct.iter_unpack("<H", lab[:148 + 16 * n])):
    s ^= 0 if i == 68 else w
assert s == struct.unpack_from("<H", lab, 136)[0], "checksum"
assert struct.unpack_from("<I", lab, 60)[0] == disk, "secperunit"
parts = {chr(97 + i): struct.unpack_from("<II", lab, 148 + 16 * i) for i in range(n)}
last = "d" if flavor == "openbsd" else "e"
sz, off = parts[last]
assert off + sz == disk, ("last partition", last, off, sz)
assert parts["b"][0] == 4 * 2048, "swap changed"
if flavor == "openbsd":
    assert parts["c"] == (disk, 0), ("c", parts["c"])
    assert struct.unpack_from("<I", lab, 84)[0] == disk, "bend"
else:
    assert parts["c"] == (size, start), ("c", parts["c"])
    assert parts["d"] == (disk, 0), ("d", parts["d"])
EOF
}

# extract_etc DEV: the file system's /etc into $T/out/etc (debugfs).
extract_etc() {
    rm -rf "$T/out"; mkdir -p "$T/out"
    debugfs -R "rdump /etc $T/out" "$1" >/dev/null 2>&1 || fail "debugfs rdump /etc of $1"
    [ -f "$T/out/etc/master.passwd" ] || fail "debugfs extracted nothing from $1"
}

NAME=bsdhost.example.org RESIZE_PART=5
for FAMILY in openbsd netbsd; do
    step "$FAMILY: disklabel growth and the file edits (ext2 stand-in)"
    bsd_disk "$T/$FAMILY.img" "$FAMILY"
    run_ok 10FixPartitionTable
    check_label "$T/$FAMILY.img" "$FAMILY"
    run_ok 10FixPartitionTable  # idempotent
    grep -q 'already ends' "$T/task.out" || fail "second 10FixPartitionTable run changed something"
    detach "$DISK"
    # A loop device cannot show the nested disklabel partitions (BLKPG
    # refuses partitions inside the slice; the helper's kernel parses them
    # itself), so the file edits run on a plain MBR disk holding the ext2
    # stand-in of the BSD root.
    rm -f "$T/bsdroot.img"; truncate -s 24M "$T/bsdroot.img"
    printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$T/bsdroot.img"
    mkfs.ext2 -q -F -E offset=$((2048 * 512)) "$T/bsdroot.img" 16M
    attach "$T/bsdroot.img"
    mkdir -p "$T/fill"
    mount -t ext2 "${DISK}p1" "$T/fill" || fail "mounting the stand-in root"
    cp -a "$T/bsdtree/." "$T/fill/"
    umount "$T/fill"
    ROOT_PART=1
    for name in 30MountImage 50AssignHostname 50ChangePassword 50DeleteSSHKeys 80UmountImage; do
        run_ok "$name" SNF_IMAGE_PASSWD="$PASSWORD"
    done
    # Read back with debugfs, not a mount: a mount namespace made meanwhile
    # by another process on this machine may still hold the file system.
    extract_etc "${DISK}p1"
    grep -q template "$T/out/etc/ssh/ssh_host_ed25519_key.pub" && fail "$FAMILY: the template host key is still there"
    [ -s "$T/out/etc/ssh/ssh_host_ed25519_key" ] || fail "$FAMILY: no new ed25519 host key"
    [ "$(cat "$T/out/etc/myname")" = "$NAME" ] || fail "$FAMILY: /etc/myname"
    hash=$(awk -F: '$1 == "root" {print $2}' "$T/out/etc/master.passwd")
    want='$2b$'; [ "$FAMILY" = netbsd ] && want='$sha1$'
    [[ $hash == "$want"* ]] || fail "$FAMILY: root hash is not ${want}: ${hash:0:6}"
    "$PY" -W ignore -c "import crypt,sys; sys.exit(crypt.crypt(sys.argv[1], sys.argv[2]) != sys.argv[2])" "$PASSWORD" "$hash" ||
        fail "$FAMILY: the hash does not verify"
    grep -q '^root:[^:]*:0:0:daemon:0:0:Charlie &:/root:/bin/ksh$' "$T/out/etc/master.passwd" || fail "$FAMILY: fields changed"
    grep -q '^daemon:\*:1:1::0:0:The devil himself:/root:/sbin/nologin$' "$T/out/etc/master.passwd" || fail "daemon line changed"
    grep -q 'pwd_mkdb -p /etc/master.passwd' "$T/out/etc/rc.local" || fail "$FAMILY: no pwd_mkdb in rc.local"
    grep -q 'echo local' "$T/out/etc/rc.local.imgdeploy" || fail "$FAMILY: the image's rc.local was not kept"
    if [ "$FAMILY" = netbsd ]; then
        [ -e "$T/out/etc/spwd.db" ] && [ ! -s "$T/out/etc/spwd.db" ] || fail "netbsd: spwd.db not emptied"
        grep -qx "hostname=\"$NAME\"" "$T/out/etc/rc.conf" || fail "netbsd: rc.conf hostname"
    else
        [ ! -e "$T/out/etc/spwd.db" ] || fail "openbsd: spwd.db kept"
    fi
    detach "$DISK"
done

step "freebsd: GPT required, rc.conf hostname"
FAMILY=freebsd RESIZE_PART=2 ROOT_PART=2
rm -f "$T/fbsd.img"; truncate -s 32M "$T/fbsd.img"
printf 'label: dos\nstart=2048, type=a5\n' | sfdisk -q "$T/fbsd.img"
attach "$T/fbsd.img"
run_fails 'gpt' 10FixPartitionTable
detach "$DISK"
truncate -s 0 "$T/fbsd.img"; truncate -s 32M "$T/fbsd.img"
printf 'label: gpt\nstart=2048, size=1024, type=83BD6B9D-7F41-11DC-BE0B-001560B84F0F\nstart=4096, size=40960, type=516E7CB6-6ECF-11D6-8FF8-00022D09712B\n' | sfdisk -q "$T/fbsd.img"
mkfs.ext2 -q -F -E offset=$((4096 * 512)) "$T/fbsd.img" 20M
truncate -s 64M "$T/fbsd.img"
attach "$T/fbsd.img"
run_ok 10FixPartitionTable
end=$(sfdisk -J "$DISK" | "$PY" -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][1]; print(p['start']+p['size'])")
[ "$end" -ge $((64 * 2048 - 2048 - 34)) ] || fail "freebsd-ufs partition ends at $end"
mount -t ext2 "${DISK}p2" "$T/fill"; cp -a "$T/bsdtree/." "$T/fill/"; umount "$T/fill"
for name in 30MountImage 50AssignHostname 50ChangePassword 80UmountImage; do
    run_ok "$name" SNF_IMAGE_PASSWD="$PASSWORD"
done
extract_etc "${DISK}p2"
grep -qx "hostname=\"$NAME\"" "$T/out/etc/rc.conf" || fail "freebsd: rc.conf hostname"
grep -q '^sshd_flags=""$' "$T/out/etc/rc.conf" || fail "freebsd: rc.conf lost a line"
[[ $(awk -F: '$1 == "root" {print $2}' "$T/out/etc/master.passwd") == '$6$'* ]] || fail "freebsd: not sha512"
detach "$DISK"
echo "PASS"
