#!/bin/bash
# build.sh — set up, build, test, demo and benchmark imgdeploy on Debian 12.
#   ./build.sh deps    install every dependency (apt; needs root)
#   ./build.sh build   deps + configure and build (build/)
#   ./build.sh test    build + every test (ctest), then again under ASan+UBSan
#   ./build.sh demo    build + deploy a generated sample image onto a scratch disk
#   ./build.sh bench   build + the benchmarks in bench/ (results: bench/RESULTS.md)
#   ./build.sh deb     the Debian package (build/deb/imgdeploy_*.deb)
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
jobs=$(nproc)

# Build, test and run-time dependencies, all Debian packages.
packages=(
    build-essential cmake ninja-build pkg-config
    libcurl4-openssl-dev zlib1g-dev liblzma-dev libzstd-dev libbz2-dev libssl-dev
    libcrypt-dev libblkid-dev libfdisk-dev libhivex-dev libhivex-bin libxml2-dev libxml2-utils nlohmann-json3-dev libyaml-cpp-dev
    libspdlog-dev libboost-program-options-dev catch2
    mtools syslinux-common fdisk util-linux e2fsprogs python3
    python3-pyftpdlib python3-openssl python3-yaml openssl udev iproute2 netplan.io
    qemu-system-x86 linux-image-amd64 mmdebstrap xfsprogs btrfs-progs dosfstools
    openssh-client busybox gdisk ntfs-3g perl cpio grub-pc-bin grub2-common
    gzip xz-utils zstd bzip2 curl
    debhelper lintian ganeti
)
bench_packages=(qemu-utils bmap-tools pigz time)

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "build.sh: $1 needs root (apt-get install)" >&2
        exit 1
    fi
}

install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root "installing ${missing[*]}"
    echo "build.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

deps() { install_packages "${packages[@]}"; }

# ccache, when the machine has it, shares objects between build trees.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)

configure_and_build() {  # dir extra-cmake-args...
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGDEPLOY_WERROR=ON "${launcher[@]}" "$@" >/dev/null
    ninja -C "$dir" -j "$jobs"
}

build() {
    deps
    configure_and_build "$root/build"
}

run_ctest() {  # dir
    ctest --test-dir "$1" --output-on-failure --no-tests=error -j 2
}

# Under ASan+UBSan: every unit test, and the integration tests that drive
# the host program. The tests that boot the helper VM run in the normal
# build only: there the guest's programs would carry the sanitizer runtime
# into the VM, and the host side they exercise is covered by the others.
asan_targets=(imgdeploy unit_common unit_common_compression unit_host_ganeti unit_host_config unit_host_image
              unit_host_disk unit_host_progress unit_host_ops unit_host_vm unit_helper
              unit_tasks unit_builder task_50ConfigureNetwork)
asan_integration='integration_test_(bad_input|formats|http|https_ftp|ganeti_scripts|exclusive_and_signals|fsdump|network_task)$'

test_all() {
    build
    echo "== Debian package (for the Ganeti tests) =="
    deb
    echo "== tests (RelWithDebInfo) =="
    run_ctest "$root/build"
    echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
    cmake -S "$root" -B "$root/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DIMGDEPLOY_WERROR=ON -DIMGDEPLOY_SANITIZE=ON "${launcher[@]}" >/dev/null
    ninja -C "$root/build-asan" -j "$jobs" "${asan_targets[@]}"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --test-dir "$root/build-asan" --output-on-failure --no-tests=error -j 2 \
        -R "^unit_|$asan_integration"
}

# The Debian package, built from a copy of the tree in build/deb/src (the
# package build tree there is kept, so a rebuild is incremental); the .deb
# lands in build/deb. The tests are not built: they run in test_all.
deb() {
    deps
    local out=$root/build/deb
    mkdir -p "$out/src"
    find "$out/src" -mindepth 1 -maxdepth 1 ! -name 'obj-*' -exec rm -rf {} +
    tar -C "$root" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./.cache -cf - . |
        tar -C "$out/src" -xf -
    rm -f "$out"/imgdeploy_* "$out"/imgdeploy-dbgsym_*
    (cd "$out/src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" dpkg-buildpackage -us -uc -b -nc >"$out/build.log" 2>&1) ||
        { tail -40 "$out/build.log"; echo "build.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
    ls "$out"/imgdeploy_*.deb
}

demo() {
    build
    "$root/tests/lib/demo.sh" "$root/build/host/imgdeploy"
}

bench() {
    build
    install_packages "${bench_packages[@]}"
    "$root/bench/run.sh" "$root/build/host/imgdeploy"
    "$root/bench/helper.sh" "$root/build"
}

case "${1:-}" in
    deps) deps ;;
    build) build ;;
    test) test_all ;;
    demo) demo ;;
    bench) bench ;;
    deb) deb ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
