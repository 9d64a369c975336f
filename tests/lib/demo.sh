#!/bin/bash
# demo.sh IMGDEPLOY: the main job on an embedded default. Generates a small
# but real disk image (MBR + ext4 with files), publishes it zstd-compressed
# with a .sha256 beside it, deploys it with `imgdeploy deploy` onto a dirty
# scratch disk file, and shows what happened. Everything lives in one
# directory, printed at the end.
set -euo pipefail
imgdeploy=${1:?usage: demo.sh path/to/imgdeploy}
here=$(cd "$(dirname "$0")" && pwd)
demo=${IMGDEPLOY_DEMO_DIR:-/var/tmp/imgdeploy-demo}
rm -rf "$demo"
mkdir -p "$demo/images" "$demo/files/etc" "$demo/files/root"

echo "== 1. a sample image: MBR partition table + ext4 with files"
echo "demo-host" > "$demo/files/etc/hostname"
echo "Deployed by imgdeploy's demo." > "$demo/files/root/README"
cp /etc/os-release "$demo/files/etc/os-release"
head -c $((8 << 20)) /dev/urandom > "$demo/files/root/random.bin"
"$here/make-sample-image.sh" "$demo/sample.raw" 64 "$demo/files" demo-root
zstd -q -19 -c "$demo/sample.raw" > "$demo/images/sample.img.zst"
(cd "$demo/images" && sha256sum sample.img.zst > sample.img.zst.sha256)
echo '{"properties": {"OSFAMILY": "linux", "ROOT_PARTITION": "1"}}' > "$demo/images/sample.img.zst.meta"
ls -l "$demo/images"

echo
echo "== 2. a dirty 128 MiB scratch disk"
{ yes 'old disk contents' || true; } | head -c $((128 << 20)) > "$demo/scratch.disk"
echo "image_dir: $demo/images" > "$demo/imgdeploy.yaml"

echo
echo "== 3. imgdeploy deploy"
cmd=("$imgdeploy" deploy --config "$demo/imgdeploy.yaml" --disk "$demo/scratch.disk"
     --name demo1 -O img_id=sample.img.zst --no-customize)
echo "\$ ${cmd[*]}"
"${cmd[@]}" 2>&1 | tee "$demo/deploy.log"

echo
echo "== 4. what is on the scratch disk now"
sfdisk -l "$demo/scratch.disk"
echo
echo "file system on partition 1:"
e2fsck -fn "$demo/scratch.disk?offset=1048576" 2>&1 | tail -1
debugfs -R 'cat /etc/hostname' "$demo/scratch.disk?offset=1048576" 2>/dev/null | sed 's/^/  \/etc\/hostname: /'
echo
if cmp -s -n "$(stat -c %s "$demo/sample.raw")" "$demo/sample.raw" "$demo/scratch.disk"; then
    echo "the scratch disk is byte-identical to the image over its 64 MiB extent"
else
    echo "MISMATCH between the image and the scratch disk" >&2
    exit 1
fi
grep -o 'checksum verified.*' "$demo/deploy.log"
echo
echo "demo files are in $demo"
