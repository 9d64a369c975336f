#!/bin/bash
# The built-in tasks, run for real on the host against small disk images on
# loop devices, in the order the helper runs them (10 -> 80), with the task
# environment contract of tasks/README.md. Each image is built at its
# "image" size and attached after growing its file, as a deployment onto a
# larger instance disk would leave it. Everything is then checked
# independently: sfdisk/partx/blkid, dumpe2fs/xfs_info/btrfs, and the files
# of the image, mounted again by this script.
source "$(dirname "$0")/common.sh"
require_root
TASKS_BIN=${IMGDEPLOY_TASKS_BIN:?set by ctest: tasks/bin of the build tree}
for tool in sfdisk partx mkfs.ext4 mkfs.xfs mkfs.btrfs ssh-keygen perl; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# Unmount whatever this test left under $T (innermost first) and drop the
# partitions it added (a detached loop device keeps BLKPG partitions)
# before common.sh's cleanup detaches the loop devices.
release_under_t() {
    local mp dev
    awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | tac |
        while read -r mp; do umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true; done
    for dev in "${LOOPS[@]}"; do partx -d "$dev" 2>/dev/null || true; done
}
trap 'release_under_t; cleanup' EXIT

OUTSIDE=/tmp/imgdeploy-outside-marker-$$
[ ! -e "$OUTSIDE" ] || fail "$OUTSIDE exists before the test"
HOSTNAME_FQDN=web1.example.org
PASSWORD='S3cret pass:word!'
KEY1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1tZXN0a2V5b25lZm9ydGVzdGluZ29ubHkxMjM0NTY3 test@one"
KEY2="ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDtestkeytwo test@two"
TODAY=$(( $(date +%s) / 86400 ))
b64() { printf '%s' "$1" | base64 -w0; }
MIB_SECTORS=2048

# --- building images ------------------------------------------------------

# make_tree DIR FSTAB: a small Linux root with what the tasks touch.
make_tree() {
    local d=$1
    mkdir -p "$d"/{etc/ssh,root,home/alice,var/lib/dbus,boot,tmp}
    cat > "$d/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000:Alice:/home/alice:/bin/bash
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
EOF
    printf 'root:x:0:\nshadow:x:42:\nwww-data:x:33:\nalice:x:1000:\n' > "$d/etc/group"
    printf 'root:*:19000:0:99999:7:::\nalice:$6$old$hash:19001:1:90:14:30::\nwww-data:*:19000:0:99999:7:::\n' > "$d/etc/shadow"
    chown 0:42 "$d/etc/shadow"
    chmod 0640 "$d/etc/shadow"
    printf '%s' "$2" > "$d/etc/fstab"
    echo template > "$d/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\ttemplate\n\n::1 localhost ip6-localhost\n' > "$d/etc/hosts"
    echo 12.5 > "$d/etc/debian_version"
    printf 'ID=debian\nVERSION_ID="12"\n' > "$d/etc/os-release"
    printf 'PermitRootLogin prohibit-password\nAuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2\n' \
        > "$d/etc/ssh/sshd_config"
    ssh-keygen -q -t ed25519 -N '' -C template -f "$d/etc/ssh/ssh_host_ed25519_key"
    ssh-keygen -q -t rsa -b 1024 -N '' -C template -f "$d/etc/ssh/ssh_host_rsa_key"
    echo 0123456789abcdef0123456789abcdef > "$d/etc/machine-id"
    chmod 0444 "$d/etc/machine-id"
    ln -s /etc/machine-id "$d/var/lib/dbus/machine-id"
    chown 1000:1000 "$d/home/alice"
    chmod 0750 "$d/home/alice"
    # Hostile: absolute symlinks that, followed on the host, leave the image:
    # one to a directory the image has, one dangling.
    mkdir -p "$d$OUTSIDE"
    ln -s "$OUTSIDE" "$d/evil"
    ln -s "$OUTSIDE-dangling" "$d/evil2"
}

