#include "common/syscalls.hpp"

#include <cstdint>

#include "common/error.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace imgdeploy {

void UniqueFd::reset(int fd) noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
    m_fd = fd;
}

namespace sys {

UniqueFd open(const std::string& path, int flags, unsigned mode) {
    int err = 0;
    UniqueFd fd = try_open(path, flags, err, mode);
    if (!fd) {
        throw SystemError(path, "open", err);
    }
    return fd;
}

UniqueFd try_open(const std::string& path, int flags, int& err, unsigned mode) {
    int fd;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    err = fd < 0 ? errno : 0;
    return UniqueFd(fd);
}

size_t read_some(int fd, void* buf, size_t len, const std::string& what) {
    for (;;) {
        ssize_t n = ::read(fd, buf, len);
        if (n >= 0) {
            return static_cast<size_t>(n);
        }
        if (errno != EINTR) {
            throw SystemError(what, "read", errno);
        }
    }
}

size_t read_full(int fd, void* buf, size_t len, const std::string& what) {
    size_t done = 0;
    while (done < len) {
        size_t n = read_some(fd, static_cast<char*>(buf) + done, len - done, what);
        if (n == 0) {
            break;
        }
        done += n;
    }
    return done;
}

size_t pread_full(int fd, void* buf, size_t len, uint64_t offset, const std::string& what) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done,
                            static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw SystemError(what + ": at offset " + std::to_string(offset + done), "pread", errno);
        }
        if (n == 0) {
            break;
        }
        done += static_cast<size_t>(n);
    }
    return done;
}

void write_full(int fd, const void* buf, size_t len, const std::string& what) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::write(fd, static_cast<const char*>(buf) + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw SystemError(what, "write", errno);
        }
        done += static_cast<size_t>(n);
    }
}

void pwrite_full(int fd, const void* buf, size_t len, uint64_t offset, const std::string& what) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::pwrite(fd, static_cast<const char*>(buf) + done, len - done,
                             static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            // A zero-length write at a device's end means there is no room.
            int err = n == 0 ? ENOSPC : errno;
            throw SystemError(what + ": at offset " + std::to_string(offset + done), "pwrite", err);
        }
        done += static_cast<size_t>(n);
    }
}

void fdatasync(int fd, const std::string& what) {
    while (::fdatasync(fd) != 0) {
        if (errno != EINTR) {
            throw SystemError(what, "fdatasync", errno);
        }
    }
}

int try_fallocate(int fd, int mode, uint64_t offset, uint64_t len) {
    while (::fallocate(fd, mode, static_cast<off_t>(offset), static_cast<off_t>(len)) != 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

struct stat fstat(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        throw SystemError(what, "fstat", errno);
    }
    return st;
}

std::optional<struct stat> stat_if_exists(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return std::nullopt;
        }
        throw SystemError(path, "stat", errno);
    }
    return st;
}

uint64_t block_device_size(int fd, const std::string& what) {
    uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) {
        throw SystemError(what, "ioctl(BLKGETSIZE64)", errno);
    }
    return size;
}

uint32_t block_device_sector_size(int fd, const std::string& what) {
    int size = 0;
    if (::ioctl(fd, BLKSSZGET, &size) != 0) {
        throw SystemError(what, "ioctl(BLKSSZGET)", errno);
    }
    return static_cast<uint32_t>(size);
}

Pipe make_pipe(const std::string& what) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw SystemError(what, "pipe2", errno);
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string read_file(const std::string& path) { return read_file(path, SIZE_MAX); }

std::string read_file(const std::string& path, size_t max_bytes) {
    UniqueFd fd = open(path, O_RDONLY);
    std::string out;
    char buf[65536];
    for (;;) {
        size_t n = read_some(fd.get(), buf, sizeof buf, path);
        if (n == 0) {
            return out;
        }
        out.append(buf, n);
        if (out.size() > max_bytes) {
            throw Error(path + ": larger than " + std::to_string(max_bytes) + " bytes");
        }
    }
}

std::string realpath(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) {
        throw SystemError(path, "realpath", errno);
    }
    std::string out(resolved);
    std::free(resolved);
    return out;
}

}  // namespace sys
}  // namespace imgdeploy
