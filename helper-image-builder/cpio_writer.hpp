#pragma once
// A writer of uncompressed cpio archives in the "newc" format (magic
// 070701), the format the kernel unpacks an initramfs from
// (Documentation/driver-api/early-userspace/buffer-format.rst). The caller
// decides the order and the metadata; CpioWriter only encodes, pads every
// header and body to 4 bytes, numbers inodes 1, 2, 3 ... and hashes what it
// writes.

#include "common/sha256.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace imgdeploy::builder {

/// One archive member. `name` has no leading '/' ("usr/bin/busybox").
struct CpioEntry {
    std::string name;
    uint32_t mode = 0;  // file type bits (S_IFREG, ...) | permissions
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t nlink = 1;
    uint32_t mtime = 0;
    uint32_t rdev_major = 0;  // character and block devices
    uint32_t rdev_minor = 0;
};

class CpioWriter {
  public:
    /// Writes to `fd` (not owned); `what` names the file in errors.
    CpioWriter(int fd, std::string what);
    CpioWriter(const CpioWriter&) = delete;
    CpioWriter& operator=(const CpioWriter&) = delete;

    /// Adds a member whose body is `data` (a regular file's content, a
    /// symlink's target, nothing for directories and devices).
    void add(const CpioEntry& entry, std::string_view data = {});
    /// Writes the TRAILER!!! member and pads the archive to 512 bytes, as
    /// GNU cpio does. Nothing may be added afterwards.
    void finish();

    uint64_t bytes_written() const { return m_offset; }
    uint32_t entries() const { return m_next_ino - 1; }
    /// SHA-256 of everything written; call once, after finish().
    std::string sha256() { return m_hash.hex_digest(); }

  private:
    void write(std::string_view bytes);
    void pad(uint64_t alignment);
    void write_header(const CpioEntry& e, uint32_t ino, uint64_t size);

    int m_fd;
    std::string m_what;
    std::string m_buffer;
    uint64_t m_offset = 0;
    uint32_t m_next_ino = 1;
    bool m_finished = false;
    Sha256 m_hash;
};

}  // namespace imgdeploy::builder
