#!/bin/bash
# make-debian-image.sh LAYOUT OUT [SIZE_MIB]
# A real Debian 12 disk image, built from the Debian archive with
# mmdebstrap (root needed: loop mounts for xfs). LAYOUT:
#   mbr-ext4    MBR, one ext4 root partition
#   gpt-xfs     GPT, one xfs root partition
#   gpt-btrfs   GPT, one btrfs root partition
#   mbr-logical MBR, /boot ext4 primary + extended with an ext4 root logical
# The fstab names file systems by UUID. The root filesystem tarball is
# cached beside OUT (debian-bookworm-rootfs.tar) and reused.
set -euo pipefail
layout=$1 out=$2 size_mib=${3:-1024}
cache=$(dirname "$out")
mkdir -p "$cache"
rootfs_tar=$cache/debian-bookworm-rootfs.tar
work=$(mktemp -d /tmp/imgdeploy-debian.XXXXXX)
loops=()
cleanup() {
    umount "$work/mnt" 2>/dev/null || true
    for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -s "$rootfs_tar" ]; then
    echo "make-debian-image: building the Debian rootfs with mmdebstrap (once)" >&2
    mmdebstrap --quiet --variant=minbase --format=tar \
        --include=openssh-server,dbus,passwd,login,e2fsprogs,xfsprogs,btrfs-progs,ifupdown,iproute2,netbase,cloud-guest-utils \
        --customize-hook='echo debian-template > "$1/etc/hostname"' \
        --customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 debian-template\n" > "$1/etc/hosts"' \
        bookworm "$rootfs_tar.tmp"
    mv "$rootfs_tar.tmp" "$rootfs_tar"
fi
mkdir -p "$work/root" "$work/mnt"
tar -C "$work/root" --numeric-owner -xpf "$rootfs_tar"
rm -f "$work/root/etc/ssh/ssh_host_"*  # the image carries its own template keys:
ssh-keygen -q -t ed25519 -N '' -C template -f "$work/root/etc/ssh/ssh_host_ed25519_key"
ssh-keygen -q -t rsa -b 2048 -N '' -C template -f "$work/root/etc/ssh/ssh_host_rsa_key"
echo 0123456789abcdef0123456789abcdef > "$work/root/etc/machine-id"

root_uuid=$(cat /proc/sys/kernel/random/uuid)
boot_uuid=$(cat /proc/sys/kernel/random/uuid)
part_mib=$((size_mib - 2))

make_fs() {  # TYPE FILE SIZE_MIB UUID SOURCE_DIR
    local type=$1 file=$2 mib=$3 uuid=$4 src=$5
    rm -f "$file"
    truncate -s "${mib}M" "$file"
    case $type in
        ext4) mkfs.ext4 -q -F -U "$uuid" -d "$src" "$file" ;;
        btrfs) mkfs.btrfs -q -f -U "$uuid" --rootdir "$src" "$file" >/dev/null ;;
        xfs)
            mkfs.xfs -q -f -m uuid="$uuid" "$file"
            local l
            l=$(losetup -f --show "$file")
            loops+=("$l")
            mount "$l" "$work/mnt"
            cp -a "$src/." "$work/mnt/"
            umount "$work/mnt"
            losetup -d "$l"
            ;;
    esac
}

rm -f "$out.tmp"
truncate -s "${size_mib}M" "$out.tmp"
case $layout in
    mbr-ext4|gpt-xfs|gpt-btrfs)
        type=${layout#*-}
        label=$([ "${layout%%-*}" = mbr ] && echo dos || echo gpt)
        printf 'UUID=%s / %s defaults 0 1\n' "$root_uuid" "$type" > "$work/root/etc/fstab"
        printf 'label: %s\nstart=2048, size=%dMiB, type=%s\n' "$label" "$part_mib" \
            "$([ $label = dos ] && echo 83 || echo 0FC63DAF-8483-4772-8E79-3D69D8477DE4)" | sfdisk -q "$out.tmp"
        make_fs "$type" "$work/part" "$part_mib" "$root_uuid" "$work/root"
        dd if="$work/part" of="$out.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
        ;;
    mbr-logical)
        mkdir -p "$work/boot"
        mv "$work/root/boot/"* "$work/boot/" 2>/dev/null || true
        echo "boot partition" > "$work/boot/README"
        printf 'UUID=%s / ext4 defaults 0 1\nUUID=%s /boot ext4 defaults 0 2\n' "$root_uuid" "$boot_uuid" > "$work/root/etc/fstab"
        printf 'label: dos\nstart=2048, size=64MiB, type=83\ntype=5\ntype=83\n' | sfdisk -q "$out.tmp"
        make_fs ext4 "$work/boot.part" 64 "$boot_uuid" "$work/boot"
        dd if="$work/boot.part" of="$out.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
        read -r start sectors < <(sfdisk -J "$out.tmp" | /usr/bin/python3 -c 'import json,sys; p=[p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p["node"].endswith("5")][0]; print(p["start"], p["size"])')
        make_fs ext4 "$work/root.part" $((sectors / 2048)) "$root_uuid" "$work/root"
        dd if="$work/root.part" of="$out.tmp" bs=512 seek="$start" conv=notrunc,sparse status=none
        ;;
    *) echo "make-debian-image: unknown layout $layout" >&2; exit 2 ;;
esac
mv "$out.tmp" "$out"
echo "$out: $layout, root UUID $root_uuid"
