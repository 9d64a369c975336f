#!/bin/bash
# Boot test: bootable Debian 12 images (kernel, systemd, GRUB for BIOS; MBR
# with ext4, GPT with a BIOS boot partition and xfs) deployed with
# `imgdeploy ganeti create` in Ganeti's environment (hostname, password,
# swap partition, static IPv4 on the NIC) onto a larger loop device, then
# booted from that device under qemu TCG. Through the serial console
# (tests/lib/serial_login.py) the test sees the requested hostname at the
# login prompt, logs in as root with the requested password (once a wrong
# one is refused), and checks from inside the running system: new SSH host
# keys (none of the template's), the root file system spanning the disk up
# to the swap partition, the swap partition in use, and the requested
# address and default route on the interface with the requested MAC.
source "$(dirname "$0")/common.sh"
require_root
build=$(dirname "$(dirname "$IMGDEPLOY")")
CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
for c in qemu-system-x86_64 mmdebstrap grub-install; do
    command -v $c >/dev/null || fail "$c is not installed (./build.sh deps)"
done

chmod 755 "$T"  # the helper VM runs as nobody and reads the helper image
step "build the helper image from the build tree"
"$build/helper-image-builder/imgdeploy-build-helper" --output "$T/helper" \
    --helper-binary "$build/helper/imgdeploy-helper" --builtin-tasks "$build/tasks/bin" \
    --tasks-dir "$T/no-drop-ins" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "imgdeploy-build-helper"; }
write_config "helper:" "  dir: $T/helper" "  soft_timeout_s: 300" "  memory_mib: 512"

PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '/+' '_-')
MAC=52:54:00:12:34:56 IP=10.0.2.15 GATEWAY=10.0.2.2
DISK_MIB=1536 SWAP_MIB=128

# ganeti_create DISK IMG_ID NAME PROPERTIES: the create script with Ganeti's environment.
ganeti_create() {
    (cd "$SRC/ganeti-os" && env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin IMGDEPLOY_BIN="$IMGDEPLOY" \
        IMGDEPLOY_CONFIG="$IMGDEPLOY_CONFIG" OS_API_VERSION=20 OS_NAME=imgdeploy OS_VARIANT=default \
        DEBUG_LEVEL=0 INSTANCE_NAME="$3" HYPERVISOR=kvm INSTANCE_HV_disk_type=paravirtual \
        DISK_COUNT=1 DISK_0_PATH="$1" DISK_0_ACCESS=rw DISK_0_BACKEND_TYPE=block \
        NIC_COUNT=1 NIC_0_MAC=$MAC NIC_0_MODE=bridged NIC_0_IP=$IP \
        NIC_0_NETWORK_SUBNET=10.0.2.0/24 NIC_0_NETWORK_GATEWAY=$GATEWAY \
        OSP_IMG_ID="$2" OSP_IMG_FORMAT=diskdump OSP_IMG_PASSWD="$PASSWORD" \
        OSP_IMG_PROPERTIES="$4" ./create)
}

# template_key_hashes IMAGE: the sha256 of each SSH host public key in the
# template image, one per line, read from its root (the last partition).
template_key_hashes() {
    local dev root
    dev=$(losetup -f --show -r "$1")
    echo "$dev" >> "$T/.loops"
    partx -d "$dev" 2>/dev/null || true  # partitions a former user of this loop device left
    partx -a "$dev"
    root=$(sfdisk -J "$dev" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][-1]["node"])')
    mkdir -p "$T/tmpl"
    mount -o ro,norecovery "$root" "$T/tmpl" 2>/dev/null || mount -o ro "$root" "$T/tmpl"
    MOUNTED=$T/tmpl
    for k in "$T/tmpl"/etc/ssh/ssh_host_*_key.pub; do sha256sum < "$k" | cut -d' ' -f1; done
    umount "$T/tmpl"
    MOUNTED=
    local i  # (a partition can stay busy a moment after umount)
    for i in 1 2 3 4 5 6; do partx -d "$dev" 2>/dev/null && break; sleep 1; done
}

