#!/bin/bash
# make-debian-image.sh LAYOUT OUT [SIZE_MIB]
# A real Debian 12 disk image, built from the Debian archive with
# mmdebstrap (root needed: loop mounts for xfs). LAYOUT:
#   mbr-ext4    MBR, one ext4 root partition
#   gpt-xfs     GPT, one xfs root partition
#   gpt-btrfs   GPT, one btrfs root partition
#   mbr-logical MBR, /boot ext4 primary + extended with an ext4 root logical
#   mbr-ext4-boot  bootable: mbr-ext4 with a kernel and GRUB (BIOS) on it
#   gpt-xfs-boot   bootable: GPT, a BIOS boot partition (1) first, then the
#                  xfs root (2), with a kernel and GRUB
# The fstab names file systems by UUID. The root filesystem tarball is
# cached beside OUT (debian-bookworm-rootfs.tar) and reused; the bootable
# layouts use a second one (debian-bookworm-boot-rootfs.tar) that also has
# the kernel, systemd as init (a getty on the serial console) and udev.
# GRUB is installed from the host (grub-pc-bin), its grub.cfg boots with the
# console on ttyS0.
set -euo pipefail
layout=$1 out=$2 size_mib=${3:-1024} name=$1
cache=$(dirname "$out")
mkdir -p "$cache"
boot=
case $layout in
    mbr-ext4-boot|gpt-xfs-boot) boot=yes; layout=${layout%-boot} ;;
