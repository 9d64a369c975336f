#pragma once
// TempFile and TempDir delete what they made on destruction unless
// release()d. Both are created with mode 0600/0700 under $TMPDIR-free,
// explicit directories (default /tmp).

#include "common/unique_fd.hpp"

#include <string>

namespace imgdeploy {

class TempFile {
  public:
    /// Creates "<dir>/<prefix>XXXXXX" with mkostemp (O_CLOEXEC, mode 0600).
    TempFile(const std::string& dir, const std::string& prefix);
    TempFile(TempFile&&) noexcept;
    TempFile& operator=(TempFile&&) = delete;
    TempFile(const TempFile&) = delete;
    ~TempFile();

    const std::string& path() const { return m_path; }
    int fd() const { return m_fd.get(); }
    /// Keeps the file; returns its path.
    std::string release();

  private:
    std::string m_path;
    UniqueFd m_fd;
};

class TempDir {
  public:
    TempDir(const std::string& dir, const std::string& prefix);
    TempDir(TempDir&&) noexcept;
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    /// Removes the directory and everything below it.
    ~TempDir();

    const std::string& path() const { return m_path; }
    std::string release();

  private:
    std::string m_path;
};

}  // namespace imgdeploy
