#!/bin/bash
# bench/helper.sh BUILD_DIR — the helper VM's time to SUCCESS under TCG, per
# phase: qemu start, kernel boot, helper init (modules, floppy, disk probe),
# each task, power-off. A real Debian 12 image of 2 GiB (MBR + ext4, built
# with mmdebstrap, cached in /var/tmp/imgdeploy-bench) is deployed onto a
# 3 GiB loop device with a password, an SSH key and a personality file, so
# every core task does real work. Not a test: it prints and records.
set -euo pipefail
build=$(cd "${1:?usage: bench/helper.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${BENCH_RUNS:-3}
cache=/var/tmp/imgdeploy-bench
mkdir -p "$cache/images"
work=$(mktemp -d /tmp/imgdeploy-bench-helper.XXXXXX)
chmod 755 "$work"
loop=
cleanup() {
    [ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

img=$cache/images/debian-2g.img
if [ ! -s "$img" ]; then
    echo "building the 2 GiB Debian image (once)..." >&2
    "$root/tests/lib/make-debian-image.sh" mbr-ext4 "$img" 2048 >&2
fi
"$build/helper-image-builder/imgdeploy-build-helper" --output "$work/helper" \
    --helper-binary "$build/helper/imgdeploy-helper" --builtin-tasks "$build/tasks/bin" \
    --tasks-dir "$work/none" >/dev/null 2>&1
cat > "$work/imgdeploy.yaml" <<CFG
image_dir: $cache/images
helper:
  dir: $work/helper
  accel: tcg
  soft_timeout_s: 600
CFG
key='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvKyC1lFfYqDL2d3AFOeRH0p8xYjD0cOsVEGV3N2P1l bench@host'
personality='[{"path": "/root/bench.txt", "contents": "'$(echo bench | base64)'", "mode": 420}]'

for i in $(seq "$runs"); do
    rm -f "$work/disk"
    truncate -s 3G "$work/disk"
    loop=$(losetup -f --show --direct-io=on "$work/disk")
    IMGDEPLOY_CONFIG=$work/imgdeploy.yaml "$build/host/imgdeploy" deploy --disk "$loop" \
        --name bench.example.org -O img_id=debian-2g.img -O img_passwd=bench-Passw0rd \
        -O "auth_keys=$key" -O "img_personality=$personality" --progress json \
        >"$work/run$i.json" 2>"$work/run$i.log" || { cat "$work/run$i.log" >&2; exit 1; }
    losetup -d "$loop"
    loop=
done
/usr/bin/python3 "$here/helper_phases.py" "$work"/run*.log