esac
rootfs_tar=$cache/debian-bookworm${boot:+-boot}-rootfs.tar
packages=openssh-server,dbus,passwd,login,e2fsprogs,xfsprogs,btrfs-progs,ifupdown,iproute2,netbase,cloud-guest-utils
boot_opts=()
if [ -n "$boot" ]; then
    command -v grub-install >/dev/null || { echo "make-debian-image: grub-install is missing (grub-pc-bin, grub2-common)" >&2; exit 1; }
    packages+=,linux-image-amd64,systemd-sysv,udev,kmod,initramfs-tools,zstd
    # A small initramfs (the virtio disk and the two root file systems), no
    # resume device taken from the build host's swap, and no drivers for
    # hardware a VM does not have (a third less to deploy).
    for d in drivers/gpu drivers/media drivers/net/wireless drivers/net/ethernet drivers/infiniband \
             drivers/staging drivers/iio drivers/usb sound net/wireless net/mac80211; do
        boot_opts+=(--dpkgopt="path-exclude=/lib/modules/*/kernel/$d/*" --dpkgopt="path-exclude=/usr/lib/modules/*/kernel/$d/*")
    done
    boot_opts+=(--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && printf "MODULES=list\nRESUME=none\n" > "$1/etc/initramfs-tools/conf.d/imgdeploy-test" && printf "virtio_pci\nvirtio_blk\next4\nxfs\ncrc32c_generic\n" > "$1/etc/initramfs-tools/modules"')
fi
work=$(mktemp -d /tmp/imgdeploy-debian.XXXXXX)
loops=()
cleanup() {
    umount "$work/mnt" 2>/dev/null || true
    for l in "${loops[@]}"; do partx -d "$l" 2>/dev/null || true; losetup -d "$l" 2>/dev/null || true; done
    rm -rf "$work" "${tmp:-}"
    [ -z "${rootfs_tmp:-}" ] || rm -f "$rootfs_tmp"
}
trap cleanup EXIT

if [ ! -s "$rootfs_tar" ]; then
    echo "make-debian-image: building the Debian rootfs with mmdebstrap (once)" >&2
    rootfs_tmp=$rootfs_tar.tmp.$$  # (another run may build the same one meanwhile)
    mmdebstrap --quiet --variant=minbase --format=tar \
        --include="$packages" "${boot_opts[@]}" \
        --customize-hook='echo debian-template > "$1/etc/hostname"' \
        --customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 debian-template\n" > "$1/etc/hosts"' \
        bookworm "$rootfs_tmp"
    mv "$rootfs_tmp" "$rootfs_tar"
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

# write_grub_cfg ROOT_DIR LABEL FS_TYPE ROOT_UUID: boots the installed
# kernel at once (1 s timeout, no menu), console on the first serial port.
write_grub_cfg() {
    local dir=$1 label=$2 type=$3 uuid=$4 kver
    kver=$(basename "$(ls "$dir"/boot/vmlinuz-* | tail -1)")
    kver=${kver#vmlinuz-}
    mkdir -p "$dir/boot/grub"
    cat > "$dir/boot/grub/grub.cfg" <<EOF
set default=0
set timeout_style=hidden
set timeout=1
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
menuentry 'Debian GNU/Linux 12, Linux $kver' {
    insmod part_$([ "$label" = dos ] && echo msdos || echo gpt)
    insmod $([ "$type" = ext4 ] && echo ext2 || echo "$type")
    search --no-floppy --fs-uuid --set=root $uuid
    linux /boot/vmlinuz-$kver root=UUID=$uuid ro console=ttyS0,115200n8 systemd.show_status=0
    initrd /boot/initrd.img-$kver
}
EOF
}

# install_grub IMAGE: the host's GRUB for BIOS (grub-pc-bin) into the
# image's boot sector (core image after it, or in the BIOS boot partition)
# and into its root's /boot/grub.
install_grub() {
    local l root
    l=$(losetup -f --show "$1")
    loops+=("$l")
    partx -d "$l" 2>/dev/null || true  # partitions a former user of this loop device left
    partx -a "$l"
    root=$(sfdisk -J "$l" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][-1]["node"])')
    mount "$root" "$work/mnt"
    grub-install --target=i386-pc --boot-directory="$work/mnt/boot" --locales= --fonts= --themes= \
        "$l" 2>"$work/grub.log" || { cat "$work/grub.log" >&2; exit 1; }
    umount "$work/mnt"
    # (a partition can stay busy a moment after umount; never leave it on
    # the loop device for its next user)
    local i
    for i in 1 2 3 4 5 6; do
        partx -d "$l" 2>/dev/null && break
        [ $i -lt 6 ] || { echo "make-debian-image: the partitions of $l stay busy" >&2; exit 1; }
        sleep 1
    done
    losetup -d "$l"
}

tmp=$out.tmp.$$  # (another run may build the same image meanwhile)
rm -f "$tmp"
truncate -s "${size_mib}M" "$tmp"
case $layout in
    mbr-ext4|gpt-xfs|gpt-btrfs)
        type=${layout#*-}
        label=$([ "${layout%%-*}" = mbr ] && echo dos || echo gpt)
        printf 'UUID=%s / %s defaults 0 1\n' "$root_uuid" "$type" > "$work/root/etc/fstab"
        root_mib=1 bios_boot=
        if [ -n "$boot" ] && [ $label = gpt ]; then  # GRUB's core image goes to a BIOS boot partition
            root_mib=2 part_mib=$((part_mib - 1))
            bios_boot='start=2048, size=1MiB, type=21686148-6449-6E6F-744E-656564454649\n'
        fi
        [ -z "$boot" ] || write_grub_cfg "$work/root" "$label" "$type" "$root_uuid"
        printf "label: %s\n${bios_boot}start=%d, size=%dMiB, type=%s\n" "$label" $((root_mib * 2048)) "$part_mib" \
            "$([ $label = dos ] && echo 83 || echo 0FC63DAF-8483-4772-8E79-3D69D8477DE4)" | sfdisk -q "$tmp"
        make_fs "$type" "$work/part" "$part_mib" "$root_uuid" "$work/root"
        dd if="$work/part" of="$tmp" bs=1M seek=$root_mib conv=notrunc,sparse status=none
        [ -z "$boot" ] || install_grub "$tmp"
        ;;
    mbr-logical)
        mkdir -p "$work/boot"
        mv "$work/root/boot/"* "$work/boot/" 2>/dev/null || true
        echo "boot partition" > "$work/boot/README"
        printf 'UUID=%s / ext4 defaults 0 1\nUUID=%s /boot ext4 defaults 0 2\n' "$root_uuid" "$boot_uuid" > "$work/root/etc/fstab"
        printf 'label: dos\nstart=2048, size=64MiB, type=83\ntype=5\ntype=83\n' | sfdisk -q "$tmp"
        make_fs ext4 "$work/boot.part" 64 "$boot_uuid" "$work/boot"
        dd if="$work/boot.part" of="$tmp" bs=1M seek=1 conv=notrunc,sparse status=none
        read -r start sectors < <(sfdisk -J "$tmp" | /usr/bin/python3 -c 'import json,sys; p=[p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p["node"].endswith("5")][0]; print(p["start"], p["size"])')
        make_fs ext4 "$work/root.part" $((sectors / 2048)) "$root_uuid" "$work/root"
        dd if="$work/root.part" of="$tmp" bs=512 seek="$start" conv=notrunc,sparse status=none
        ;;
    *) echo "make-debian-image: unknown layout $layout" >&2; exit 2 ;;
esac
mv "$tmp" "$out"
echo "$out: $name, root UUID $root_uuid"
