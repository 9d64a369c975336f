#!/bin/bash
# `imgdeploy ganeti create` end to end, with Ganeti's environment and no
# Ganeti: real Debian 12 images (built by mmdebstrap, cached outside the
# build tree) deployed onto larger loop devices, customized by the real
# helper VM under TCG (built here from the build tree with
# imgdeploy-build-helper), then checked independently of the helper by
# mounting the deployed root on the host.
source "$(dirname "$0")/common.sh"
require_root
build=$(dirname "$(dirname "$IMGDEPLOY")")
CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86 is not installed (./build.sh deps)"
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed (./build.sh deps)"

chmod 755 "$T"  # the helper VM runs as nobody and reads the helper image
step "build the helper image from the build tree"
"$build/helper-image-builder/imgdeploy-build-helper" --output "$T/helper" \
    --helper-binary "$build/helper/imgdeploy-helper" --builtin-tasks "$build/tasks/bin" \
    --tasks-dir "$T/no-drop-ins" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "imgdeploy-build-helper"; }
write_config "helper:" "  dir: $T/helper" "  soft_timeout_s: 300" "  memory_mib: 512"

PASSWORD='Corr3ct-Horse-Battery'
KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvKyC1lFfYqDL2d3AFOeRH0p8xYjD0cOsVEGV3N2P1l e2e@test'
HELLO=$(printf 'hello from personality\n' | base64 -w0)
PERSONALITY='[{"path": "/root/hello.txt", "contents": "'$HELLO'", "owner": "root", "group": "root", "mode": 420},
              {"path": "/etc/motd.d/imgdeploy", "contents": "'$HELLO'", "mode": 384}]'

# ganeti_create DISK IMG_ID NAME: the create script with Ganeti's environment.
ganeti_create() {
    (cd "$SRC/ganeti-os" && env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin IMGDEPLOY_BIN="$IMGDEPLOY" \
        IMGDEPLOY_CONFIG="$IMGDEPLOY_CONFIG" OS_API_VERSION=20 OS_NAME=imgdeploy OS_VARIANT=default \
        DEBUG_LEVEL=0 INSTANCE_NAME="$3" HYPERVISOR=kvm INSTANCE_HV_disk_type=paravirtual \
        DISK_COUNT=1 DISK_0_PATH="$1" DISK_0_ACCESS=rw DISK_0_BACKEND_TYPE=block \
        NIC_COUNT=1 NIC_0_MAC=aa:00:00:67:4d:8c NIC_0_MODE=bridged \
        OSP_IMG_ID="$2" OSP_IMG_FORMAT=diskdump OSP_IMG_PASSWD="$PASSWORD" OSP_AUTH_KEYS="$KEY" \
        OSP_IMG_PERSONALITY="$PERSONALITY" ./create)
}

check_deployed() {  # LOOP NAME LAYOUT
    local dev=$1 name=$2 layout=$3 root part
    partx -a "$dev" 2>/dev/null || partx -u "$dev"
    root=$(sfdisk -J "$dev" | "$PYTHON" -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"]; print(p[-1]["node"])')
    mkdir -p "$T/mnt"
    mount -o ro "$root" "$T/mnt"
    MOUNTED=$T/mnt
    [ "$(cat "$T/mnt/etc/hostname")" = "$name" ] || fail "$layout: /etc/hostname is $(cat "$T/mnt/etc/hostname")"
    grep -q "^127.0.1.1.*$name" "$T/mnt/etc/hosts" || fail "$layout: /etc/hosts"
    hash=$(awk -F: '$1 == "root" {print $2}' "$T/mnt/etc/shadow")
    [ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$hash")" = "$hash" ] || fail "$layout: root password does not verify"
    grep -qxF "$KEY" "$T/mnt/root/.ssh/authorized_keys" || fail "$layout: authorized_keys"
    [ "$(stat -c %a "$T/mnt/root/.ssh/authorized_keys")" = 600 ] || fail "$layout: authorized_keys mode"
    for k in "$T/mnt"/etc/ssh/ssh_host_*_key.pub; do
        grep -q template "$k" && fail "$layout: $k is still the image's template key"
    done
    ls "$T/mnt"/etc/ssh/ssh_host_ed25519_key >/dev/null || fail "$layout: no new ed25519 host key"
    [ "$(cat "$T/mnt/etc/machine-id")" != 0123456789abcdef0123456789abcdef ] || fail "$layout: machine-id unchanged"
    grep -qxE '[0-9a-f]{32}' "$T/mnt/etc/machine-id" || fail "$layout: machine-id format"
    [ "$(cat "$T/mnt/root/hello.txt")" = "hello from personality" ] || fail "$layout: personality file"
    [ "$(stat -c '%a %U %G' "$T/mnt/root/hello.txt")" = "644 root root" ] || fail "$layout: personality mode/owner"
    [ "$(stat -c %a "$T/mnt/etc/motd.d/imgdeploy")" = 600 ] || fail "$layout: personality mode 384"
    # The last partition and its file system fill the (larger) disk.
    local disk_bytes part_end fs_bytes
    disk_bytes=$(blockdev --getsize64 "$dev")
    part_end=$(sfdisk -J "$dev" | "$PYTHON" -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"][-1]; print((p["start"]+p["size"])*512)')
    [ $((disk_bytes - part_end)) -lt $((2 * MIB)) ] || fail "$layout: last partition ends at $part_end of $disk_bytes"
    fs_bytes=$(df -B1 --output=size "$T/mnt" | tail -1)
    [ "$fs_bytes" -gt $((1200 * MIB)) ] || fail "$layout: file system not grown ($fs_bytes bytes)"
    umount "$T/mnt"
    MOUNTED=
    partx -d "$dev" 2>/dev/null || true
}
MOUNTED=
e2e_cleanup() {
    local rc=$?
    [ -z "$MOUNTED" ] || umount "$MOUNTED"
    (exit $rc)
    cleanup
}
trap e2e_cleanup EXIT

for layout in ${IMGDEPLOY_E2E_LAYOUTS:-mbr-ext4 gpt-xfs gpt-btrfs mbr-logical}; do
    step "$layout: deploy and customize"
    img=$CACHE/debian-$layout.img
    [ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" "$layout" "$img" >/dev/null
    ln -f "$img" "$T/images/debian-$layout.img" 2>/dev/null || cp --sparse=always "$img" "$T/images/debian-$layout.img"
    rm -f "$T/disk"
    truncate -s 1536M "$T/disk"
    dev=$(new_loop "$T/disk")
    name=node-$layout.example.org
    start=$(date +%s.%N)
    ganeti_create "$dev" "debian-$layout.img" "$name" >"$T/create.log" 2>&1 || { cat "$T/create.log"; fail "$layout: create"; }
    [ -z "${IMGDEPLOY_E2E_SHOW_LOG:-}" ] || cat "$T/create.log"
    echo "   create took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    grep -q 'Image customization finished successfully' "$T/create.log" || { cat "$T/create.log"; fail "$layout: no success message"; }
    grep -q "$PASSWORD" "$T/create.log" && fail "$layout: the password reached the log"
    check_deployed "$dev" "$name" "$layout"
done
no_leftovers
echo PASS
