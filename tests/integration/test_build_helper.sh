#!/bin/bash
# imgdeploy-build-helper: builds a helper image from this host's kernel,
# programs and (fake) tasks, checks the manifest, the initramfs contents and
# that two builds are byte-identical, refuses bad input with one error line,
# then boots the image under TCG: a smoke boot (PVH vmlinux and, for the
# timing comparison, the bzImage) and a check boot that loads every module in
# modules.load and runs the programs inside the VM.
#
# /init is normally imgdeploy-helper (helper/); this test uses the build
# tree's one when it exists and /bin/true otherwise (any dynamic ELF program
# exercises the same code path: copied to /init with its libraries). The
# boots replace /init with small shell scripts run by the image's busybox.
# Needs: linux-image-amd64, busybox (or busybox-static), qemu-system-x86,
# cpio, e2fsprogs, xfsprogs, btrfs-progs, openssh-client, python3.
source "$(dirname "$0")/common.sh"

BUILD_DIR=$(dirname "$(dirname "$IMGDEPLOY")")
BUILDER=$BUILD_DIR/helper-image-builder/imgdeploy-build-helper
[ -x "$BUILDER" ] || skip "no $BUILDER (build the imgdeploy-build-helper target)"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot (install linux-image-amd64)"
# What the image is made from (build.sh deps installs these on CI).
missing=()
for need in cpio:cpio xfs_growfs:xfsprogs btrfs:btrfs-progs ssh-keygen:openssh-client mke2fs:e2fsprogs \
    sfdisk:fdisk busybox:busybox; do
    PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "${need%%:*}" >/dev/null || missing+=("${need#*:}")
