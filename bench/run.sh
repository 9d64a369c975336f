#!/bin/bash
# bench/run.sh IMGDEPLOY — deployment benchmark of imgdeploy (not a test).
#
# Builds (once, cached in $BENCH_CACHE, default /var/tmp/imgdeploy-bench) a
# 2 GiB raw disk image (MBR, one ext4 partition, ~800 MiB of real files,
# the rest empty) and its gzip -6, xz -6 -T2 (multi-block) and zstd -3
# versions, then times, on a DIRTY loop device (direct I/O on, re-dirtied
# before every timed run, outside the timing):
#   raw:        imgdeploy deploy   vs dd, qemu-img convert, bmaptool copy
#   compressed: imgdeploy deploy   vs the format's single-thread decompressor
#               into /dev/null (zstd -dc, gzip -dc, xz -T1 -dc)
# and prints medians, ratios (baseline / imgdeploy: > 1 = imgdeploy faster),
# peak RSS (GNU time %M) and whether each target is met. Every deploying
# method's result is compared with the raw image after its first run.
#
# Environment: BENCH_RUNS (runs per method; default 5 raw, 3 compressed),
# BENCH_CACHE (image cache dir). Needs root (loop devices). See bench/README.md.
set -euo pipefail

usage() { echo "usage: $0 /path/to/imgdeploy" >&2; exit 2; }
[ $# -eq 1 ] || usage
IMGDEPLOY_ARG=$(realpath "$1")
[ -x "$IMGDEPLOY_ARG" ] || { echo "bench: $IMGDEPLOY_ARG is not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop devices, O_DIRECT on block devices)" >&2; exit 2; }
for tool in qemu-img bmaptool pigz gzip xz zstd sfdisk mkfs.ext4 losetup blockdev python3 cmp; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (./build.sh bench installs it)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is missing" >&2; exit 2; }

CACHE=${BENCH_CACHE:-/var/tmp/imgdeploy-bench}
RAW_RUNS=${BENCH_RUNS:-5}
COMP_RUNS=${BENCH_RUNS:-3}
MIB=$((1024 * 1024))
IMAGE_BYTES=$((2048 * MIB))        # the raw image
FILES_BYTES=$((800 * MIB))         # real files inside it (~40%)
DISK_BYTES=$((IMAGE_BYTES + 16 * MIB))  # the target: a bit larger, like a real disk
RECIPE="recipe-3 size=$IMAGE_BYTES files=$FILES_BYTES gzip-6 xz-6-T2 zstd-3"

IMAGES=$CACHE/images
RAW=$IMAGES/bench.raw
GZ=$IMAGES/bench.raw.gz
XZ=$IMAGES/bench.raw.xz
ZST=$IMAGES/bench.raw.zst
BMAP=$CACHE/bench.raw.bmap
DIRTY=$CACHE/dirty.bin
STAMP=$IMAGES/.complete

T=$(mktemp -d /tmp/imgdeploy-bench.XXXXXX)
LOOP=""
cleanup() {
    local rc=$?
    if [ -n "$LOOP" ]; then losetup -d "$LOOP" 2>/dev/null || true; fi
    rm -f "$CACHE/target.disk"
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A private copy: a rebuild during the run cannot swap the binary under us.
IMGDEPLOY=$T/imgdeploy
cp "$IMGDEPLOY_ARG" "$IMGDEPLOY"

say() { printf '%s\n' "$*"; }
section() { printf '\n== %s ==\n' "$*"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# ---------------------------------------------------------------------------
section "images (cache: $CACHE)"

# pick_files DEST BYTES: copies about BYTES of regular files from /usr
# (half shared libraries and binaries, half /usr/share and /usr/include:
# real code and text), repeating the copy if the system has too little.
pick_files() {
    python3 - "$1" "$2" <<'EOF'
import os, shutil, sys
dest, target = sys.argv[1], int(sys.argv[2])
groups = [["/usr/lib/x86_64-linux-gnu", "/usr/bin"], ["/usr/share", "/usr/include"]]
total = 0
def files(roots):
    for root in roots:
        for d, dirs, names in os.walk(root):
            dirs.sort()
            for n in sorted(names):
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    yield p
def copy_group(roots, budget, prefix):
    global total
    got = 0
    for p in files(roots):
        if got >= budget:
            break
        out = os.path.join(dest, prefix + p.lstrip("/"))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        try:
            shutil.copyfile(p, out)
            shutil.copymode(p, out)
        except OSError:
            continue
        n = os.path.getsize(out)
        got += n
        total += n
    return got
for g in groups:
    copy_group(g, target // len(groups), "")
rep = 1
while total < target and rep < 10:
    copy_group([r for g in groups for r in g], target - total, "copy%d/" % rep)
    rep += 1
print(total)
EOF
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RECIPE" ] && [ -f "$BMAP" ] &&
    [ "$(stat -c %s "$DIRTY" 2>/dev/null || echo 0)" = "$DISK_BYTES" ]; then
    say "reusing the cached images ($RECIPE)"
else
    say "building the images (once; later runs reuse them)"
    rm -rf "$IMAGES" "$BMAP" "$DIRTY" "$CACHE/files"
    mkdir -p "$IMAGES"
    build_start=$EPOCHREALTIME
    got=$(pick_files "$CACHE/files" "$FILES_BYTES")
    say "  files: $(mib "$got") MiB copied from /usr"
    truncate -s "$IMAGE_BYTES" "$RAW.tmp"
    printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$RAW.tmp"
    mkfs.ext4 -q -F -L bench -d "$CACHE/files" -E offset=$MIB "$RAW.tmp" $(((IMAGE_BYTES - MIB) / 1024))k
    rm -rf "$CACHE/files"
    mv "$RAW.tmp" "$RAW"
    say "  raw image built; compressing (gzip -6, xz -6 -T2, zstd -3)"
    gzip -6 -c "$RAW" > "$GZ.tmp" && mv "$GZ.tmp" "$GZ"
    xz -6 -T2 -c "$RAW" > "$XZ.tmp" && mv "$XZ.tmp" "$XZ"
    zstd -3 -q -c "$RAW" > "$ZST.tmp" && mv "$ZST.tmp" "$ZST"
    bmaptool -q create -o "$BMAP" "$RAW"
    # The dirt: a non-zero pattern the size of the target.
    { yes 'dirty-disk-content' || true; } | head -c "$DISK_BYTES" > "$DIRTY"
    echo "$RECIPE" > "$STAMP"
    say "  built in $(awk -v a="$build_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
fi
xz_blocks=$(xz --robot -l "$XZ" | awk -F'\t' '$1 == "totals" { print $3 }')
mapped=$(grep -o '<MappedBlocksCount>[^<]*' "$BMAP" | tr -dc 0-9)
bmap_block=$(grep -o '<BlockSize>[^<]*' "$BMAP" | tr -dc 0-9)
say "  raw  $(mib "$(stat -c %s "$RAW")") MiB, $(mib $((mapped * bmap_block))) MiB of it mapped (bmaptool create), the rest holes"
say "  gz   $(mib "$(stat -c %s "$GZ")") MiB (gzip -6)"
say "  xz   $(mib "$(stat -c %s "$XZ")") MiB (xz -6 -T2: $xz_blocks blocks, xz's default block size for -6 -T2, 3 x 8 MiB dictionary = 24 MiB)"
say "  zst  $(mib "$(stat -c %s "$ZST")") MiB (zstd -3)"

# ---------------------------------------------------------------------------
section "target"
truncate -s 0 "$CACHE/target.disk"
truncate -s "$DISK_BYTES" "$CACHE/target.disk"
LOOP=$(losetup -f --show --direct-io=on "$CACHE/target.disk")
dio=$(cat "/sys/block/${LOOP#/dev/}/loop/dio" 2>/dev/null || echo "?")
say "$LOOP over $CACHE/target.disk ($(mib "$DISK_BYTES") MiB, direct I/O: $dio)"
[ "$dio" = 1 ] || say "WARNING: the loop device did not enable direct I/O"

cat > "$T/imgdeploy.yaml" <<EOF
image_dir: $IMAGES
tmp_dir: $T
EOF
export IMGDEPLOY_CONFIG=$T/imgdeploy.yaml

# Re-dirty the whole target (untimed): a raw deploy punches holes for zero
# runs, so every run must start from the same dirty disk.
dirty() {
    dd if="$DIRTY" of="$LOOP" bs=4M oflag=direct status=none
    blockdev --flushbufs "$LOOP"
}

# The sources are read from the page cache in every run (warm them now).
cat "$RAW" "$GZ" "$XZ" "$ZST" "$DIRTY" > /dev/null
say "sources warmed in the page cache; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------
# Methods. Each is a name, a kind (deploy: writes $LOOP and is verified;
# null: decompresses to /dev/null) and a command line.
declare -A CMD KIND VERIFIED RESULT
ORDER=()
method() {  # NAME KIND CMD...
    local name=$1 kind=$2
    shift 2
    ORDER+=("$name")
    KIND[$name]=$kind
    CMD[$name]=$(printf '%q ' "$@")
}

method imgdeploy-raw deploy "$IMGDEPLOY" deploy --disk "$LOOP" -O img_id=bench.raw --no-customize --progress none
method dd-1M deploy dd if="$RAW" of="$LOOP" bs=1M oflag=direct status=none
method dd-4M deploy dd if="$RAW" of="$LOOP" bs=4M oflag=direct status=none
method qemu-img deploy qemu-img convert -n -t none -f raw -O raw "$RAW" "$LOOP"
method qemu-img-W deploy qemu-img convert -n -t none -W -f raw -O raw "$RAW" "$LOOP"
method bmaptool deploy bmaptool -q copy --bmap "$BMAP" "$RAW" "$LOOP"
method bmaptool-nobmap deploy bmaptool -q copy --nobmap "$RAW" "$LOOP"
RAW_METHODS=("${ORDER[@]}")
ORDER=()
method imgdeploy-zst deploy "$IMGDEPLOY" deploy --disk "$LOOP" -O img_id=bench.raw.zst --no-customize --progress none
method zstd-dc null zstd -dc "$ZST"
method imgdeploy-gz deploy "$IMGDEPLOY" deploy --disk "$LOOP" -O img_id=bench.raw.gz --no-customize --progress none
method gzip-dc null gzip -dc "$GZ"
method pigz-dc null pigz -dc "$GZ"
method imgdeploy-xz deploy "$IMGDEPLOY" deploy --disk "$LOOP" -O img_id=bench.raw.xz --no-customize --progress none
method xz-T1-dc null xz -T1 -dc "$XZ"
method xz-T2-dc null xz -T2 -dc "$XZ"
COMP_METHODS=("${ORDER[@]}")
ORDER=("${RAW_METHODS[@]}" "${COMP_METHODS[@]}")

mkdir -p "$T/times" "$T/rss" "$T/logs"

# verify NAME: the first IMAGE_BYTES of the target (read with O_DIRECT, past
# any page cache) must equal the raw image.
verify() {
    local name=$1
    if cmp -s -n "$IMAGE_BYTES" "$RAW" <(dd if="$LOOP" bs=4M iflag=direct count=$((IMAGE_BYTES / (4 * MIB))) status=none); then
        RESULT[$name]=exact
    else
        RESULT[$name]=WRONG
        local first
        first=$(cmp -n "$IMAGE_BYTES" "$RAW" <(dd if="$LOOP" bs=4M iflag=direct count=$((IMAGE_BYTES / (4 * MIB))) status=none) 2>&1 | head -1 || true)
        say "  $name: target differs from the image: $first"
        case $name in
        bmaptool*) ;;  # expected: bmaptool writes only mapped blocks and leaves the rest stale
        *) say "bench: $name produced a wrong disk; its timing would be meaningless" >&2; exit 1 ;;
        esac
    fi
}

# run_once NAME: one timed run (after re-dirtying, for deploys).
run_once() {
    local name=$1 start end
    if [ "${KIND[$name]}" = deploy ]; then dirty; fi
    start=$EPOCHREALTIME
    # A null method's output goes to /dev/null; a deploy's to the log.
    local out=$T/logs/$name
    if [ "${KIND[$name]}" = null ]; then out=/dev/null; fi
    if ! eval "/usr/bin/time -f %M -o $T/rss.last ${CMD[$name]}" > "$out" 2> "$T/logs/$name"; then
        end=$EPOCHREALTIME
        say "bench: $name failed:" >&2
        cat "$T/logs/$name" >&2
        exit 1
    fi
    end=$EPOCHREALTIME
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }' >> "$T/times/$name"
    tail -1 "$T/rss.last" >> "$T/rss/$name"
    if [ "${KIND[$name]}" = deploy ] && [ -z "${VERIFIED[$name]:-}" ]; then
        VERIFIED[$name]=1
        verify "$name"
    fi
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minof() { sort -g "$1" | head -1; }
maxof() { sort -g "$1" | tail -1; }
peak_rss_mib() { sort -g "$1" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }

# Rounds: every method once per round, so drift hits all methods alike.
section "raw image: $RAW_RUNS runs per method, target re-dirtied before each deploy"
bench_start=$EPOCHREALTIME
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= RAW_RUNS; i++)); do
    for name in "${RAW_METHODS[@]}"; do run_once "$name"; done
    say "  round $i/$RAW_RUNS done"
done
section "compressed images: $COMP_RUNS runs per method"
for ((i = 1; i <= COMP_RUNS; i++)); do
    for name in "${COMP_METHODS[@]}"; do run_once "$name"; done
    say "  round $i/$COMP_RUNS done"
done
bench_secs=$(awk -v a="$bench_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# ---------------------------------------------------------------------------
# Report (markdown), printed and saved.
REPORT=$T/report.md
med() { median "$T/times/$1"; }
ratio() { awk -v b="$(med "$1")" -v i="$(med "$2")" 'BEGIN { printf "%.2f", b / i }'; }
{
    echo "## Results"
    echo
    echo "- command: \`bench/run.sh $1\` ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo "- imgdeploy: $("$IMGDEPLOY" version 2>&1 | head -1), $IMGDEPLOY_ARG (sha256 $(sha256sum < "$IMGDEPLOY" | cut -c1-12)), git $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo '?')"
    echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
    echo "- target: $LOOP (loop, direct I/O $dio) over a file on $(findmnt -no FSTYPE --target "$CACHE") ($CACHE), $(mib "$DISK_BYTES") MiB, re-dirtied before every deploy"
    echo "- image: $(mib "$IMAGE_BYTES") MiB raw, MBR + ext4, $(mib $((mapped * bmap_block))) MiB mapped; gz $(mib "$(stat -c %s "$GZ")") MiB (gzip -6), xz $(mib "$(stat -c %s "$XZ")") MiB (xz -6 -T2, $xz_blocks blocks), zst $(mib "$(stat -c %s "$ZST")") MiB (zstd -3); sources page-cache hot"
    echo "- runs: $RAW_RUNS per raw method, $COMP_RUNS per compressed method; benchmark loop took $bench_secs s; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| method | command | median s | min s | max s | peak RSS MiB | result |"
    echo "|---|---|---:|---:|---:|---:|---|"
    for name in "${ORDER[@]}"; do
        local_cmd=${CMD[$name]}
        local_cmd=${local_cmd//$IMGDEPLOY/imgdeploy}
        local_cmd=${local_cmd//$IMAGES\//}
        local_cmd=${local_cmd//$CACHE\//}
        local_cmd=${local_cmd//\/usr\/bin\/time -f %M -o $T\/rss.last /}
        local_cmd=${local_cmd% }
        [ "${KIND[$name]}" = null ] && local_cmd="$local_cmd > /dev/null"
        res=${RESULT[$name]:-"(to /dev/null)"}
        [ "$res" = WRONG ] && res="WRONG (stale data left)"
        printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$name" "$local_cmd" \
            "$(med "$name")" "$(minof "$T/times/$name")" "$(maxof "$T/times/$name")" \
            "$(peak_rss_mib "$T/rss/$name")" "$res"
    done
    echo
    echo "| target | baseline | ratio (baseline / imgdeploy) | required | verdict |"
    echo "|---|---|---:|---:|---|"
    target_row() {  # LABEL BASELINE IMGDEPLOY REQUIRED
        local r
        r=$(ratio "$2" "$3")
        verdict=$(awk -v r="$r" -v q="$4" 'BEGIN { if (r >= q) print "met"; else printf "MISSED (%.0f%% short)", (1 - r / q) * 100 }')
        printf '| %s | %s %s s vs %s s | %s | >= %s | %s |\n' "$1" "$2" "$(med "$2")" "$(med "$3")" "$r" "$4" "$verdict"
    }
    best_qemu=qemu-img
    awk -v a="$(med qemu-img-W)" -v b="$(med qemu-img)" 'BEGIN { exit !(a < b) }' && best_qemu=qemu-img-W
    target_row "raw vs dd bs=1M" dd-1M imgdeploy-raw 3
    target_row "raw vs qemu-img (faster variant)" "$best_qemu" imgdeploy-raw 1.2
    target_row "raw vs bmaptool (with bmap)" bmaptool imgdeploy-raw 1.0
    target_row "zstd vs zstd -dc" zstd-dc imgdeploy-zst 0.9
    target_row "gzip vs gzip -dc" gzip-dc imgdeploy-gz 0.9
    target_row "xz (multi-block) vs xz -T1 -dc" xz-T1-dc imgdeploy-xz 1.6
    rss_max=0
    for name in imgdeploy-raw imgdeploy-zst imgdeploy-gz imgdeploy-xz; do
        r=$(sort -g "$T/rss/$name" | tail -1)
        [ "$r" -gt "$rss_max" ] && rss_max=$r && rss_name=$name
    done
    printf '| peak RSS of imgdeploy | largest: %s | %.1f MiB | <= 64 MiB | %s |\n' "$rss_name" \
        "$(awk -v k="$rss_max" 'BEGIN { print k / 1024 }')" \
        "$(awk -v k="$rss_max" 'BEGIN { if (k <= 65536) print "met"; else printf "MISSED (%.0f%% over)", (k / 65536 - 1) * 100 }')"
    echo
    echo "imgdeploy's own summary lines (last run of each format):"
    echo
    echo '```'
    for name in imgdeploy-raw imgdeploy-zst imgdeploy-gz imgdeploy-xz; do
        sed -n '/./p' "$T/logs/$name" | sed "s#$IMAGES/##g" | tail -3
    done
    echo '```'
} > "$REPORT"

section "report"
cat "$REPORT"
mkdir -p "$CACHE/results"
saved=$CACHE/results/results-$(date -u +%Y%m%d-%H%M%S).md
cp "$REPORT" "$saved"
say
say "(report saved as $saved)"
