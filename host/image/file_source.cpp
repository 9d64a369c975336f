#include "host/image/file_source.hpp"

#include "common/syscalls.hpp"

#include "common/error.hpp"

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
    return sys::read_some(m_fd, buf, len, m_name);
}

void FileSource::cancel() {
    if (m_cancel) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(m_cancel.get(), &one, sizeof one);
    }
}

}  // namespace imgdeploy
