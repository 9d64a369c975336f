#include "host/image/file_source.hpp"

#include "common/syscalls.hpp"

#include <fcntl.h>

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
    }
}

size_t FileSource::read(char* buf, size_t len) { return sys::read_some(m_fd, buf, len, m_name); }

}  // namespace imgdeploy
