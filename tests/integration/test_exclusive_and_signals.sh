#!/bin/bash
# Two deployments cannot write one disk (O_EXCL on block devices, flock on
# files); SIGTERM and SIGINT stop a deployment cleanly: exit 143/130, no
# process left, the disk's first MiB zeroed once writing had begun.
source "$(dirname "$0")/common.sh"
require_root

sample_image "$T/sample.raw" 24
cp "$T/sample.raw" "$T/images/ok.img"
start_http
cp "$T/sample.raw" "$T/www/disk.img"
write_config "http:" "  low_speed_timeout_s: 60"

for kind in file loop; do
    step "a second deploy onto a $kind disk already being written is refused"
    dirty_disk "$T/disk" 32
    disk=$T/disk
    [ $kind = loop ] && disk=$(new_loop "$T/disk")
    # The first deployment stalls on its HTTP source while holding the disk.
    "$IMGDEPLOY" deploy --disk "$disk" -O "img_id=$HTTP/stall/disk.img" --no-customize \
        --progress none 2>"$T/first.err" &
    first=$!
    PIDS+=("$first")
    for _ in $(seq 100); do
        grep -q 'deploying' "$T/first.err" 2>/dev/null && break
        sleep 0.1
    done
    expect_error 'in use' deploy "$disk" ok.img
    kill -TERM "$first"
    rc=0
    wait "$first" || rc=$?
    [ $rc = 143 ] || fail "SIGTERM: exit status $rc, expected 143"
    grep -q 'imgdeploy: error: interrupted by' "$T/first.err" || fail "no interruption message"
    # Only 64 KiB had arrived, all held back: the disk was never written.
    untouched_after "$disk" 0
done

step "a mounted block device is refused"
dirty_disk "$T/fsdisk" 16
mkfs.ext4 -q -F "$T/fsdisk"
fsdev=$(new_loop "$T/fsdisk")
mkdir -p "$T/mnt"
mount "$fsdev" "$T/mnt"
rc=0
expect_error 'in use' deploy "$fsdev" ok.img || rc=$?
umount "$T/mnt"
[ $rc = 0 ] || exit $rc

for sig in TERM INT; do
    step "SIG$sig while writing: exit $([ $sig = TERM ] && echo 143 || echo 130), first MiB zeroed"
    dirty_disk "$T/disk" 32
    disk=$(new_loop "$T/disk")
    # 12 MiB arrive at once, then the stream waits: writing has begun.
    mkfifo "$T/fifo"
    ( head -c $((12 * MIB)) "$T/sample.raw"; exec sleep 60 ) > "$T/fifo" &
    feeder=$!
    PIDS+=("$feeder")
    ( cd "$SRC/ganeti-os" && exec env -i PATH=/usr/bin:/bin IMGDEPLOY_BIN="$IMGDEPLOY" OS_API_VERSION=20 \
        INSTANCE_NAME=i1 IMPORT_DISK_PATH="$disk" ./import < "$T/fifo" 2>"$T/import.err" ) &
    importer=$!
    PIDS+=("$importer")
    for _ in $(seq 100); do
        [ "$(head -c 16 "$disk" | od -An -c | tr -d ' ')" != "$(dirty_stream 16 | od -An -c | tr -d ' ')" ] && break
        cmp -s -n $MIB <(tail -c +$((4 * MIB + 1)) "$disk") <(tail -c +$((4 * MIB + 1)) "$T/sample.raw") && break
        sleep 0.1
    done
    kill -$sig "$importer"
    rc=0
    wait "$importer" || rc=$?
    want=$([ $sig = TERM ] && echo 143 || echo 130)
    [ $rc = "$want" ] || { cat "$T/import.err"; fail "SIG$sig: exit status $rc, expected $want"; }
    is_zero "$disk" 0 $MIB
    kill "$feeder" 2>/dev/null || true
    wait "$feeder" 2>/dev/null || true
    rm -f "$T/fifo"
done
no_leftovers
echo PASS
