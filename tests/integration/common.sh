# Shared by the integration scenarios (sourced). Each scenario runs the real
# imgdeploy binary as root against loop devices, files and a local HTTP
# server on 127.0.0.1, in its own temp dir, and cleans up everything it
# started (by PID) and every loop device it attached.
set -euo pipefail

IMGDEPLOY=${IMGDEPLOY:?set by ctest: path of the imgdeploy binary}
SRC=${IMGDEPLOY_SOURCE_DIR:?set by ctest: the source tree}
MIB=$((1024 * 1024))
# Debian's python3 (with python3-pyftpdlib), not whatever else is first on PATH.
PYTHON=/usr/bin/python3

T=$(mktemp -d /tmp/imgdeploy-it.XXXXXX)
PIDS=()

cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    # new_loop runs in $(...) subshells, so the devices are listed in a file.
    if [ -f "$T/.loops" ]; then
        while read -r dev; do
            partx -d "$dev" 2>/dev/null || true
            losetup -d "$dev" 2>/dev/null || true
        done < "$T/.loops"
    fi
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        echo "(test files kept in $T)" >&2
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
step() { echo "-- $*"; }

require_root() { [ "$(id -u)" = 0 ] || skip "needs root (loop devices, O_EXCL on block devices)"; }

# A config whose image_dir is $T/images; extra YAML lines may follow.
mkdir -p "$T/images"
write_config() {
    { echo "image_dir: $T/images"; printf '%s\n' "$@"; } > "$T/imgdeploy.yaml"
}
write_config
export IMGDEPLOY_CONFIG=$T/imgdeploy.yaml

# new_loop FILE: attaches FILE (direct I/O) and prints the device.
new_loop() {
    local dev
    dev=$(losetup -f --show --direct-io=on "$1") || skip "cannot attach a loop device"
    echo "$dev" >> "$T/.loops"
    echo "$dev"
}

# dirty_disk FILE MIB: a disk file full of a non-zero pattern, so that
# anything left unwritten or written past the image shows.
dirty_stream() { { yes 'dirty-disk-content' || true; } | head -c "$1"; }
dirty_disk() {
    rm -f "$1"
    dirty_stream $(($2 * MIB)) > "$1"
}

# same_prefix A B BYTES [OFFSET_IN_B]: B holds A's first BYTES at OFFSET_IN_B.
same_prefix() {
    cmp -s -n "$3" "$1" <(tail -c +$((${4:-0} + 1)) "$2") || fail "$2 differs from $1 in the first $3 bytes"
}

# untouched_after FILE_OR_DEV OFFSET [END]: [OFFSET, END) (default: to the
# disk's end) still holds the dirty pattern.
untouched_after() {
    local size want got end
    size=$(blockdev --getsize64 "$1" 2>/dev/null || stat -c %s "$1")
    end=${3:-$size}
    want=$(dirty_stream "$end" | tail -c +$(($2 + 1)) | sha256sum)
    got=$(head -c "$end" "$1" | tail -c +$(($2 + 1)) | sha256sum)
    [ "$want" = "$got" ] || fail "$1 was changed in [$2, $end)"
}

# is_zero FILE OFFSET LEN
is_zero() {
    cmp -s -n "$3" <(tail -c +$(($2 + 1)) "$1") /dev/zero || fail "$1 is not zero at [$2, +$3)"
}

# expect_error PATTERN CMD...: CMD must fail with exactly one
# "imgdeploy: error:" line on stderr matching PATTERN (grep -E).
expect_error() {
    local pattern=$1 rc=0
    shift
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ $rc -ne 0 ] || { cat "$T/err" >&2; fail "expected failure: $*"; }
    local lines
    lines=$(grep -c '^imgdeploy: error: ' "$T/err" || true)
    [ "$lines" = 1 ] || { cat "$T/err" >&2; fail "expected one error line, got $lines: $*"; }
    grep -E "^imgdeploy: error: .*($pattern)" "$T/err" >/dev/null || {
        cat "$T/err" >&2
        fail "error line does not match /$pattern/: $*"
    }
    if grep -E 'terminate called|Aborted|stack|AddressSanitizer' "$T/err" >/dev/null; then
        cat "$T/err" >&2
        fail "crash output: $*"
    fi
    echo "   ok: $(grep '^imgdeploy: error: ' "$T/err" | cut -c1-160)"
}

# deploy DISK IMG_ID [more deploy args...]
deploy() {
    local disk=$1 id=$2
    shift 2
    "$IMGDEPLOY" deploy --disk "$disk" -O "img_id=$id" --no-customize --progress none "$@"
}

# start_http: starts the test HTTP server on 127.0.0.1 serving $T/www; sets HTTP_PORT.
start_http() {
    mkdir -p "$T/www"
    exec {http_out}< <(exec "$PYTHON" "$SRC/tests/integration/http_server.py" --port 0 --root "$T/www")
    HTTP_PID=$!
    PIDS+=("$HTTP_PID")
    read -r -t 10 HTTP_PORT <&"$http_out" || fail "HTTP server did not start"
    HTTP=http://127.0.0.1:$HTTP_PORT
}

# no_loop_leak: no loop device of ours still refers to $T (besides those we attached).
no_leftovers() {
    local stray
    stray=$(losetup -a | grep -F "$T/" | grep -vFf <(sed 's/$/:/' "$T/.loops" 2>/dev/null) || true)
    [ -z "$stray" ] || fail "stray loop devices: $stray"
    ls /tmp | grep -E '^imgdeploy\.' && fail "temp files left in /tmp" || true
}

sample_image() {  # OUT SIZE_MIB
    "$SRC/tests/lib/make-sample-image.sh" "$1" "$2" >/dev/null
}