# What the test runs in the booted system, NAME=COMMAND.
GUEST_COMMANDS=(
    'hostname=hostname'
    'swaps=cat /proc/swaps'
    'rootfs=df -B1 --output=source,size / | tail -1'
    'disk=echo "disk $(cat /sys/class/block/vda/size)"; for p in /sys/class/block/vda/vda*; do echo ${p##*/} $(cat $p/partition $p/start $p/size); done'
    'hostkeys=for k in /etc/ssh/ssh_host_*_key.pub; do sha256sum < $k | cut -d" " -f1; done'
    'links=ip -o link show'
    'addrs=ip -4 -o addr show'
    'routes=ip route'
    'failed=systemctl --failed --no-legend --plain'
    'startup=systemd-analyze | head -1'
)

# check_guest LAYOUT SWAP_PART: the outcome seen from inside the VM; every
# failed check is reported before failing.
check_guest() {
    local layout=$1 swap_part=$2 out=$T/out-$1 bad=()
    [ "$(cat "$out/hostname")" = "$NAME" ] || bad+=("hostname is '$(cat "$out/hostname")', not $NAME")

    # SSH host keys: some, and none of the template's.
    [ "$(wc -l < "$out/hostkeys")" -ge 2 ] || bad+=("fewer than 2 SSH host keys: $(cat "$out/hostkeys")")
    grep -qxFf "$T/template-keys-$layout" "$out/hostkeys" && bad+=("an SSH host key is still the template's")

    # Root file system: its partition reaches the swap partition (or the
    # disk's end), and the file system fills its partition.
    local disk_sectors root_dev root_part fs_bytes part_start part_sectors limit swap_start
    disk_sectors=$(awk '$1 == "disk" {print $2}' "$out/disk")
    [ "$((disk_sectors * 512))" = "$((DISK_MIB * MIB))" ] || bad+=("the VM's disk has $disk_sectors sectors")
    read -r root_dev fs_bytes < "$out/rootfs"
    root_part=${root_dev#/dev/}
    read -r _ _ part_start part_sectors < <(awk -v p="$root_part" '$1 == p' "$out/disk") || true
    limit=$disk_sectors
    swap_start=$(awk -v n="$swap_part" '$2 == n {print $3}' "$out/disk")
    [ -z "$swap_start" ] || limit=$swap_start
    if [ -z "${part_sectors:-}" ]; then
        bad+=("root $root_dev is not a partition of vda: $(cat "$out/disk")")
    else
        [ $((limit - part_start - part_sectors)) -lt 4096 ] ||
            bad+=("root partition $root_dev ends at sector $((part_start + part_sectors)), not near $limit")
        [ "$fs_bytes" -gt $((part_sectors * 512 * 9 / 10)) ] ||
            bad+=("root file system has $fs_bytes bytes, its partition $((part_sectors * 512))")
    fi

    # Swap: the requested partition, in use.
    local swap_kib
    swap_kib=$(awk -v d="/dev/vda$swap_part" '$1 == d && $2 == "partition" {print $3}' "$out/swaps")
    if [ -z "$swap_kib" ]; then
        bad+=("no swap on /dev/vda$swap_part: $(tr '\n' ' ' < "$out/swaps")")
    else
        [ "$swap_kib" -gt $(((SWAP_MIB - 2) * 1024)) ] && [ "$swap_kib" -le $((SWAP_MIB * 1024)) ] ||
            bad+=("swap on /dev/vda$swap_part has $swap_kib KiB, not ~$SWAP_MIB MiB")
    fi

    # Network: the address and the default route on the interface with the MAC.
    local ifname
    ifname=$(awk -v mac="$MAC" '{for (i = 1; i < NF; i++) if ($i == "link/ether" && $(i + 1) == mac) {sub(":$", "", $2); print $2}}' "$out/links")
    if [ -z "$ifname" ]; then
        bad+=("no interface with MAC $MAC: $(cat "$out/links")")
    else
        awk -v i="$ifname" -v a="$IP/24" '$2 == i && $3 == "inet" && $4 == a {f = 1} END {exit !f}' "$out/addrs" ||
            bad+=("$ifname has no $IP/24: $(tr '\n' ' ' < "$out/addrs")")
        grep -qE "^default via $GATEWAY dev $ifname( |$)" "$out/routes" ||
            bad+=("no default route via $GATEWAY on $ifname: $(tr '\n' ' ' < "$out/routes")")
    fi

    echo "   $(cat "$out/startup")"
    if [ -s "$out/failed" ]; then echo "   failed units (not checked): $(awk '{printf "%s ", $1}' "$out/failed")"; fi
    if [ ${#bad[@]} -gt 0 ]; then
        printf "   $layout: %s\n" "${bad[@]}" >&2
        fail "$layout: ${#bad[@]} check(s) failed in the booted system"
    fi
    echo "   $layout: hostname, password, new host keys, root fs $((fs_bytes / MIB)) MiB, swap $((swap_kib / 1024)) MiB, $ifname $IP via $GATEWAY"
}

MOUNTED=
QEMU_PID=
boot_cleanup() {
    local rc=$?
    set +e  # (a failing `(exit $rc)` must not end the trap before cleanup)
    [ -z "$QEMU_PID" ] || { kill "$QEMU_PID" 2>/dev/null; wait "$QEMU_PID" 2>/dev/null; }
    [ -z "$MOUNTED" ] || umount "$MOUNTED"
    (exit $rc)
    cleanup  # reads the status from $?
}
trap boot_cleanup EXIT

first=yes
for layout in ${IMGDEPLOY_BOOT_LAYOUTS:-mbr-ext4-boot gpt-xfs-boot}; do
    case $layout in
        mbr-*) swap_part=2 ;;  # root 1
        gpt-*) swap_part=3 ;;  # BIOS boot 1, root 2
    esac
    step "$layout: deploy"
    img=$CACHE/debian-$layout.img
    [ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" "$layout" "$img" >/dev/null
    ln -f "$img" "$T/images/debian-$layout.img" 2>/dev/null || cp --sparse=always "$img" "$T/images/debian-$layout.img"
    template_key_hashes "$img" > "$T/template-keys-$layout"
    [ -s "$T/template-keys-$layout" ] || fail "$layout: the template image has no SSH host keys"
    rm -f "$T/disk"
    truncate -s ${DISK_MIB}M "$T/disk"
    dev=$(new_loop "$T/disk")
    NAME=bootcheck-${layout%-boot}-$RANDOM
    start=$(date +%s.%N)
    ganeti_create "$dev" "debian-$layout.img" "$NAME" "{\"SWAP\": \"$swap_part:$SWAP_MIB\"}" >"$T/create.log" 2>&1 ||
        { cat "$T/create.log"; fail "$layout: create"; }
    echo "   create took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    grep -qF -- "$PASSWORD" "$T/create.log" && fail "$layout: the password reached the log"

    step "$layout: boot the deployed disk under qemu (TCG) and log in on the serial console"
    sock=$T/serial-$layout.sock
    qemu-system-x86_64 -machine accel=tcg -m 1024 -nographic -monitor none -no-reboot \
        -serial "unix:$sock,server=on,wait=on" -drive "file=$dev,format=raw,if=virtio" \
        -nic "user,model=virtio-net-pci,mac=$MAC,restrict=on" </dev/null >"$T/qemu-$layout.log" 2>&1 &
    QEMU_PID=$!
    SERIAL_LOGIN_PASSWORD=$PASSWORD "$PYTHON" "$SRC/tests/lib/serial_login.py" --socket "$sock" \
        --hostname "$NAME" --log "$T/console-$layout.log" --out "$T/out-$layout" \
        ${first:+--wrong-password} --boot-timeout 300 "${GUEST_COMMANDS[@]}" ||
        { cat "$T/qemu-$layout.log" >&2; fail "$layout: serial console"; }
    for _ in $(seq 100); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$QEMU_PID" 2>/dev/null && fail "$layout: qemu still runs after the VM powered off"
    wait "$QEMU_PID" || fail "$layout: qemu exited with status $?: $(cat "$T/qemu-$layout.log")"
    QEMU_PID=
    grep -qF -- "$PASSWORD" "$T/console-$layout.log" && fail "$layout: the password appeared on the console"
    check_guest "$layout" "$swap_part"
    first=
done
no_leftovers
echo PASS