# attach FILE: sets DISK to a new loop device for FILE, with its partitions
# added by partx (this kernel does not scan loop devices). Not in a
# subshell, so that common.sh's cleanup knows the device.
attach() {
    DISK=$(losetup -f --show "$1") || skip "cannot attach a loop device"
    LOOPS+=("$DISK")
    partx -d "$DISK" 2>/dev/null || true  # stale ones of an earlier user
    partx -a "$DISK"
}

# build_disk FILE SIZE_MIB SFDISK_SCRIPT: a partitioned disk file, attached.
build_disk() {
    rm -f "$1"
    truncate -s "$2M" "$1"
    printf '%b' "$3" | sfdisk -q "$1"
    attach "$1"
}

# fill PART_DEV DIR: copies DIR's content into the file system on PART_DEV.
fill() {
    mkdir -p "$T/fill"
    mount "$1" "$T/fill"
    cp -a "$2/." "$T/fill/"
    umount "$T/fill"
}

detach() {
    partx -d "$1" 2>/dev/null || true
    losetup -d "$1"
    local keep=() dev
    for dev in "${LOOPS[@]}"; do [ "$dev" = "$1" ] || keep+=("$dev"); done
    LOOPS=("${keep[@]}")
}

# --- running tasks ------------------------------------------------------

TASKS=(10FixPartitionTable 20FilesystemResizeUnmounted 30MountImage 40FilesystemResizeMounted
    50AssignHostname 50ChangeMachineId 50ChangePassword 50DeleteSSHKeys 60EnforcePersonality 80UmountImage)

# run_task NAME [VAR=value...]: the task with a clean environment, as the
# helper runs it; monitor lines go to $T/monitor, output to $T/task.out/err.
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

# run_ok NAME [VAR=value...]
run_ok() {
    run_task "$@" || { cat "$T/task.out" "$T/task.err" >&2; fail "$1 failed"; }
    if grep -E 'terminate called|Aborted|AddressSanitizer|runtime error' "$T/task.err" >/dev/null; then
        cat "$T/task.err" >&2
        fail "$1: crash output"
    fi
}

# run_fails PATTERN NAME [VAR=value...]: exit status non-zero and one
# "NAME: ..." stderr line matching PATTERN, and an ERROR monitor line.
run_fails() {
    local pattern=$1 name=$2 rc=0 before
    shift
    before=$(wc -l < "$T/monitor")
    run_task "$@" || rc=$?
    [ $rc -ne 0 ] || { cat "$T/task.out" "$T/task.err" >&2; fail "$name succeeded, expected a failure"; }
    grep -E "^$name: .*($pattern)" "$T/task.err" >/dev/null || {
        cat "$T/task.err" >&2
        fail "$name: no error line matching /$pattern/"
    }
    tail -n +$((before + 1)) "$T/monitor" | grep -E "^ERROR:.*($pattern)" >/dev/null ||
        fail "$name: no ERROR monitor line matching /$pattern/"
    echo "   ok: $(grep -E "^$name: " "$T/task.err" | head -1 | cut -c1-150)"
}

# The personality of the main run: a default file, an owned file in a new
# directory, and a file through the hostile symlink.
PERSONALITY=$(cat <<EOF
[{"path": "/etc/motd", "contents": "$(b64 'welcome')"},
 {"path": "/home/alice/notes/hello.txt", "contents": "$(b64 'hi alice')", "owner": "alice", "group": "alice", "mode": 384},
 {"path": "/evil/planted", "contents": "$(b64 'should stay inside')", "owner": "www-data", "group": "www-data", "mode": 420}]
EOF
)

