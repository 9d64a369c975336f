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
        OSP_IMG_PERSONALITY="$PERSONALITY" "${E2E_EXTRA[@]}" ./create)
}
E2E_EXTRA=()

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
    set +e  # a failing step here must not skip cleanup (errexit applies in traps)
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

# e2e_deploy IMG NAME: create onto a fresh 1536 MiB loop device ($dev), with
# E2E_EXTRA added to Ganeti's environment.
e2e_deploy() {
    rm -f "$T/disk"
    truncate -s 1536M "$T/disk"
    dev=$(new_loop "$T/disk")
    local start
    start=$(date +%s.%N)
    ganeti_create "$dev" "$1" "$2" >"$T/create.log" 2>&1 || { cat "$T/create.log"; fail "$2: create"; }
    echo "   create took $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    grep -q 'Image customization finished successfully' "$T/create.log" || { cat "$T/create.log"; fail "$2: no success message"; }
    grep -q "$PASSWORD" "$T/create.log" && fail "$2: the password reached the log"
    partx -a "$dev" 2>/dev/null || partx -u "$dev"
}

if [ "${IMGDEPLOY_E2E_MORE:-1}" = 1 ]; then
    img=$CACHE/debian-mbr-ext4.img
    [ -s "$img" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$img" >/dev/null
    ln -f "$img" "$T/images/debian-mbr-ext4.img" 2>/dev/null || cp --sparse=always "$img" "$T/images/debian-mbr-ext4.img"

    step "mbr-ext4 with SWAP=2:64 and a CUSTOM_TASK"
    custom=$(printf '#!/bin/sh\necho "custom $SNF_IMAGE_HOSTNAME" > "$SNF_IMAGE_TARGET/root/custom-task-ran"\n' | base64 -w0)
    E2E_EXTRA=(OSP_IMG_PROPERTIES="{\"SWAP\": \"2:64\", \"CUSTOM_TASK\": \"$custom\"}")
    e2e_deploy debian-mbr-ext4.img swap.example.org
    read -r p1_end p2_start p2_size p2_type < <(sfdisk -J "$dev" | "$PYTHON" -c 'import json,sys
p = json.load(sys.stdin)["partitiontable"]["partitions"]
print(p[0]["start"] + p[0]["size"], p[1]["start"], p[1]["size"], p[1]["type"])')
    [ "$p2_type" = 82 ] && [ "$p2_size" = $((64 * 2048)) ] || fail "swap: partition 2 is type $p2_type, $p2_size sectors"
    [ $(($(blockdev --getsz "$dev") - p2_start - p2_size)) -lt 2048 ] || fail "swap: partition 2 does not end at the disk's end"
    [ $((p2_start - p1_end)) -lt 2048 ] || fail "swap: the root partition was not grown up to the swap partition"
    [ "$(blkid -p -o value -s TYPE "${dev}p2")" = swap ] || fail "swap: no swap signature on partition 2"
    swap_uuid=$(blkid -p -o value -s UUID "${dev}p2")
    mkdir -p "$T/mnt"
    mount -o ro "${dev}p1" "$T/mnt"
    MOUNTED=$T/mnt
    grep -qx "UUID=$swap_uuid none swap sw 0 0" "$T/mnt/etc/fstab" || fail "swap: not in fstab: $(cat "$T/mnt/etc/fstab")"
    [ "$(cat "$T/mnt/root/custom-task-ran")" = "custom swap.example.org" ] || fail "the CUSTOM_TASK did not run"
    [ "$(cat "$T/mnt/etc/hostname")" = swap.example.org ] || fail "swap: /etc/hostname"
    umount "$T/mnt"
    MOUNTED=
    partx -d "$dev" 2>/dev/null || true
    echo "   ok: swap partition 2 ($swap_uuid) in fstab, root grown up to it, custom task ran"

    step "mbr-ext4 with CLOUD_INIT (cloud-init's /etc/cloud added to a copy of the image)"
    cp --sparse=always "$img" "$T/images/debian-ci.img"
    ci_loop=$(new_loop "$T/images/debian-ci.img")
    partx -a "$ci_loop" 2>/dev/null || partx -u "$ci_loop"
    mount "${ci_loop}p1" "$T/mnt"
    MOUNTED=$T/mnt
    mkdir -p "$T/mnt/etc/cloud/cloud.cfg.d"
    umount "$T/mnt"
    MOUNTED=
    partx -d "$ci_loop" 2>/dev/null || true
    losetup -d "$ci_loop"
    userdata=$'#cloud-config\nruncmd:\n  - [touch, /root/user-data-ran]\n'
    E2E_EXTRA=(OSP_IMG_PROPERTIES='{"CLOUD_INIT": "yes"}' OSP_CLOUD_USERDATA="$(printf '%s' "$userdata" | base64 -w0)")
    e2e_deploy debian-ci.img ci.example.org
    mount -o ro "${dev}p1" "$T/mnt"
    MOUNTED=$T/mnt
    seed=$T/mnt/var/lib/cloud/seed/nocloud-net
    [ "$("$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["local-hostname"])' "$seed/meta-data")" = ci.example.org ] ||
        fail "cloud-init: meta-data: $(cat "$seed/meta-data")"
    grep -q "$(printf '%s' "$KEY" | cut -d' ' -f2)" "$seed/meta-data" || fail "cloud-init: no public key in meta-data"
    [ "$(cat "$seed/user-data")" = "${userdata%$'\n'}" ] || fail "cloud-init: user-data"
    cfgd=$T/mnt/etc/cloud/cloud.cfg.d
    "$PYTHON" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["datasource_list"] == ["NoCloud", "None"]; assert d["datasource"]["NoCloud"]["meta-data"]["local-hostname"] == "ci.example.org"' \
        "$cfgd/98_imgdeploy-InitializeDatasource.cfg" || fail "cloud-init: inline datasource config"
    hash=$("$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["chpasswd"]["users"][0]["password"])' "$cfgd/98_imgdeploy-ChangePassword.cfg")
    [ "$(perl -e 'print crypt($ARGV[0], $ARGV[1])' "$PASSWORD" "$hash")" = "$hash" ] || fail "cloud-init: the chpasswd hash does not verify"
    [ "$(cat "$T/mnt/etc/hostname")" = debian-template ] || fail "cloud-init: /etc/hostname was written"
    [ ! -e "$T/mnt/root/.ssh/authorized_keys" ] || fail "cloud-init: authorized_keys was written"
    [ -x "$T/mnt/var/lib/cloud/scripts/per-once/imgdeploy-clear-secrets.sh" ] || fail "cloud-init: no clear-secrets script"
    [ -x "$T/mnt/var/lib/cloud/scripts/per-once/imgdeploy-personality.sh" ] || fail "cloud-init: no personality script"
    [ "$(cat "$T/mnt/etc/machine-id")" != 0123456789abcdef0123456789abcdef ] || fail "cloud-init: machine-id unchanged"
    umount "$T/mnt"
    MOUNTED=
    partx -d "$dev" 2>/dev/null || true
    echo "   ok: NoCloud seed and inline config, chpasswd drop-in, image files left to cloud-init"
fi
no_leftovers
echo PASS
