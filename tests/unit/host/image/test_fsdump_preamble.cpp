#include "host/image/fsdump_preamble.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

const std::string k_mbr_bin = "/usr/lib/syslinux/mbr/mbr.bin";

uint32_t le32(const std::vector<char>& v, size_t at) {
    uint32_t x = 0;
    for (size_t i = 0; i < 4; ++i) {
        x |= static_cast<uint32_t>(static_cast<unsigned char>(v[at + i])) << (8 * i);
    }
    return x;
}

unsigned byte_at(const std::vector<char>& v, size_t at) {
    return static_cast<unsigned char>(v[at]);
}

bool all_zero(const std::vector<char>& v, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
        if (v[i] != 0) {
            return false;
        }
    }
    return true;
}

void write_bytes(const std::string& path, const std::string& data) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    sys::write_full(fd.get(), data.data(), data.size(), path);
}

/// Checks the partition entry and signature of a preamble.
void check_entry(const std::vector<char>& mbr, unsigned type, uint32_t sectors) {
    REQUIRE(mbr.size() == k_preamble_bytes);
    CHECK(byte_at(mbr, 446) == 0x80);
    CHECK(byte_at(mbr, 446 + 4) == type);
    CHECK(le32(mbr, 446 + 8) == 2048);
    CHECK(le32(mbr, 446 + 12) == sectors);
    // The other three entries are empty.
    CHECK(all_zero(mbr, 462, 510));
    CHECK(byte_at(mbr, 510) == 0x55);
    CHECK(byte_at(mbr, 511) == 0xaa);
    // Everything after the MBR sector, up to the partition, is zero.
    CHECK(all_zero(mbr, 512, mbr.size()));
}

}  // namespace

TEST_CASE("fsdump preamble: an MBR with one bootable ext partition at 2048", "[fsdump_preamble]") {
    auto mbr = make_fsdump_preamble(10u << 20, PartitionKind::linux_ext, k_mbr_bin);
    check_entry(mbr, 0x83, 20480);
}

TEST_CASE("fsdump preamble: NTFS gets type 0x07", "[fsdump_preamble]") {
    auto mbr = make_fsdump_preamble(10u << 20, PartitionKind::ntfs, k_mbr_bin);
    check_entry(mbr, 0x07, 20480);
}

TEST_CASE("fsdump preamble: the boot code is the first 440 bytes of mbr.bin",
          "[fsdump_preamble]") {
    std::string code = sys::read_file(k_mbr_bin);
    REQUIRE(code.size() >= 400);
    auto mbr = make_fsdump_preamble(4096, PartitionKind::linux_ext, k_mbr_bin);
    size_t n = std::min<size_t>(code.size(), 440);
    CHECK(std::string(mbr.data(), n) == code.substr(0, n));
    // Disk signature and the reserved word stay zero.
    CHECK(all_zero(mbr, n, 446));
}

TEST_CASE("fsdump preamble: the sector count rounds up", "[fsdump_preamble]") {
    CHECK(le32(make_fsdump_preamble(1, PartitionKind::linux_ext, k_mbr_bin), 458) == 1);
    CHECK(le32(make_fsdump_preamble(511, PartitionKind::linux_ext, k_mbr_bin), 458) == 1);
    CHECK(le32(make_fsdump_preamble(512, PartitionKind::linux_ext, k_mbr_bin), 458) == 1);
    CHECK(le32(make_fsdump_preamble(513, PartitionKind::linux_ext, k_mbr_bin), 458) == 2);
    CHECK(le32(make_fsdump_preamble((3u << 20) + 100, PartitionKind::linux_ext, k_mbr_bin), 458) ==
          6145);
}

TEST_CASE("fsdump preamble: CHS addresses", "[fsdump_preamble]") {
    // 10 MiB: LBA 2048 is C/H/S 0/32/33, LBA 22527 is 1/102/37.
    auto small = make_fsdump_preamble(10u << 20, PartitionKind::linux_ext, k_mbr_bin);
    CHECK(byte_at(small, 447) == 32);
    CHECK(byte_at(small, 448) == 33);
    CHECK(byte_at(small, 449) == 0);
    CHECK(byte_at(small, 451) == 102);
    CHECK(byte_at(small, 452) == 37);
    CHECK(byte_at(small, 453) == 1);
    // 3 GiB: last LBA 6293503 = cylinder 391 (bits 8-9 in the sector byte).
    auto mid = make_fsdump_preamble(uint64_t{3} << 30, PartitionKind::linux_ext, k_mbr_bin);
    uint64_t last = 2048 + (uint64_t{3} << 30) / 512 - 1;
    uint64_t cyl = last / (255 * 63);
    uint64_t head = (last / 63) % 255;
    uint64_t sec = last % 63 + 1;
    REQUIRE(cyl == 391);
    CHECK(byte_at(mid, 451) == head);
    CHECK(byte_at(mid, 452) == (sec | ((cyl >> 2) & 0xc0)));
    CHECK(byte_at(mid, 453) == (cyl & 0xff));
    // 10 GiB is past the CHS limit: 1023/254/63.
    auto big = make_fsdump_preamble(uint64_t{10} << 30, PartitionKind::linux_ext, k_mbr_bin);
    CHECK(byte_at(big, 451) == 0xfe);
    CHECK(byte_at(big, 452) == 0xff);
    CHECK(byte_at(big, 453) == 0xff);
    CHECK(le32(big, 458) == (uint64_t{10} << 30) / 512);
}