done
[ ${#missing[@]} = 0 ] || skip "missing packages: ${missing[*]}"

HELPER_BIN=$BUILD_DIR/helper/imgdeploy-helper
[ -x "$HELPER_BIN" ] || HELPER_BIN=/bin/true

# Two built-in tasks and a drop-in directory that replaces one of them,
# adds one, and holds entries run-parts would skip.
mkdir -p "$T/tasks" "$T/tasks.d"
printf '#!/bin/sh\necho TASK-10-BUILTIN\n' > "$T/tasks/10First"
printf '#!/bin/sh\necho TASK-20-BUILTIN\n' > "$T/tasks/20Second"
printf '#!/bin/sh\necho TASK-20-DROPIN\n' > "$T/tasks.d/20Second"
printf '#!/bin/sh\necho TASK-30-DROPIN\n' > "$T/tasks.d/30Third"
printf '#!/bin/sh\n' > "$T/tasks.d/40NotExecutable"
printf '#!/bin/sh\n' > "$T/tasks.d/bad.name"
chmod 755 "$T/tasks"/* "$T/tasks.d/20Second" "$T/tasks.d/30Third" "$T/tasks.d/bad.name"

build() {  # OUT [more options...]
    local out=$1
    shift
    "$BUILDER" --output "$out" --builtin-tasks "$T/tasks" --tasks-dir "$T/tasks.d" \
        --helper-binary "$HELPER_BIN" "$@"
}

manifest() {  # DIR PYTHON-EXPRESSION-ON-m
    "$PYTHON" -c "import json,sys; m=json.load(open(sys.argv[1]+'/manifest.json')); print($2)" "$1"
}

step "build (helper binary: $HELPER_BIN)"
start=$(date +%s.%N)
build "$T/helper" 2> "$T/build.log" || { cat "$T/build.log" >&2; fail "build failed"; }
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "   built in ${secs}s"
cat "$T/build.log" | sed 's/^/   | /'
awk -v s="$secs" 'BEGIN { exit !(s < 60) }' || fail "the build took ${secs}s"
grep -q 'drop-in task .*/tasks.d/20Second replaces the built-in' "$T/build.log" || fail "no log line for the replaced task"
grep -q 'skipping .*40NotExecutable: not executable' "$T/build.log" || fail "no warning for the non-executable task"
grep -q 'skipping .*bad.name: name does not match' "$T/build.log" || fail "no warning for the badly named task"
grep -qE 'initramfs: [0-9]+ entries' "$T/build.log" || fail "no size summary in the log"
ls -la "$T/helper"
for f in kernel initramfs manifest.json; do
    [ "$(stat -c %a "$T/helper/$f")" = 644 ] || fail "$f is not mode 644"
done
[ "$(stat -c %a "$T/helper")" = 755 ] || fail "the helper directory is not mode 755"

step "manifest"
kver=$(manifest "$T/helper" "m['kernel_version']")
[ -d "/lib/modules/$kver" ] || fail "kernel_version $kver has no /lib/modules"
[ "$(manifest "$T/helper" "m['protocol_version']")" = 1 ] || fail "protocol_version"
[ "$(manifest "$T/helper" "m['imgdeploy_version']")" != "" ] || fail "imgdeploy_version"
format=$(manifest "$T/helper" "m['kernel_format']")
[ "$format" = pvh-elf ] || fail "kernel_format is $format (Debian kernels have PVH)"
[ "$(head -c 4 "$T/helper/kernel" | od -An -c | tr -d ' ')" = 177ELF ] || fail "kernel is not an ELF vmlinux"
[ "$(manifest "$T/helper" "m['files']['kernel']")" = "$(sha256sum < "$T/helper/kernel" | cut -d' ' -f1)" ] ||
    fail "files.kernel is not the kernel's sha256"
[ "$(manifest "$T/helper" "m['files']['initramfs']")" = "$(sha256sum < "$T/helper/initramfs" | cut -d' ' -f1)" ] ||
    fail "files.initramfs is not the initramfs's sha256"
[ "$(manifest "$T/helper" "' '.join(m['tasks'])")" = "10First 20Second 30Third" ] || fail "tasks"
[ "$(manifest "$T/helper" "' '.join(m['dropin_tasks'])")" = "20Second 30Third" ] || fail "dropin_tasks"
[ "$(manifest "$T/helper" "m['built_from']['kernel']")" = "/boot/vmlinuz-$kver" ] || fail "built_from.kernel"
for p in /usr/sbin/e2fsck /usr/sbin/resize2fs /usr/sbin/tune2fs /usr/sbin/mke2fs /usr/sbin/mkfs.ext4 \
    /usr/sbin/sfdisk /usr/sbin/blkid /usr/bin/mount /usr/bin/ssh-keygen; do
    manifest "$T/helper" "'$p' in m['programs']" | grep -q True || fail "program $p not in the manifest"
done
manifest "$T/helper" "'kernel/fs/ext4/ext4.ko' in m['modules']" | grep -q True || fail "ext4.ko not in the manifest"

step "initramfs contents (cpio -t)"
cpio -t --quiet -F "$T/helper/initramfs" > "$T/list"
echo "   $(wc -l < "$T/list") entries"
for want in init bin sbin lib lib64 dev/console etc/passwd etc/group etc/nsswitch.conf \
    etc/imgdeploy/modules.load usr/lib/imgdeploy/tasks/10First usr/lib/imgdeploy/tasks/20Second \
    usr/lib/imgdeploy/tasks/30Third usr/lib64/ld-linux-x86-64.so.2 usr/sbin/e2fsck usr/sbin/mkfs.ext4; do
    grep -qx "$want" "$T/list" || fail "$want missing from the initramfs"
done
for unwanted in usr/lib/imgdeploy/tasks/40NotExecutable usr/lib/imgdeploy/tasks/bad.name; do
    grep -qx "$unwanted" "$T/list" && fail "$unwanted is in the initramfs"
done
LC_ALL=C sort -c "$T/list" || fail "the archive is not in byte order"
if command -v busybox >/dev/null || [ -x /bin/busybox ]; then
    grep -qx usr/bin/busybox "$T/list" || fail "busybox missing"
    grep -qx usr/bin/sh "$T/list" || fail "/usr/bin/sh missing"
fi
mkdir "$T/root"
# (Without the device nodes when not root: only root can create them.)
nodev=(-f 'dev/*')
[ "$(id -u)" = 0 ] && nodev=()
(cd "$T/root" && cpio -idm --quiet --no-absolute-filenames "${nodev[@]}" < "$T/helper/initramfs")
grep -q 20-DROPIN "$T/root/usr/lib/imgdeploy/tasks/20Second" || fail "the drop-in did not replace the built-in 20Second"
# Our own ELF programs go in without debug information.
if command -v strip >/dev/null && [ "$(head -c 4 "$HELPER_BIN" | od -An -c | tr -d ' ')" = 177ELF ]; then
    strip --strip-debug -o "$T/helper.stripped" "$HELPER_BIN"
    cmp -s "$T/root/init" "$T/helper.stripped" || fail "/init is not the (stripped) helper binary"
else
    cmp -s "$T/root/init" "$HELPER_BIN" || fail "/init is not the helper binary"
fi
[ "$(stat -c %u:%g "$T/root/init")" = 0:0 ] || fail "/init is not owned by root"
[ "$(readlink "$T/root/lib")" = usr/lib ] || fail "/lib is not the merged-/usr symlink"
# Every library each program needs on the host is in the image at the
# path the loader uses.
for p in $(manifest "$T/helper" "' '.join(m['programs'])") /init; do
    host=$p
    [ "$p" = /init ] && host=$HELPER_BIN
    readelf -l "$host" 2>/dev/null | grep -q 'program interpreter' || continue  # static: nothing to load
    while read -r lib; do
        [ -e "$T/root$lib" ] || fail "$p needs $lib, which is not in the image"
    done < <(/lib64/ld-linux-x86-64.so.2 --list "$host" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }')
done
# Modules: each listed one is there, decompressed, dependencies first.
while read -r group m; do
    f=$T/root/lib/modules/$kver/$m
    [ -f "$f" ] || fail "module $m listed but missing"
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] || fail "module $m is not an uncompressed ELF"
done < "$T/root/etc/imgdeploy/modules.load"
pos() { grep -n "/$1.ko\$" "$T/root/etc/imgdeploy/modules.load" | head -1 | cut -d: -f1; }
[ "$(pos jbd2)" -lt "$(pos ext4)" ] || fail "jbd2 after ext4 in modules.load"
[ "$(pos virtio_ring)" -lt "$(pos virtio_blk)" ] || fail "virtio_ring after virtio_blk in modules.load"
[ "$(pos libcrc32c)" -lt "$(pos xfs)" ] || fail "libcrc32c after xfs in modules.load"
if [ "$(id -u)" = 0 ]; then
    # The image's own loader and libraries run the programs (no host files).
    for p in /usr/sbin/e2fsck /usr/sbin/mke2fs /usr/sbin/sfdisk /usr/sbin/blkid /usr/bin/ssh-keygen /usr/bin/btrfs; do
        out=$(chroot "$T/root" "$p" -V 2>&1 || chroot "$T/root" "$p" --version 2>&1 || true)
        echo "$out" | grep -qi 'error while loading\|not found' && fail "$p does not run in the image: $out"
    done
    chroot "$T/root" /usr/bin/ssh-keygen -q -t ed25519 -N '' -f /tmp/key || fail "ssh-keygen fails in the image"
fi

step "determinism: same inputs, byte-identical output"
build "$T/helper2" 2>/dev/null || fail "second build failed"
for f in kernel initramfs manifest.json; do
    cmp "$T/helper/$f" "$T/helper2/$f" || fail "$f differs between two builds"
done
SOURCE_DATE_EPOCH=1700000000 build "$T/helper3" 2>/dev/null || fail "build with SOURCE_DATE_EPOCH failed"
[ "$(manifest "$T/helper3" "m['source_date_epoch']")" = 1700000000 ] || fail "source_date_epoch not in the manifest"
cmp -s "$T/helper/initramfs" "$T/helper3/initramfs" && fail "SOURCE_DATE_EPOCH did not change the mtimes"
# The first member's c_mtime field (newc header bytes 47-54): 1700000000 = 0x6553F100.
[ "$(head -c 54 "$T/helper3/initramfs" | cut -c47-54)" = 6553F100 ] || fail "mtime is not SOURCE_DATE_EPOCH"

step "rebuild over an existing image: replaced in place, no temporary directories left"
ino_before=$(stat -c %i "$T/helper/initramfs")
build "$T/helper" 2>/dev/null || fail "rebuild failed"
[ "$(stat -c %i "$T/helper/initramfs")" != "$ino_before" ] || fail "the rebuild did not replace the image"
cmp "$T/helper/initramfs" "$T/helper2/initramfs" || fail "the rebuild differs"
ls -d "$T"/helper.tmp-* "$T"/helper.old-* 2>/dev/null && fail "temporary directories left"

step "errors: one line, exit 1, previous image kept"
expect_builder_error() {  # PATTERN ARGS...
    local pattern=$1 rc=0
    shift
    "$BUILDER" "$@" > "$T/out" 2> "$T/err" || rc=$?
    [ $rc = 1 ] || { cat "$T/err" >&2; fail "expected exit 1, got $rc: $*"; }
    [ "$(grep -c '^imgdeploy-build-helper: error: ' "$T/err")" = 1 ] || { cat "$T/err" >&2; fail "not one error line: $*"; }
    grep -qE "^imgdeploy-build-helper: error: .*($pattern)" "$T/err" || { cat "$T/err" >&2; fail "error does not match /$pattern/"; }
    grep -qE 'terminate called|Aborted|AddressSanitizer' "$T/err" && fail "crash output: $*"
    echo "   ok: $(grep '^imgdeploy-build-helper: error: ' "$T/err" | cut -c1-150)"
}
common=(--builtin-tasks "$T/tasks" --tasks-dir "$T/tasks.d" --helper-binary "$HELPER_BIN")
expect_builder_error 'no kernel /boot/vmlinuz-9.9.9' -o "$T/helper" --kernel 9.9.9 "${common[@]}"
expect_builder_error 'pass --kernel VERSION' -o "$T/helper" --kernel /etc/passwd "${common[@]}"
expect_builder_error 'no built-in tasks directory' -o "$T/helper" --builtin-tasks "$T/none" --helper-binary "$HELPER_BIN"
expect_builder_error 'no helper binary' -o "$T/helper" --builtin-tasks "$T/tasks" --helper-binary "$T/none"
expect_builder_error 'not a helper image .*refusing' -o "$T/tasks" "${common[@]}"
printf '#!/usr/bin/python3\n' > "$T/tasks.d/50Python" && chmod 755 "$T/tasks.d/50Python"
expect_builder_error 'task .*/tasks.d/50Python is a script for /usr/bin/python3' -o "$T/helper" "${common[@]}"
rm "$T/tasks.d/50Python"
printf 'helper:\n  dir: relative\n' > "$T/bad.yaml"
expect_builder_error 'bad.yaml:2: helper.dir' --config "$T/bad.yaml" "${common[@]}"
cmp "$T/helper/initramfs" "$T/helper2/initramfs" || fail "a failed build changed the previous image"
[ -f "$T/tasks/10First" ] || fail "the refused output directory was changed"
ls -d "$T"/*.tmp-* 2>/dev/null && fail "a failed build left a temporary directory"
rc=0
"$BUILDER" --bogus > /dev/null 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q '^imgdeploy-build-helper: error: ' "$T/err" || fail "bad option: exit $rc"

# boot_vm KERNEL INITRAMFS LOG: boots under TCG with a 60 s limit, killing
# qemu by PID on timeout; sets BOOT_SECS to the seconds it took.
FAST_CMDLINE="console=ttyS0 quiet panic=-1 8250.nr_uarts=2 i8042.noaux i8042.nokbd i8042.nopnp cryptomgr.notests mitigations=off nokaslr random.trust_cpu=on tsc=reliable no_timer_check"
boot_vm() {
    local start pid waited=0
    start=$(date +%s.%N)
    qemu-system-x86_64 -M pc -accel tcg -m 256 -nodefaults -no-user-config -display none -nic none \
        -serial stdio -no-reboot -kernel "$1" -initrd "$2" -append "$FAST_CMDLINE" < /dev/null > "$3" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    while kill -0 "$pid" 2>/dev/null; do
        if [ $waited -ge 600 ]; then  # 600 x 0.1 s
            kill "$pid"
            wait "$pid" 2>/dev/null || true
            cat "$3" >&2
            fail "the helper VM did not power off within 60 s"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$pid" 2>/dev/null || true
    BOOT_SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "SKIP (boot): no qemu-system-x86_64 (install qemu-system-x86)"
    exit 0
fi
grep -qx usr/bin/busybox "$T/list" || skip "boot tests need busybox in the image (install busybox-static)"

step "smoke boot: /init = a shell script, PVH vmlinux vs bzImage"
printf '#!/bin/sh\necho HELPER-SMOKE-OK; /bin/busybox poweroff -f\n' > "$T/smoke-init"
chmod 755 "$T/smoke-init"
"$BUILDER" -o "$T/smoke" --builtin-tasks "$T/tasks" --tasks-dir "$T/tasks.d" --helper-binary "$T/smoke-init" 2>/dev/null ||
    fail "smoke build failed"
for i in 1 2 3; do
    boot_vm "$T/smoke/kernel" "$T/smoke/initramfs" "$T/boot-pvh.log"
    pvh=$BOOT_SECS
    grep -q HELPER-SMOKE-OK "$T/boot-pvh.log" || { cat "$T/boot-pvh.log" >&2; fail "PVH boot: no HELPER-SMOKE-OK"; }
    boot_vm "/boot/vmlinuz-$kver" "$T/smoke/initramfs" "$T/boot-bz.log"
    bz=$BOOT_SECS
    grep -q HELPER-SMOKE-OK "$T/boot-bz.log" || { cat "$T/boot-bz.log" >&2; fail "bzImage boot: no HELPER-SMOKE-OK"; }
    echo "   run $i: PVH vmlinux ${pvh}s, bzImage ${bz}s"
done

step "check boot: every module loads, the programs and tasks run inside the VM"
cat > "$T/check-init" <<'EOF'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
v=$(uname -r)
awk '!seen[$2]++' /etc/imgdeploy/modules.load | while read -r group m; do insmod "/lib/modules/$v/$m" || echo "MODULE-FAILED $m"; done
for fs in ext4 xfs btrfs vfat; do grep -qw "$fs" /proc/filesystems || echo "FS-MISSING $fs"; done
for p in e2fsck mke2fs dumpe2fs xfs_growfs btrfs mkswap blkid sfdisk partx mount umount ssh-keygen; do
    "$p" --version 2>&1 | grep -q 'error while loading' && echo "PROGRAM-FAILED $p"
done
ssh-keygen -q -t ed25519 -N '' -f /tmp/key && echo SSH-KEYGEN-OK
dd if=/dev/zero of=/tmp/fs.img bs=1M count=32 2>/dev/null
mkfs.ext4 -q -F /tmp/fs.img && resize2fs /tmp/fs.img 48M >/dev/null 2>&1 && e2fsck -fn /tmp/fs.img >/dev/null 2>&1 && echo EXT4-OK
for t in /usr/lib/imgdeploy/tasks/*; do "$t"; done
echo CHECK-DONE
poweroff -f
EOF
chmod 755 "$T/check-init"
"$BUILDER" -o "$T/check" --builtin-tasks "$T/tasks" --tasks-dir "$T/tasks.d" --helper-binary "$T/check-init" 2>/dev/null ||
    fail "check build failed"
boot_vm "$T/check/kernel" "$T/check/initramfs" "$T/boot-check.log"
echo "   check boot: ${BOOT_SECS}s"
grep -q CHECK-DONE "$T/boot-check.log" || { cat "$T/boot-check.log" >&2; fail "check boot did not finish"; }
if grep -E 'MODULE-FAILED|FS-MISSING|PROGRAM-FAILED' "$T/boot-check.log"; then
    fail "inside the VM (see above)"
fi
for want in SSH-KEYGEN-OK EXT4-OK TASK-10-BUILTIN TASK-20-DROPIN TASK-30-DROPIN; do
    grep -q "$want" "$T/boot-check.log" || { cat "$T/boot-check.log" >&2; fail "no $want from the VM"; }
done
grep -q TASK-20-BUILTIN "$T/boot-check.log" && fail "the replaced built-in task ran"

if [ "$HELPER_BIN" != /bin/true ]; then
    step "the real helper as /init: without imgdeploy.activate it powers off by itself"
    boot_vm "$T/helper/kernel" "$T/helper/initramfs" "$T/boot-helper.log"
    echo "   ${BOOT_SECS}s"
    sed 's/^/   | /' "$T/boot-helper.log" | tail -5
    grep -q 'Kernel panic' "$T/boot-helper.log" && fail "the helper crashed (kernel panic)"
fi
echo "OK"
