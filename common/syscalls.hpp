#pragma once
// Each system call is wrapped once here: EINTR and short transfers are
// retried centrally, and failures throw SystemError naming the call, the
// path (or other context) and the errno. Nobody else calls raw ::open/::write.

#include "common/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <sys/stat.h>

namespace imgdeploy::sys {

/// open(2) with O_CLOEXEC always added.
UniqueFd open(const std::string& path, int flags, unsigned mode = 0);
/// Like open() but returns nullopt-equivalent (invalid fd) and errno for the caller.
UniqueFd try_open(const std::string& path, int flags, int& err, unsigned mode = 0);

/// read(2) once, retrying EINTR; returns 0 at end of file.
size_t read_some(int fd, void* buf, size_t len, const std::string& what);
/// Reads until len bytes or end of file; returns the count.
size_t read_full(int fd, void* buf, size_t len, const std::string& what);
size_t pread_full(int fd, void* buf, size_t len, uint64_t offset, const std::string& what);
void write_full(int fd, const void* buf, size_t len, const std::string& what);
void pwrite_full(int fd, const void* buf, size_t len, uint64_t offset, const std::string& what);
void fdatasync(int fd, const std::string& what);
/// fallocate(2); returns errno instead of throwing for EOPNOTSUPP/EINVAL/ENOTSUP
/// so callers can fall back, 0 on success.
int try_fallocate(int fd, int mode, uint64_t offset, uint64_t len);

struct stat fstat(int fd, const std::string& what);
std::optional<struct stat> stat_if_exists(const std::string& path);

/// Size in bytes of a block device (BLKGETSIZE64).
uint64_t block_device_size(int fd, const std::string& what);
/// Logical sector size of a block device (BLKSSZGET).
uint32_t block_device_sector_size(int fd, const std::string& what);

Pipe make_pipe(const std::string& what);
std::string read_file(const std::string& path);
/// The same, refusing a file larger than max_bytes with Error
/// "<path>: larger than <max_bytes> bytes".
std::string read_file(const std::string& path, size_t max_bytes);
/// realpath(3); throws SystemError when the path does not resolve.
std::string realpath(const std::string& path);

}  // namespace imgdeploy::sys
