#!/bin/bash
# Bad input: each case ends in one clear "imgdeploy: error:" line and a
# non-zero exit; nothing is written when the problem is known before
# writing, and a failure after writing began zeroes the first and last MiB.
source "$(dirname "$0")/common.sh"
require_root

sample_image "$T/sample.raw" 24
img=$T/images
size=$(stat -c %s "$T/sample.raw")

step "truncated and corrupt compressed images"
for fmt in gz xz zst bz2; do
    case $fmt in
        gz) gzip -c "$T/sample.raw" > "$T/c" ;;
        xz) xz -T1 -c "$T/sample.raw" > "$T/c" ;;
        zst) zstd -q -c "$T/sample.raw" > "$T/c" ;;
        bz2) bzip2 -c "$T/sample.raw" > "$T/c" ;;
    esac
    csize=$(stat -c %s "$T/c")
    head -c $((csize * 2 / 3)) "$T/c" > "$img/trunc.$fmt"
    cp "$T/c" "$img/corrupt.$fmt"
    # Flip bytes in the middle of the compressed data.
    printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$img/corrupt.$fmt" bs=1 seek=$((csize / 2)) conv=notrunc status=none
    for kind in trunc corrupt; do
        dirty_disk "$T/disk" 32
        want='truncated|corrupt'
        expect_error "$want" deploy "$T/disk" "$kind.$fmt"
        # Writing had begun: the boot areas are zeroed, the rest of the disk
        # past the image is untouched.
        if cmp -s -n $MIB "$T/disk" <(dirty_stream $MIB); then
            fail "first MiB still holds the old content after a failed $kind.$fmt"
        fi
        is_zero "$T/disk" 0 $MIB
        is_zero "$T/disk" $((31 * MIB)) $MIB
    done
done

step "image larger than the disk, size known: refused before writing"
dirty_disk "$T/disk" 16
cp "$T/sample.raw" "$img/big.img"
expect_error 'larger than disk.*nothing was written' deploy "$T/disk" big.img
untouched_after "$T/disk" 0

step "image larger than the disk, size unknown (gzip): stopped at the boundary"
gzip -c "$T/sample.raw" > "$img/big.gz"
dirty_disk "$T/disk" 16
expect_error 'larger than disk' deploy "$T/disk" big.gz
is_zero "$T/disk" 0 $MIB
is_zero "$T/disk" $((15 * MIB)) $MIB

step "image larger than the disk, zstd header records the size: refused before writing"
zstd -q -c "$T/sample.raw" > "$img/big.zst"
dirty_disk "$T/disk" 16
expect_error 'larger than disk.*nothing was written' deploy "$T/disk" big.zst
untouched_after "$T/disk" 0

step "checksum mismatch: the first MiB is never written, the boot areas are zeroed"
cp "$T/sample.raw" "$img/sum.img"
dirty_disk "$T/disk" 32
bad=$(printf '%064d' 0)
expect_error 'checksum mismatch.*expected sha256:0{64}' deploy "$T/disk" sum.img -O "img_checksum=sha256:$bad"
is_zero "$T/disk" 0 $MIB
is_zero "$T/disk" $((31 * MIB)) $MIB
untouched_after "$T/disk" "$size" $((31 * MIB))
step "checksum from a .sha256 sidecar: wrong one fails, right one passes"
echo "$bad  sum.img" > "$img/sum.img.sha256"
dirty_disk "$T/disk" 32
expect_error 'checksum mismatch' deploy "$T/disk" sum.img
(cd "$img" && sha256sum sum.img > sum.img.sha256)
deploy "$T/disk" sum.img 2>"$T/log"
grep -q 'checksum verified' "$T/log" || fail "sidecar checksum not reported"
same_prefix "$T/sample.raw" "$T/disk" "$size"

step "path traversal in img_id"
mkdir -p "$T/outside"
cp "$T/sample.raw" "$T/outside/secret.img"
ln -s "$T/outside/secret.img" "$img/escape.img"
ln -s "$T/outside" "$img/escdir"
dirty_disk "$T/disk" 32
expect_error "must not contain|outside image_dir" deploy "$T/disk" ../outside/secret.img
expect_error "must not contain|outside image_dir" deploy "$T/disk" local://../outside/secret.img
expect_error "must not contain|outside image_dir" deploy "$T/disk" file://a/../../outside/secret.img
expect_error "outside image_dir" deploy "$T/disk" escape.img
expect_error "outside image_dir" deploy "$T/disk" escdir/secret.img
expect_error "not found" deploy "$T/disk" no-such.img
untouched_after "$T/disk" 0

step "malformed parameters are all reported at once, before anything is written"
dirty_disk "$T/disk" 8
expect_error 'img_properties.*inst_properties|img_properties.*cloud_userdata' \
    deploy "$T/disk" sum.img -O 'img_properties={"OSFAMILY": linux' -O 'inst_properties=[1]' \
    -O 'cloud_userdata=***not base64***' -O 'img_personality=[{"path": "/x", "contents": "%%%"}]'
grep -q 'img_personality' "$T/err" || fail "img_personality problem not reported"
grep -q 'cloud_userdata' "$T/err" || fail "cloud_userdata problem not reported"
expect_error 'img_format' deploy "$T/disk" sum.img -O img_format=qcow2
expect_error 'img_passwd' deploy "$T/disk" sum.img -O img_passwd=hunter2-secret -O 'img_passwd_hash=$6$x$y'
grep -q 'hunter2-secret' "$T/err" && fail "a password reached the output"
expect_error 'img_checksum' deploy "$T/disk" sum.img -O img_checksum=md5:abc
untouched_after "$T/disk" 0

step "config errors name the file and the line"
write_config "http:" "  retries: 2" "  bogus_key: 1"
expect_error "imgdeploy.yaml:4: .*bogus_key" deploy "$T/disk" sum.img
write_config "http:" "  retries: many"
expect_error "imgdeploy.yaml:3: .*retries" deploy "$T/disk" sum.img
write_config
expect_error "cannot read config|No such file" deploy "$T/disk" sum.img --config "$T/missing.yaml"

step "missing or unusable disk"
expect_error "does not exist" deploy "$T/nodisk" sum.img
mkdir "$T/adir"
expect_error "neither a block device nor a regular file" deploy "$T/adir" sum.img

step "usage errors"
expect_error "unknown OS parameter" deploy "$T/disk" sum.img -O bogus=1
expect_error "key=value" deploy "$T/disk" sum.img -O novalue
expect_error "unknown command" "$IMGDEPLOY" frobnicate
no_leftovers
echo PASS