TEST_CASE("fsdump preamble: an empty dump is refused", "[fsdump_preamble]") {
    CHECK_THROWS_WITH(make_fsdump_preamble(0, PartitionKind::linux_ext, k_mbr_bin),
                      Contains("empty"));
}

TEST_CASE("fsdump preamble: the 2 TiB MBR limit", "[fsdump_preamble]") {
    uint64_t max_sectors = 0xffffffffull - 2048;
    auto mbr = make_fsdump_preamble(max_sectors * 512, PartitionKind::linux_ext, k_mbr_bin);
    CHECK(le32(mbr, 458) == max_sectors);
    CHECK_THROWS_WITH(make_fsdump_preamble((max_sectors + 1) * 512, PartitionKind::linux_ext,
                                           k_mbr_bin),
                      Contains("too large") && Contains("2 TiB"));
    CHECK_THROWS_WITH(make_fsdump_preamble(uint64_t{4} << 40, PartitionKind::ntfs, k_mbr_bin),
                      Contains("too large"));
}

TEST_CASE("fsdump preamble: a missing boot code file names the package", "[fsdump_preamble]") {
    CHECK_THROWS_WITH(make_fsdump_preamble(4096, PartitionKind::linux_ext,
                                           "/nonexistent/imgdeploy/mbr.bin"),
                      Contains("install syslinux-common") &&
                          Contains("/nonexistent/imgdeploy/mbr.bin"));
}

TEST_CASE("fsdump preamble: boot code longer than 440 bytes is cut", "[fsdump_preamble]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/mbr.bin";
    write_bytes(path, std::string(512, '\xcc'));
    auto mbr = make_fsdump_preamble(1u << 20, PartitionKind::linux_ext, path);
    CHECK(std::string(mbr.data(), 440) == std::string(440, '\xcc'));
    CHECK(all_zero(mbr, 440, 446));
    check_entry(mbr, 0x83, 2048);
}

TEST_CASE("fsdump preamble: short boot code is zero-padded", "[fsdump_preamble]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/mbr.bin";
    write_bytes(path, "\xeb\xfe");
    auto mbr = make_fsdump_preamble(1u << 20, PartitionKind::ntfs, path);
    CHECK(byte_at(mbr, 0) == 0xeb);
    CHECK(byte_at(mbr, 1) == 0xfe);
    CHECK(all_zero(mbr, 2, 446));
    check_entry(mbr, 0x07, 2048);
}

TEST_CASE("fsdump preamble: sfdisk reads the partition table", "[fsdump_preamble]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    for (auto [dump_bytes, kind] : {std::pair{uint64_t{3} << 20, PartitionKind::linux_ext},
                                    std::pair{(uint64_t{2} << 20) + 1000, PartitionKind::ntfs}}) {
        auto mbr = make_fsdump_preamble(dump_bytes, kind, k_mbr_bin);
        std::string path = dir.path() + "/disk.img";
        write_bytes(path, std::string(mbr.data(), mbr.size()) + std::string(dump_bytes, 'd'));
        uint64_t sectors = (dump_bytes + 511) / 512;
        // sfdisk wants the last sector to exist.
        REQUIRE(::truncate(path.c_str(), static_cast<off_t>((2048 + sectors) * 512)) == 0);
        auto j = nlohmann::json::parse(run_capture({"sfdisk", "-J", path}));
        INFO(j.dump(2));
        const auto& table = j.at("partitiontable");
        CHECK(table.at("label") == "dos");
        REQUIRE(table.at("partitions").size() == 1);
        const auto& part = table.at("partitions").at(0);
        CHECK(part.at("start") == 2048);
        CHECK(part.at("size") == sectors);
        CHECK(part.at("type") == (kind == PartitionKind::ntfs ? "7" : "83"));
        CHECK(part.value("bootable", false) == true);
    }
}
