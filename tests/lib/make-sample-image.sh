#!/bin/bash
# make-sample-image.sh OUT SIZE_MIB [FILES_DIR] [LABEL]
# A small but real disk image: an MBR partition table with one bootable
# Linux partition from sector 2048 to the end, holding an ext4 file system
# made from FILES_DIR (default: a few generated files). No mount, no root.
set -euo pipefail
out=$1 size_mib=$2 files=${3:-} label=${4:-imgdeploy-sample}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$files" ]; then
    files=$tmp/root
    mkdir -p "$files/etc" "$files/root" "$files/data"
    echo "sample" > "$files/etc/hostname"
    printf 'UUID=placeholder / ext4 defaults 0 1\n' > "$files/etc/fstab"
    echo "imgdeploy sample image" > "$files/root/README"
    head -c $((size_mib * 1024 * 256)) /dev/urandom > "$files/data/random.bin"  # a quarter of the disk
    seq 1 200000 > "$files/data/numbers.txt"
fi
rm -f "$out"
truncate -s "${size_mib}M" "$out"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$out"
mkfs.ext4 -q -F -L "$label" -d "$files" -E offset=1048576 "$out" $(( (size_mib - 1) * 1024 ))k
