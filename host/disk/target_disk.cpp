#include "host/disk/target_disk.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>

namespace imgdeploy {

TargetDisk::TargetDisk(const std::string& path, Access access) : m_path(path) {
    auto st = sys::stat_if_exists(path);
    if (!st) {
        throw Error("disk " + path + " does not exist");
    }
    m_block = S_ISBLK(st->st_mode);
    if (!m_block && !S_ISREG(st->st_mode)) {
        throw Error("disk " + path + " is neither a block device nor a regular file");
    }
    int mode = access == Access::read_write ? O_RDWR : O_RDONLY;
    int excl = m_block && access == Access::read_write ? O_EXCL : 0;
    int err = 0;
    m_direct = sys::try_open(path, mode | O_DIRECT | excl, err);
    if (!m_direct && err == EINVAL) {
        // tmpfs and some FUSE file systems refuse O_DIRECT.
        spdlog::debug("{}: O_DIRECT refused, using the page cache", path);
        m_direct = sys::try_open(path, mode | excl, err);
    }
    if (!m_direct && err == EBUSY) {
        throw Error("disk " + path +
                    " is in use (mounted, or another deployment is writing it)");
    }
    if (!m_direct) {
        throw SystemError("disk " + path, "open", err);
    }
    if (!m_block && access == Access::read_write && ::flock(m_direct.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            throw Error("disk " + path + " is in use (another deployment is writing it)");
        }
        throw SystemError("disk " + path, "flock", errno);
    }
    m_buffered = sys::open(path, mode);
    if (m_block) {
        m_size = sys::block_device_size(m_direct.get(), path);
        m_alignment = std::max<uint32_t>(sys::block_device_sector_size(m_direct.get(), path), 512);
    } else {
        m_size = static_cast<uint64_t>(st->st_size);
        m_alignment = 4096;
    }
}

}  // namespace imgdeploy
