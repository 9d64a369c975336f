#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/kernel_modules.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fcntl.h>
#include <lzma.h>
#include <string>
#include <vector>

using namespace imgdeploy;
using namespace imgdeploy::builder;
using namespace std::string_literals;

namespace {

/// A small depmod output in the shapes Debian's has: users listed before
/// what they use, compressed and dashed names, soft dependencies through
/// aliases, built-in modules and built-in aliases.
DepmodFiles synthetic() {
    DepmodFiles f;
    f.dep =
        "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz\n"
        "kernel/fs/jbd2/jbd2.ko.xz:\n"
        "kernel/fs/mbcache.ko.xz:\n"
        "kernel/lib/crc16.ko.xz:\n"
        "kernel/drivers/scsi/sd_mod.ko: kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/drivers/scsi/scsi_mod.ko "
        "kernel/drivers/scsi/scsi_common.ko kernel/lib/crc64.ko\n"
        "kernel/block/t10-pi.ko: kernel/lib/crc64-rocksoft.ko kernel/lib/crc64.ko\n"
        "kernel/lib/crc64-rocksoft.ko: kernel/lib/crc64.ko\n"
        "kernel/lib/crc64.ko:\n"
        "kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko\n"
        "kernel/drivers/scsi/scsi_common.ko:\n"
        "kernel/crypto/crc32c_generic.ko.zst:\n"
        "kernel/arch/x86/crypto/crc32c-intel.ko.zst:\n"
        "kernel/lib/libcrc32c.ko:\n"
        "kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko\n"
        "kernel/fs/nls/nls_utf8.ko:\n";
    f.builtin = "kernel/drivers/virtio/virtio.ko\nkernel/drivers/block/virtio_blk.ko\n";
    f.builtin_modinfo = "sha256_generic.alias=crypto-sha256\0sha256_generic.alias=sha256\0"s;
    f.softdep =
        "# Soft dependencies extracted from modules themselves.\n"
        "softdep ext4 pre: crypto-crc32c\n"
        "softdep jbd2 pre: crypto-crc32c\n"
        "softdep libcrc32c pre: crc32c\n"
        "softdep xfs pre: sha256\n"
        "softdep cifs gcm\n";
    f.alias =
        "alias crypto-crc32c-intel crc32c_intel\n"
        "alias crypto-crc32c crc32c_intel\n"
        "alias crc32c crc32c_intel\n"
        "alias crypto-crc32c crc32c_generic\n"
        "alias crc32c crc32c_generic\n"
        "alias fs-ext4 ext4\n";
    return f;
}

bool before(const std::vector<std::string>& order, const std::string& a, const std::string& b) {
    auto ia = std::find(order.begin(), order.end(), a);
    auto ib = std::find(order.begin(), order.end(), b);
    return ia != order.end() && ib != order.end() && ia < ib;
}

std::string xz_compress(const std::string& data) {
    std::string out(data.size() + 1024, '\0');
    size_t pos = 0;
    REQUIRE(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t*>(data.data()),
                                    data.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()) == LZMA_OK);
    out.resize(pos);
    return out;
}

}  // namespace

TEST_CASE("modules come after all their hard dependencies, each once", "[modules]") {
    ModuleSelection sel = ModuleIndex::parse(synthetic()).resolve({"sd_mod", "ext4", "sd_mod"});
    const auto& o = sel.load_order;
    CHECK(o.size() == 11);  // 6 for sd_mod, 4 for ext4 + crc32c_generic
    CHECK(before(o, "kernel/drivers/scsi/scsi_common.ko", "kernel/drivers/scsi/scsi_mod.ko"));
    CHECK(before(o, "kernel/drivers/scsi/scsi_mod.ko", "kernel/drivers/scsi/sd_mod.ko"));
    CHECK(before(o, "kernel/lib/crc64.ko", "kernel/lib/crc64-rocksoft.ko"));
    CHECK(before(o, "kernel/lib/crc64-rocksoft.ko", "kernel/block/t10-pi.ko"));
    CHECK(before(o, "kernel/block/t10-pi.ko", "kernel/drivers/scsi/sd_mod.ko"));
    CHECK(before(o, "kernel/fs/jbd2/jbd2.ko.xz", "kernel/fs/ext4/ext4.ko.xz"));
    CHECK(before(o, "kernel/fs/mbcache.ko.xz", "kernel/fs/ext4/ext4.ko.xz"));
    CHECK(before(o, "kernel/lib/crc16.ko.xz", "kernel/fs/ext4/ext4.ko.xz"));
    CHECK(o.back() == "kernel/fs/ext4/ext4.ko.xz");
    CHECK(sel.missing.empty());
}

