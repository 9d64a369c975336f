#include "host/image/fsdump_preamble.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <cstring>

namespace imgdeploy {

namespace {

constexpr uint64_t k_sector = 512;
constexpr uint64_t k_first_lba = 2048;

void put_le32(char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
}

/// CHS for an LBA with the conventional 255 heads / 63 sectors geometry,
/// saturated at the 1023/254/63 marker past the CHS limit.
void put_chs(char* p, uint64_t lba) {
    uint64_t cyl = lba / (255 * 63);
    uint64_t head = (lba / 63) % 255;
    uint64_t sec = lba % 63 + 1;
    if (cyl > 1023) {
        cyl = 1023;
        head = 254;
        sec = 63;
    }
    p[0] = static_cast<char>(head);
    p[1] = static_cast<char>((sec & 0x3f) | ((cyl >> 2) & 0xc0));
    p[2] = static_cast<char>(cyl & 0xff);
}

}  // namespace

std::vector<char> make_fsdump_preamble(uint64_t dump_bytes, PartitionKind kind,
                                       const std::string& boot_code_path) {
    uint64_t sectors = (dump_bytes + k_sector - 1) / k_sector;
    if (sectors == 0) {
        throw Error("the partition image is empty");
    }
    if (k_first_lba + sectors > 0xffffffffull) {
        throw Error("the partition image is too large for an MBR partition (2 TiB limit)");
    }
    std::string code;
    try {
        code = sys::read_file(boot_code_path);
    } catch (const Error& e) {
        throw Error(std::string("MBR boot code (install syslinux-common): ") + e.what());
    }
    std::vector<char> mbr(k_preamble_bytes, 0);
    std::memcpy(mbr.data(), code.data(), std::min<size_t>(code.size(), 440));
    char* entry = mbr.data() + 446;
    entry[0] = static_cast<char>(0x80);  // bootable
    put_chs(entry + 1, k_first_lba);
    entry[4] = static_cast<char>(kind == PartitionKind::ntfs ? 0x07 : 0x83);
    put_chs(entry + 5, k_first_lba + sectors - 1);
    put_le32(entry + 8, static_cast<uint32_t>(k_first_lba));
    put_le32(entry + 12, static_cast<uint32_t>(sectors));
    mbr[510] = 0x55;
    mbr[511] = static_cast<char>(0xaa);
    return mbr;
}

}  // namespace imgdeploy
