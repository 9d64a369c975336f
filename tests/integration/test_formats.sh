#!/bin/bash
# Every image format onto a loop device and onto a disk file: the target is
# byte-identical to the decompressed image over its extent and untouched
# past it; compression is found by magic bytes, not by name.
source "$(dirname "$0")/common.sh"
require_root

sample_image "$T/sample.raw" 40
img=$T/images
cp "$T/sample.raw" "$img/raw.img"
gzip -c "$T/sample.raw" > "$img/gz.img"
xz -T2 --block-size=4MiB -c "$T/sample.raw" > "$img/xz.img"
zstd -q -c "$T/sample.raw" > "$img/zst.img"
bzip2 -c "$T/sample.raw" > "$img/bz2.img"
# Concatenated gzip members and an odd-sized image (unaligned tail).
head -c $((20 * MIB)) "$T/sample.raw" | gzip -c > "$img/multi.gz"
tail -c +$((20 * MIB + 1)) "$T/sample.raw" | gzip -c >> "$img/multi.gz"
head -c 12345679 "$T/sample.raw" > "$T/odd.raw"
cp "$T/odd.raw" "$img/odd.img"
xz -c "$T/odd.raw" > "$img/odd.xz"
# Names lie: this "raw" name holds zstd data.
cp "$img/zst.img" "$img/looks-raw.img"

size=$(stat -c %s "$T/sample.raw")
check() {  # DISK IMG_ID REFERENCE
    local ref_size
    ref_size=$(stat -c %s "$3")
    deploy "$1" "$2" 2>"$T/log" || { cat "$T/log"; fail "deploy $2 onto $1"; }
    same_prefix "$3" "$1" "$ref_size"
    untouched_after "$1" "$ref_size"
    echo "   ok: $2 onto $1"
}

for target in file loop; do
    step "formats onto a $target"
    for id in raw.img gz.img xz.img zst.img bz2.img multi.gz looks-raw.img local://raw.img file://raw.img; do
        dirty_disk "$T/disk" 64
        disk=$T/disk
        [ $target = loop ] && disk=$(new_loop "$T/disk")
        check "$disk" "$id" "$T/sample.raw"
    done
    for id in odd.img odd.xz; do
        dirty_disk "$T/disk" 64
        disk=$T/disk
        [ $target = loop ] && disk=$(new_loop "$T/disk")
        check "$disk" "$id" "$T/odd.raw"
    done
done

step "the log names the detected compression and the zeroed bytes"
dirty_disk "$T/disk" 64
deploy "$T/disk" looks-raw.img 2>"$T/log"
grep -q '(zstd)' "$T/log" || fail "compression not reported: $(cat "$T/log")"
grep -q 'zeroed without writing' "$T/log" || fail "zeroing not reported"

step "null writes nothing"
dirty_disk "$T/disk" 8
deploy "$T/disk" null -O img_format=diskdump 2>"$T/log"
untouched_after "$T/disk" 0
no_leftovers
echo PASS
