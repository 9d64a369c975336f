#pragma once
// Growing a disk's partition table to the disk's (new) size with libfdisk:
// the last partition (msdos: the extended partition and its last logical
// one when the extended partition is last) is enlarged to the end of the
// disk, and a GPT's backup header and table are moved to the disk's end.
//
// No tail reserve: snf-image stopped 2049 sectors short of the end, a
// margin from its parted/sgdisk era. libfdisk already keeps what the label
// needs (GPT: the 33-sector backup area; its free-space accounting keeps
// partition starts aligned) and nothing else uses the tail of a
// Linux disk, so the last partition gets all of it.

#include "tasks/lib/kernel_partitions.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy::tasks {

/// A swap partition to create at the end of the disk before growing (the
/// SWAP property's "<partnum>:<MB>" form): msdos partnum 1-4 a primary,
/// >= 5 a logical one (in the extended partition, which is created at the
/// end when there is none); GPT a "Linux swap" partition named "swap".
/// The last data partition then grows up to it.
struct SwapPartitionRequest {
    unsigned number = 0;  // Linux numbering
    uint64_t mib = 0;
    std::string what;     // "SWAP '2:64'", for messages
};

struct TableGrowth {
    std::string label;                   // "dos" or "gpt"
    std::vector<std::string> changes;    // "partition 2: 131072 -> 262144 sectors", ...
    bool written = false;                // the table on disk was rewritten
    std::vector<PartitionExtent> table;  // every partition afterwards
    bool swap_created = false;           // the swap partition was added now
};

enum class LabelPolicy { msdos_or_gpt, gpt_only };

/// Throws Error when the disk has no msdos/gpt label (or not gpt with
/// gpt_only) or no partition, and, naming swap->what, when the swap
/// partition's number is taken by another partition, cannot be made (msdos:
/// 5 and up must be the next logical number, four primaries), or does not
/// fit behind the last partition. Idempotent: nothing to grow and the swap
/// partition already there (same number, swap type, same size), nothing
/// written.
TableGrowth grow_partition_table(const std::string& disk, LabelPolicy policy,
                                 const std::optional<SwapPartitionRequest>& swap = std::nullopt);

}  // namespace imgdeploy::tasks