TEST_CASE("soft dependencies go first, through aliases, preferring *_generic", "[modules]") {
    ModuleSelection sel = ModuleIndex::parse(synthetic()).resolve({"ext4", "xfs"});
    const auto& o = sel.load_order;
    CHECK(before(o, "kernel/crypto/crc32c_generic.ko.zst", "kernel/fs/jbd2/jbd2.ko.xz"));
    CHECK(before(o, "kernel/crypto/crc32c_generic.ko.zst", "kernel/lib/libcrc32c.ko"));
    CHECK(before(o, "kernel/lib/libcrc32c.ko", "kernel/fs/xfs/xfs.ko"));
    // crc32c-intel fails to load without SSE4.2 (TCG's default CPU); sha256
    // is built in, so xfs's soft dependency on it adds nothing.
    CHECK(std::count(o.begin(), o.end(), "kernel/arch/x86/crypto/crc32c-intel.ko.zst") == 0);
    CHECK(std::count(o.begin(), o.end(), "kernel/crypto/crc32c_generic.ko.zst") == 1);
    CHECK(o.size() == 7);
}

TEST_CASE("built-in and unknown modules are reported, not loaded", "[modules]") {
    ModuleSelection sel = ModuleIndex::parse(synthetic()).resolve({"virtio_blk", "virtio-blk", "nosuchfs", "nls-utf8", "fs-ext4"});
    CHECK(sel.builtin == std::vector<std::string>{"virtio_blk", "virtio-blk"});
    CHECK(sel.missing == std::vector<std::string>{"nosuchfs"});
    CHECK(sel.load_order.front() == "kernel/fs/nls/nls_utf8.ko");  // '-' and '_' are the same
    CHECK(sel.load_order.back() == "kernel/fs/ext4/ext4.ko.xz");  // found by its alias
}

TEST_CASE("module names and stored paths drop the compression suffix", "[modules]") {
    CHECK(module_name("kernel/arch/x86/crypto/crc32c-intel.ko.zst") == "crc32c_intel");
    CHECK(module_name("kernel/fs/ext4/ext4.ko") == "ext4");
    CHECK(stored_module_path("kernel/fs/ext4/ext4.ko.xz") == "kernel/fs/ext4/ext4.ko");
    CHECK(stored_module_path("kernel/fs/ext4/ext4.ko.zst") == "kernel/fs/ext4/ext4.ko");
    CHECK(stored_module_path("kernel/fs/ext4/ext4.ko.gz") == "kernel/fs/ext4/ext4.ko");
    CHECK(stored_module_path("kernel/fs/ext4/ext4.ko") == "kernel/fs/ext4/ext4.ko");
}

TEST_CASE("read_module decompresses .ko.xz and passes .ko through", "[modules]") {
    TempDir dir("/tmp", "imgdeploy-test-mod.");
    std::string elf = "\x7f" "ELF pretend module body";
    std::string xz = xz_compress(elf);
    for (const auto& [name, content] : {std::pair{"a.ko", elf}, std::pair{"b.ko.xz", xz}}) {
        std::string path = dir.path() + "/" + name;
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT, 0644);
        sys::write_full(fd.get(), content.data(), content.size(), path);
    }
    CHECK(read_module(dir.path() + "/a.ko") == elf);
    CHECK(read_module(dir.path() + "/b.ko.xz") == elf);
}

TEST_CASE("the installed kernel's modules resolve with nothing missing", "[modules][host]") {
    std::string dir = "/lib/modules/6.1.0-56-amd64";
    if (!sys::stat_if_exists(dir + "/modules.dep")) {
        WARN("no " << dir << ": skipped");
        return;
    }
    ModuleSelection sel =
        ModuleIndex::load(dir).resolve({"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "floppy", "ext4", "xfs",
                                        "btrfs", "vfat", "nls_cp437", "nls_utf8", "nls_ascii"});
    CHECK(sel.missing.empty());
    CHECK(before(sel.load_order, "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/block/virtio_blk.ko"));
    CHECK(before(sel.load_order, "kernel/crypto/crc32c_generic.ko", "kernel/lib/libcrc32c.ko"));
    CHECK(before(sel.load_order, "kernel/fs/fat/fat.ko", "kernel/fs/fat/vfat.ko"));
}
