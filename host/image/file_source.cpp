#include "host/image/file_source.hpp"

#include "common/syscalls.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace imgdeploy {

FileSource::FileSource(const std::string& path)
    : m_owned(sys::open(path, O_RDONLY)), m_fd(m_owned.get()), m_name(path) {
    struct stat st = sys::fstat(m_fd, path);
    if (S_ISREG(st.st_mode)) {
        m_size = static_cast<uint64_t>(st.st_size);
        m_regular = true;
        posix_fadvise(m_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else if (S_ISBLK(st.st_mode)) {
        m_size = sys::block_device_size(m_fd, path);
    }
}

FileSource::FileSource(int fd, std::string name) : m_fd(fd), m_name(std::move(name)) {
    struct stat st = sys::fstat(m_fd, m_name);
    if (S_ISREG(st.st_mode)) {
        m_size = static_cast<uint64_t>(st.st_size);
    } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)) {
        m_pollable = true;
        m_cancel.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!m_cancel) {
            throw SystemError(m_name, "eventfd", errno);
        }
    }
}

size_t FileSource::read(char* buf, size_t len) {
    if (m_pollable) {
        // Wait for data or cancellation, so a stalled pipe cannot hold a
        // SIGTERM'd deployment.
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_cancel.get(), POLLIN, 0}};
        while (::poll(fds, 2, -1) < 0) {
            if (errno != EINTR) {
                throw SystemError(m_name, "poll", errno);
            }
        }
        if (fds[1].revents & POLLIN) {
            throw Error(m_name + ": cancelled");
        }
    }
    size_t n = sys::read_some(m_fd, buf, len, m_name);
    m_pos += n;
    return n;
}

uint64_t FileSource::skip_hole(uint64_t max_bytes) {
    if (!m_regular || !m_size || m_pos >= *m_size) {
        return 0;
    }
    off_t data = ::lseek(m_fd, static_cast<off_t>(m_pos), SEEK_DATA);
    uint64_t hole_end = data < 0 ? (errno == ENXIO ? *m_size : m_pos) : static_cast<uint64_t>(data);
    uint64_t n = std::min(hole_end - m_pos, max_bytes);
    // Put the offset back where read() expects it (SEEK_DATA moved it).
    if (::lseek(m_fd, static_cast<off_t>(m_pos + n), SEEK_SET) < 0) {
        throw SystemError(m_name, "lseek", errno);
    }
    m_pos += n;
    return n;
}

void FileSource::cancel() {
    if (m_cancel) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(m_cancel.get(), &one, sizeof one);
    }
}

}  // namespace imgdeploy
