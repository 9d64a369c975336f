#include "common/temp_file.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <vector>

namespace imgdeploy {

TempFile::TempFile(const std::string& dir, const std::string& prefix) {
    std::string tmpl = dir + "/" + prefix + "XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = ::mkostemp(buf.data(), O_CLOEXEC);
    if (fd < 0) {
        throw SystemError(tmpl, "mkostemp", errno);
    }
    m_fd.reset(fd);
    m_path = buf.data();
}

TempFile::TempFile(TempFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_fd(std::move(other.m_fd)) {
    other.m_path.clear();
}

TempFile::~TempFile() {
    if (!m_path.empty()) {
        ::unlink(m_path.c_str());
    }
}

std::string TempFile::release() {
    m_fd.reset();
    return std::exchange(m_path, std::string());
}

TempDir::TempDir(const std::string& dir, const std::string& prefix) {
    std::string tmpl = dir + "/" + prefix + "XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
        throw SystemError(tmpl, "mkdtemp", errno);
    }
    m_path = buf.data();
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) {
    other.m_path.clear();
}

TempDir::~TempDir() {
    if (!m_path.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
}

std::string TempDir::release() { return std::exchange(m_path, std::string()); }

}  // namespace imgdeploy
