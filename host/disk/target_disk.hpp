#pragma once
// TargetDisk: the disk an image is written to, a block device or a regular
// file (Ganeti's -t file). Opened O_DIRECT; a block device also O_EXCL and a
// file with an exclusive flock, so two deployments cannot write one disk.

#include "common/unique_fd.hpp"

#include <cstdint>
#include <string>

namespace imgdeploy {

class TargetDisk {
  public:
    enum class Access { read_write, read_only };
    /// Throws Error naming the path: missing, not a disk, or in use.
    TargetDisk(const std::string& path, Access access);

    const std::string& path() const { return m_path; }
    /// fd for aligned O_DIRECT I/O (plain I/O where the file system refuses O_DIRECT).
    int direct_fd() const { return m_direct.get(); }
    /// A page-cache fd on the same disk for the unaligned tail of an image.
    int buffered_fd() const { return m_buffered.get(); }
    uint64_t size() const { return m_size; }
    /// Alignment for direct_fd() offsets and lengths.
    uint32_t alignment() const { return m_alignment; }
    bool is_block_device() const { return m_block; }

  private:
    std::string m_path;
    UniqueFd m_direct;
    UniqueFd m_buffered;
    uint64_t m_size = 0;
    uint32_t m_alignment = 4096;
    bool m_block = false;
};

}  // namespace imgdeploy