run_all_tasks() {
    : > "$T/monitor"
    mkdir -p "$T/target"
    local name
    for name in "${TASKS[@]}"; do
        run_ok "$name" SNF_IMAGE_PASSWD="$PASSWORD" SNF_IMAGE_AUTH_KEYS="$KEY1
$KEY2" SNF_IMAGE_PROPERTY_USERS="root alice" SNF_IMAGE_PERSONALITY="$PERSONALITY"
        echo "   $name: $(tail -1 "$T/task.out" 2>/dev/null | cut -c1-140)"
    done
    grep -qvE '^(WARNING|ERROR):' "$T/monitor" && fail "monitor lines not in the protocol: $(cat "$T/monitor")"
    if grep -q '^ERROR:' "$T/monitor"; then fail "ERROR monitor lines in a good run"; fi
    if grep -F -q "$PASSWORD" "$T/monitor" "$T/task.out" "$T/task.err"; then fail "the password was printed"; fi
    awk -v t="$T/target" 'index($5, t) == 1' /proc/self/mountinfo | grep -q . && fail "80UmountImage left mounts"
    true
}

# --- checking results -----------------------------------------------------

sectors_of() { blockdev --getsz "$1"; }

# check_table DISK LAST_PART LABEL: the last partition reaches the disk's
# end (within the label's tail and 1 MiB alignment), the kernel agrees.
check_table() {
    local disk=$1 part=$2 label=$3 total end start size ksize
    total=$(sectors_of "$disk")
    read -r start size < <(sfdisk -J "$disk" | /usr/bin/python3 -c "
import json, sys
p = [p for p in json.load(sys.stdin)['partitiontable']['partitions'] if p['node'].endswith('$part')][0]
print(p['start'], p['size'])")
    end=$((start + size))
    [ $((total - end)) -le $((MIB_SECTORS + 34)) ] || fail "partition $part ends at $end of $total sectors"
    ksize=$(cat "/sys/class/block/$(basename "$disk")p$part/size")
    [ "$ksize" = "$size" ] || fail "kernel size of partition $part is $ksize, table says $size"
    sfdisk --verify "$disk" > "$T/verify" 2>&1 || { cat "$T/verify" >&2; fail "sfdisk --verify $disk"; }
    grep -q 'No errors detected' "$T/verify" || { cat "$T/verify" >&2; fail "sfdisk --verify found errors"; }
    if [ "$label" = gpt ]; then
        # The backup GPT header occupies the disk's last sector.
        [ "$(dd if="$disk" bs=512 skip=$((total - 1)) count=1 status=none | head -c 8)" = "EFI PART" ] ||
            fail "no backup GPT header at the end of $disk"
    fi
    echo "   ok: partition $part ends $((total - end)) sectors before the end of $disk ($label)"
}

# check_fs_fills PART_DEV BYTES_OF_FS: at least 97% of the partition.
check_fs_fills() {
    local part_bytes
    part_bytes=$(blockdev --getsize64 "$1")
    [ "$2" -ge $((part_bytes / 100 * 97)) ] || fail "file system on $1 has $2 of $part_bytes bytes"
    echo "   ok: file system on $1 grown to $2 of $part_bytes bytes"
}

ext_bytes() {
    dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ {c=$2} /^Block size/ {s=$2} END {print c*s}'
}

# check_files ROOTDIR: everything the mounted tasks did, read back.
check_files() {
    local r=$1 line hash
    [ "$(cat "$r/etc/hostname")" = "$HOSTNAME_FQDN" ] || fail "/etc/hostname is $(cat "$r/etc/hostname")"
    grep -qP "^127\.0\.1\.1\t$HOSTNAME_FQDN web1$" "$r/etc/hosts" || fail "/etc/hosts: $(cat "$r/etc/hosts")"
    grep -q '^::1 localhost ip6-localhost$' "$r/etc/hosts" || fail "/etc/hosts lost a line"
    # shadow: hash verifies, lastchange today, position and aging kept, mode and owner kept.
    line=$(sed -n 1p "$r/etc/shadow")
    hash=$(cut -d: -f2 <<<"$line")
    [[ $hash == '$6$'* ]] || fail "root's hash is not sha512"
    [ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$hash")" = "$hash" ] || fail "root's hash does not verify"
    [ "$(cut -d: -f3- <<<"$line")" = "$TODAY:0:99999:7:::" ] || fail "root's shadow fields: $line"
    line=$(sed -n 2p "$r/etc/shadow")
    [ "$(cut -d: -f1 <<<"$line")" = alice ] || fail "alice's shadow line moved"
    [ "$(cut -d: -f3- <<<"$line")" = "$TODAY:1:90:14:30::" ] || fail "alice's aging fields: $line"
    [ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$(cut -d: -f2 <<<"$line")")" = "$(cut -d: -f2 <<<"$line")" ] ||
        fail "alice's hash does not verify"
    [ "$(sed -n 3p "$r/etc/shadow")" = 'www-data:*:19000:0:99999:7:::' ] || fail "www-data's shadow line changed"
    [ "$(stat -c %a:%u:%g "$r/etc/shadow")" = 640:0:42 ] || fail "shadow mode/owner: $(stat -c %a:%u:%g "$r/etc/shadow")"
    # authorized keys for both users, with modes and owners.
    for spec in root:/root:0 alice:/home/alice:1000; do
        IFS=: read -r user home uid <<<"$spec"
        grep -qxF "$KEY1" "$r$home/.ssh/authorized_keys" || fail "$user: key 1 missing"
        grep -qxF "$KEY2" "$r$home/.ssh/authorized_keys" || fail "$user: key 2 missing"
        [ "$(stat -c %a:%u "$r$home/.ssh")" = "700:$uid" ] || fail "$user: .ssh is $(stat -c %a:%u "$r$home/.ssh")"
        [ "$(stat -c %a:%u "$r$home/.ssh/authorized_keys")" = "600:$uid" ] || fail "$user: authorized_keys mode/owner"
    done
    # new host keys of the same types, other fingerprints.
    for type in ed25519 rsa; do
        local fp
        fp=$(ssh-keygen -lf "$r/etc/ssh/ssh_host_${type}_key.pub" | awk '{print $2}')
        [ -n "$fp" ] || fail "no new $type host key"
        grep -qF "$fp" "$T/old-fingerprints" && fail "$type host key was not replaced"
        grep -q "root@$HOSTNAME_FQDN" "$r/etc/ssh/ssh_host_${type}_key.pub" || fail "$type key comment"
        [ "$(stat -c %a "$r/etc/ssh/ssh_host_${type}_key")" = 600 ] || fail "$type private key mode"
    done
    [ ! -e "$r/etc/ssh/ssh_host_ecdsa_key" ] || fail "an ecdsa key appeared although the image had none"
    # machine-id: new, 32 hex, the dbus symlink kept.
    grep -qxE '[0-9a-f]{32}' "$r/etc/machine-id" || fail "machine-id: $(cat "$r/etc/machine-id")"
    [ "$(cat "$r/etc/machine-id")" != 0123456789abcdef0123456789abcdef ] || fail "machine-id unchanged"
    [ -L "$r/var/lib/dbus/machine-id" ] || fail "the dbus machine-id symlink was replaced"
    # personality.
    [ "$(cat "$r/etc/motd")" = welcome ] && [ "$(stat -c %a:%u:%g "$r/etc/motd")" = 440:0:0 ] || fail "/etc/motd"
    [ "$(cat "$r/home/alice/notes/hello.txt")" = "hi alice" ] || fail "alice's note"
    [ "$(stat -c %a:%u:%g "$r/home/alice/notes/hello.txt")" = 600:1000:1000 ] || fail "alice's note mode/owner"
    [ "$(stat -c %a:%u:%g "$r/home/alice/notes")" = 750:1000:1000 ] || fail "alice's notes dir mode/owner"
    [ "$(cat "$r$OUTSIDE/planted")" = "should stay inside" ] || fail "the file behind /evil is not inside the image"
    [ "$(stat -c %a:%u:%g "$r$OUTSIDE/planted")" = 644:33:33 ] || fail "/evil/planted mode/owner"
    [ ! -e "$OUTSIDE" ] || fail "a personality file escaped the image to $OUTSIDE"
    echo "   ok: hostname, hosts, shadow, authorized_keys, host keys, machine-id, personality"
}

record_fingerprints() {
    for k in "$1"/etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k" | awk '{print $2}'; done > "$T/old-fingerprints"
}

mount_check() { mkdir -p "$T/check"; mount "$1" "$T/check"; }
umount_check() { umount "$T/check"; }

# --- case 1: MBR, ext4 /boot primary, root ext4 on the last logical ------------
step "MBR + ext4, root on a logical partition, 64 MiB image on a 128 MiB disk"
mkdir -p "$T/tree1"
make_tree "$T/tree1" "# fstab
UUID=11111111-1111-4111-8111-111111111111 / ext4 errors=remount-ro 0 1
UUID=22222222-2222-4222-8222-222222222222 /boot ext4 defaults,noatime 0 2
proc /proc proc defaults 0 0
/dev/fd0 /media/floppy auto noauto,user 0 0
tmpfs /tmp tmpfs defaults 0 0
"
record_fingerprints "$T/tree1"
echo "boot files" > "$T/boot-readme"
build_disk "$T/disk1.img" 64 'label: dos\nstart=2048, size=16MiB, type=83\ntype=5\ntype=83\n'
mkfs.ext4 -q -U 22222222-2222-4222-8222-222222222222 "${DISK}p1"
mkfs.ext4 -q -U 11111111-1111-4111-8111-111111111111 -d "$T/tree1" "${DISK}p5"
mkdir -p "$T/bootdir" && cp "$T/boot-readme" "$T/bootdir/README" && fill "${DISK}p1" "$T/bootdir"
detach "$DISK"
truncate -s 128M "$T/disk1.img"
attach "$T/disk1.img"
RESIZE_PART=5 ROOT_PART=5
run_all_tasks
check_table "$DISK" 5 dos
ext_size=$(sfdisk -J "$DISK" | /usr/bin/python3 -c "import json,sys; print([p for p in json.load(sys.stdin)['partitiontable']['partitions'] if p['node'].endswith('p2')][0]['size'])")
[ $(( $(sectors_of "$DISK") - ext_size - 34816 )) -le $MIB_SECTORS ] || fail "the extended partition was not grown"
check_fs_fills "${DISK}p5" "$(ext_bytes "${DISK}p5")"
[ "$(blkid -o value -s UUID "${DISK}p5")" = 11111111-1111-4111-8111-111111111111 ] || fail "the root UUID changed"
e2fsck -fn "${DISK}p5" >/dev/null 2>&1 || fail "e2fsck finds errors on the grown root file system"
mount_check "${DISK}p5"
check_files "$T/check"
umount_check
mount_check "${DISK}p1"
[ "$(cat "$T/check/README")" = "boot files" ] || fail "/boot was not the boot partition"
umount_check
grep -q '^WARNING:not mounting /etc/fstab line 5' "$T/monitor" || fail "no warning for the noauto fstab line"

step "idempotent: 10FixPartitionTable and 20FilesystemResizeUnmounted again change nothing"
sfdisk -d "$DISK" > "$T/table-before"
run_ok 10FixPartitionTable
grep -q 'already ends at the end of the disk' "$T/task.out" || fail "10FixPartitionTable: $(cat "$T/task.out")"
sfdisk -d "$DISK" | cmp -s - "$T/table-before" || fail "the second run changed the partition table"
run_ok 20FilesystemResizeUnmounted

step "exclusions: EXCLUDE_TASK_<NAME>, EXCLUDE_MOUNTED_TASKS"
: > "$T/monitor"
run_ok 30MountImage
cp "$T/target/etc/machine-id" "$T/machine-id-before"
run_ok 50ChangeMachineId SNF_IMAGE_PROPERTY_EXCLUDE_TASK_CHANGEMACHINEID=yes
grep -qx 'WARNING:skipped: EXCLUDE_TASK_CHANGEMACHINEID' "$T/monitor" || fail "no skip warning: $(cat "$T/monitor")"
cmp -s "$T/target/etc/machine-id" "$T/machine-id-before" || fail "an excluded task ran"
run_ok 50AssignHostname SNF_IMAGE_PROPERTY_EXCLUDE_MOUNTED_TASKS=on SNF_IMAGE_HOSTNAME=other
grep -qx 'WARNING:skipped: EXCLUDE_MOUNTED_TASKS' "$T/monitor" || fail "no EXCLUDE_MOUNTED_TASKS warning"
[ "$(cat "$T/target/etc/hostname")" = "$HOSTNAME_FQDN" ] || fail "an excluded task ran"

step "failing cases exit non-zero with one clear line"
cp "$T/target/etc/shadow" "$T/shadow-before"
run_fails "user 'ghost' \\(from USERS\\) not in /etc/shadow" 50ChangePassword \
    SNF_IMAGE_PASSWD=x SNF_IMAGE_PROPERTY_USERS="root ghost"
cmp -s "$T/target/etc/shadow" "$T/shadow-before" || fail "a failed 50ChangePassword changed /etc/shadow"
run_fails "personality entry 1: path '/etc/../../escape' contains '..'" 60EnforcePersonality \
    SNF_IMAGE_PERSONALITY="[{\"path\": \"/etc/ok\", \"contents\": \"$(b64 ok)\"}, {\"path\": \"/etc/../../escape\", \"contents\": \"$(b64 x)\"}]"
[ ! -e "$T/target/etc/ok" ] || fail "a refused personality wrote some files"
run_fails "personality entry 0 \\(/evil2/x\\): .*symlink to a missing directory" 60EnforcePersonality \
    SNF_IMAGE_PERSONALITY="[{\"path\": \"/evil2/x\", \"contents\": \"$(b64 x)\"}]"
[ ! -e "$OUTSIDE-dangling" ] || fail "a personality file escaped the image to $OUTSIDE-dangling"
run_fails "owner 'mallory' is not in the image's /etc/passwd" 60EnforcePersonality \
    SNF_IMAGE_PERSONALITY="[{\"path\": \"/etc/x\", \"contents\": \"$(b64 x)\", \"owner\": \"mallory\"}]"
run_fails "not a valid host name" 50AssignHostname SNF_IMAGE_HOSTNAME="bad_name.example.org"
# A user's .ssh that points at /etc: root must not write or chown through it.
rm -rf "$T/target/home/alice/.ssh"
ln -s /etc "$T/target/home/alice/.ssh"
run_fails "authorized keys of alice .*refusing to follow a symlink" 50ChangePassword \
    SNF_IMAGE_AUTH_KEYS="$KEY1" SNF_IMAGE_PROPERTY_USERS=alice
[ ! -e "$T/target/etc/authorized_keys" ] || fail "keys were written through alice's .ssh symlink"
[ "$(stat -c %u "$T/target/etc")" = 0 ] || fail "/etc was chowned through alice's .ssh symlink"
# fstab naming a device by its kernel name.
printf 'UUID=11111111-1111-4111-8111-111111111111 / ext4 defaults 0 1\n/dev/sda1 /boot ext4 defaults 0 2\n' \
    > "$T/target/etc/fstab"
run_ok 80UmountImage
run_fails "/etc/fstab line 2 .*device '/dev/sda1' is not given by UUID= or LABEL=" 30MountImage
awk -v t="$T/target" 'index($5, t) == 1' /proc/self/mountinfo | grep -q . && fail "a failed 30MountImage left mounts"
run_fails "no file system found on the root partition" 30MountImage SNF_IMAGE_PROPERTY_ROOT_PARTITION=2
run_fails "SNF_IMAGE_TARGET .*not mounted|nothing is mounted" 50ChangeMachineId
[ ! -e "$OUTSIDE" ] || fail "something escaped to $OUTSIDE"
detach "$DISK"

# --- case 2: GPT, vfat /boot/efi + xfs root -----------------------------------
step "GPT + xfs root (+ ext4 by LABEL on a missing mount point), 320 MiB image on a 400 MiB disk"
mkdir -p "$T/tree2"
make_tree "$T/tree2" "UUID=33333333-3333-4333-8333-333333333333 / xfs defaults 0 1
LABEL=data /srv/data auto defaults 0 2
"
record_fingerprints "$T/tree2"
build_disk "$T/disk2.img" 320 'label: gpt\nstart=2048, size=8MiB, type=U\ntype=L\n'
mkfs.ext4 -q -L data "${DISK}p1"
mkfs.xfs -q -f -m uuid=33333333-3333-4333-8333-333333333333 "${DISK}p2"
fill "${DISK}p2" "$T/tree2"
detach "$DISK"
truncate -s 400M "$T/disk2.img"
attach "$T/disk2.img"
sfdisk --verify "$DISK" > "$T/verify" 2>&1 || true
grep -q 'not on the end of the device' "$T/verify" || { cat "$T/verify"; fail "the grown GPT disk did not need fixing"; }
RESIZE_PART=2 ROOT_PART=2
run_all_tasks
check_table "$DISK" 2 gpt
mount_check "${DISK}p2"
xfs_bytes=$(xfs_info "$T/check" | awk -F'[ =,]+' '/^data/ {for (i=1;i<NF;i++) {if ($i=="bsize") b=$(i+1); if ($i=="blocks") c=$(i+1)}} END {print b*c}')
check_fs_fills "${DISK}p2" "$xfs_bytes"
umount_check
xfs_repair -n "${DISK}p2" >/dev/null 2>&1 || fail "xfs_repair -n finds errors on the grown root file system"
mount_check "${DISK}p2"
check_files "$T/check"
[ -d "$T/check/srv/data" ] || fail "the missing mount point /srv/data was not created"
umount_check
grep -q '^WARNING:creating the missing mount point /srv/data' "$T/monitor" || fail "no warning for /srv/data"
detach "$DISK"

# --- case 3: GPT, btrfs root --------------------------------------------------
step "GPT + btrfs root, 320 MiB image on a 400 MiB disk (this kernel refuses to grow a btrfs below 256 MiB)"
mkdir -p "$T/tree3"
make_tree "$T/tree3" "LABEL=rootfs / btrfs defaults 0 0
"
record_fingerprints "$T/tree3"
build_disk "$T/disk3.img" 320 'label: gpt\nstart=2048, type=L\n'
mkfs.btrfs -q -f -L rootfs --rootdir "$T/tree3" "${DISK}p1" >/dev/null
detach "$DISK"
truncate -s 400M "$T/disk3.img"
attach "$T/disk3.img"
RESIZE_PART=1 ROOT_PART=1
run_all_tasks
check_table "$DISK" 1 gpt
mount_check "${DISK}p1"
btrfs_bytes=$(btrfs filesystem show --raw "$T/check" | awk '/devid/ {print $4}')
check_fs_fills "${DISK}p1" "$btrfs_bytes"
umount_check
btrfs check --readonly "${DISK}p1" >/dev/null 2>&1 || fail "btrfs check finds errors on the grown root file system"
mount_check "${DISK}p1"
check_files "$T/check"
umount_check
detach "$DISK"

[ ! -e "$OUTSIDE" ] && [ ! -e "$OUTSIDE-dangling" ] || fail "something escaped to $OUTSIDE"
echo "PASS: built-in tasks on MBR/ext4 (logical), GPT/xfs and GPT/btrfs images"
