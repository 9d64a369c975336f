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

#include <string>
#include <vector>

namespace imgdeploy::tasks {

struct TableGrowth {
    std::string label;                   // "dos" or "gpt"
    std::vector<std::string> changes;    // "partition 2: 131072 -> 262144 sectors", ...
    bool written = false;                // the table on disk was rewritten
    std::vector<PartitionExtent> table;  // every partition afterwards
};

enum class LabelPolicy { msdos_or_gpt, gpt_only };

/// Throws Error when the disk has no msdos/gpt label (or not gpt with
/// gpt_only) or no partition. Idempotent: nothing to grow, nothing written.
TableGrowth grow_partition_table(const std::string& disk, LabelPolicy policy);

}  // namespace imgdeploy::tasks
