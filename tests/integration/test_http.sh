#!/bin/bash
# HTTP sources against a real local server (127.0.0.1): plain, a dropped
# connection resumed with Range, a server that ignores Range, a stall, and
# 404/500 whose bodies must never reach the disk.
source "$(dirname "$0")/common.sh"
require_root

sample_image "$T/sample.raw" 24
size=$(stat -c %s "$T/sample.raw")
start_http
cp "$T/sample.raw" "$T/www/disk.img"
xz -T2 --block-size=2MiB -c "$T/sample.raw" > "$T/www/disk.img.xz"
write_config "http:" "  connect_timeout_s: 5" "  low_speed_timeout_s: 2" "  retries: 2"

for path in ok/disk.img ok/disk.img.xz drop/disk.img norange/disk.img nolength/disk.img drop/disk.img.xz; do
    step "http $path"
    dirty_disk "$T/disk" 32
    disk=$(new_loop "$T/disk")
    deploy "$disk" "$HTTP/$path" 2>"$T/log" || { cat "$T/log"; fail "http $path"; }
    same_prefix "$T/sample.raw" "$disk" "$size"
    untouched_after "$disk" "$size"
    case $path in drop/*|norange/*)
        grep -q 'resuming' "$T/log" || fail "no resume logged for $path" ;;
    esac
done

step "a connection that drops every time: retries run out"
dirty_disk "$T/disk" 32
expect_error 'retries' deploy "$T/disk" "$HTTP/dropalways/disk.img"

step "a stalled transfer: the low-speed timeout ends it"
dirty_disk "$T/disk" 32
expect_error 'disk.img' deploy "$T/disk" "$HTTP/stall/disk.img"

for code in 404 500; do
    step "HTTP $code: an error, and its body never reaches the disk"
    dirty_disk "$T/disk" 8
    expect_error "$code" deploy "$T/disk" "$HTTP/status/$code"
    untouched_after "$T/disk" 0
    grep -c 'NOT AN IMAGE' "$T/disk" >/dev/null && fail "the $code body reached the disk"
done

step "connection refused"
dirty_disk "$T/disk" 8
expect_error '127.0.0.1' deploy "$T/disk" "http://127.0.0.1:1/disk.img"
untouched_after "$T/disk" 0

step "credentials in the URL never appear in messages"
expect_error '404' deploy "$T/disk" "http://user:s3cret-pw@127.0.0.1:$HTTP_PORT/status/404"
grep -q 's3cret-pw' "$T/err" && fail "a URL password reached the output"

step "checksum of an HTTP image"
dirty_disk "$T/disk" 32
sum=$(sha256sum < "$T/www/disk.img.xz" | cut -d' ' -f1)
deploy "$T/disk" "$HTTP/ok/disk.img.xz" -O "img_checksum=sha256:$sum" 2>"$T/log"
grep -q "checksum verified: sha256:$sum" "$T/log" || fail "checksum not verified"
step "config_url: a JSON document of OS parameters overrides the given ones"
printf '{"IMG_ID": "%s", "img_format": "diskdump"}' "$HTTP/ok/disk.img" > "$T/www/config.json"
dirty_disk "$T/disk" 32
deploy "$T/disk" no-such-local.img -O "config_url=$HTTP/ok/config.json" 2>"$T/log" || { cat "$T/log"; fail "config_url"; }
same_prefix "$T/sample.raw" "$T/disk" "$size"
printf '{"img_id": "x", "bogus": 1}' > "$T/www/bad.json"
expect_error "config_url.*bogus" deploy "$T/disk" x -O "config_url=$HTTP/ok/bad.json"
expect_error "config_url.*404" deploy "$T/disk" x -O "config_url=$HTTP/status/404"

step "on a terminal, deploy shows a progress bar with rate and ETA"
dirty_disk "$T/disk" 32
script -qec "$IMGDEPLOY deploy --disk $T/disk -O img_id=$HTTP/ok/disk.img --no-customize" "$T/tty.log" >/dev/null \
    || { cat "$T/tty.log"; fail "deploy on a pty"; }
grep -aq '100%.*MiB / 24.0 MiB.*/s' "$T/tty.log" || { cat -v "$T/tty.log"; fail "no progress bar"; }
no_leftovers
echo PASS
