#pragma once
// The kernel's view of a disk's partitions (sysfs) and bringing it in line
// with a partition table we just wrote: BLKRRPART first; where the kernel
// refuses (EBUSY, or EINVAL on a loop device without partition scanning)
// or its result still differs, BLKPG add/resize/delete per partition, as
// partx(8) does.

#include <cstdint>
#include <string>
#include <vector>

namespace imgdeploy::tasks {

/// One partition; offsets and sizes in bytes.
struct PartitionExtent {
    unsigned number = 0;
    uint64_t start = 0;
    uint64_t size = 0;
    /// An msdos extended partition: the kernel shows it as 1 KiB at most.
    bool container = false;
};

/// The partitions the kernel knows for `disk` (from /sys/dev/block/M:m/).
std::vector<PartitionExtent> kernel_partitions(const std::string& disk);

/// Makes the kernel's partitions of `disk` equal `table`. Throws Error
/// naming the partition the kernel would not take.
void sync_kernel_partitions(const std::string& disk, const std::vector<PartitionExtent>& table);

/// The extent the kernel shows for a table entry (containers shrunk).
PartitionExtent kernel_extent(const PartitionExtent& entry);

}  // namespace imgdeploy::tasks
