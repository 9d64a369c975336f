#pragma once
// What file system a block device holds, through libblkid's superblock probe
// (the same library the helper and blkid(8) use).

#include <optional>
#include <string>

namespace imgdeploy::tasks {

struct FilesystemInfo {
    std::string type;   // "ext4", "xfs", "btrfs", "vfat", "swap", ...
    std::string uuid;   // may be empty
    std::string label;  // may be empty
};

/// nullopt when libblkid finds nothing; throws Error when the device cannot
/// be read or holds signatures of more than one file system.
std::optional<FilesystemInfo> probe_filesystem(const std::string& device);

/// True for ext2, ext3, ext4 (and ext4dev).
bool is_ext_filesystem(const std::string& type);

}  // namespace imgdeploy::tasks
