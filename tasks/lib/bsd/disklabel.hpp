#pragma once
// BSD disklabels inside an MBR slice (OpenBSD 0xa6, NetBSD 0xa9), as
// snf-image's disklabel.py handles them (SNF-IMAGE-REFERENCE §5.5/§5.6):
// parsing, the kernel's (msdos.c parse_bsd) Linux numbering of the
// subpartitions, and growing the slice, the label and its last partition
// to the end of the disk, with OpenBSD's 48-bit fields and the checksum.
// Pure functions over the first sectors of the disk, so they are tested
// without a disk.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy::tasks::bsd {

enum class LabelFlavor { openbsd, netbsd };

inline constexpr uint32_t k_disklabel_magic = 0x82564557;
inline constexpr uint64_t k_sector = 512;

struct BsdPartition {
    char letter = 'a';
    uint64_t offset = 0; // sectors from the start of the disk
    uint64_t size = 0;   // sectors
    uint8_t fstype = 0;  // 0 unused, 1 swap, 7 4.2BSD (UFS), ...
};

struct MbrSlice {
    unsigned number = 0; // 1..4
    uint8_t type = 0;
    uint64_t start = 0;
    uint64_t size = 0;
};

struct BsdDisk {
    LabelFlavor flavor = LabelFlavor::openbsd;
    MbrSlice slice;            // the BSD slice
    std::vector<MbrSlice> mbr; // every used MBR entry
    uint64_t label_offset = 0; // bytes from the start of the disk
    uint64_t secperunit = 0;
    uint64_t bstart = 0, bend = 0;        // OpenBSD usable area
    std::vector<BsdPartition> partitions; // d_npartitions entries, unused ones included
};

/// Parses the MBR (sector 0) and the label (sector 1 of the BSD slice) from
/// `head`, the disk's first bytes (enough to hold the label). Throws Error
/// naming the problem (no MBR, no BSD slice, bad magic, bad checksum).
BsdDisk parse_bsd_disk(const std::string& head);

/// The label checksum (xor of the 16-bit words up to the end of the
/// partition table, d_checksum taken as 0).
uint16_t disklabel_checksum(const std::string& label);

/// The Linux partition number of each subpartition the kernel lists
/// (letter -> 5, 6, ... in label order; unused ones, the one equal to the
/// slice and the ones outside it get none).
std::vector<std::pair<char, unsigned>> linux_numbers(const BsdDisk& disk);

struct BsdGrowth {
    std::vector<std::string> changes; // for the log
    bool changed = false;
};

/// Grows the slice (MBR entry, CHS end clamped), the label's unit size,
/// raw partitions and usable area, and the last partition to the end of
/// `disk_sectors`, rewriting `head` in place (checksum updated). The slice
/// must be the last thing on the disk. Idempotent.
BsdGrowth grow_bsd_disk(std::string& head, uint64_t disk_sectors);

/// How many bytes of the disk parse/grow need (MBR + label sector).
uint64_t bsd_head_bytes(const std::string& mbr_sector);

} // namespace imgdeploy::tasks::bsd
