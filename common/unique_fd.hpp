#pragma once
// UniqueFd owns one file descriptor and closes it on destruction.
// close() errors are ignored on purpose: on Linux the fd is released even
// when close() fails, and retrying on EINTR could close a reused number.

#include <utility>

namespace imgdeploy {

class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return m_fd; }
    bool valid() const noexcept { return m_fd >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    /// Gives up ownership without closing.
    int release() noexcept { return std::exchange(m_fd, -1); }
    void reset(int fd = -1) noexcept;

  private:
    int m_fd = -1;
};

/// Both ends of a pipe, close-on-exec.
struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

}  // namespace imgdeploy
