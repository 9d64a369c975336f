#pragma once
// What is on the instance's disk, read with libblkid: the partition table,
// each partition's file system, the partition to grow, and (when the image
// properties do not say) the OS family and root partition (§5.6).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

struct PartitionInfo {
    int number = 0;  // Linux numbering (logical partitions from 5)
    uint64_t start = 0;
    uint64_t size = 0;
    bool extended = false;
    int mbr_type = 0;          // dos: the type byte
    std::string gpt_type;      // gpt: the type GUID, upper case
    std::string device;        // /dev/vda1
    std::string fstype;        // ext4, xfs, btrfs, ntfs, vfat, swap, ... or empty
};

struct DiskLayout {
    std::string table;  // "dos", "gpt" or empty
    std::vector<PartitionInfo> partitions;
};

/// /dev/vda + 1 -> /dev/vda1; /dev/loop0 + 1 -> /dev/loop0p1.
std::string partition_device(const std::string& disk, int number);

DiskLayout probe_disk(const std::string& disk);

/// The partition whose file system grows into the disk's new space: the
/// one ending last that is not an extended container; 0 when none.
int partition_to_resize(const DiskLayout& layout);

struct DetectedOs {
    std::string osfamily;  // linux, windows, freebsd, openbsd, netbsd
    int root_partition = 0;
};

/// Walks the partitions in order and returns the first that looks like an
/// OS root: BSD by partition type, Windows by NTFS, Linux by a read-only
/// mount (no journal replay) that finds /etc/fstab. `scratch` is an empty
/// directory to mount on.
std::optional<DetectedOs> detect_os(const DiskLayout& layout, const std::string& scratch);

}  // namespace imgdeploy
