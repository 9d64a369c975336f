#pragma once
// FileSource reads a local file or an inherited fd (stdin for import);
// NullSource is the `null` image id: no bytes at all.

#include "common/unique_fd.hpp"
#include "host/image/byte_source.hpp"

namespace imgdeploy {

class FileSource final : public ByteSource {
  public:
    /// Opens path read-only.
    explicit FileSource(const std::string& path);
    /// Reads from an fd the caller owns (e.g. 0); size unknown unless regular.
    FileSource(int fd, std::string name);
    size_t read(char* buf, size_t len) override;
    std::optional<uint64_t> size() const override { return m_size; }
    std::string describe() const override { return m_name; }
    /// Wakes a read() blocked on a pipe (import from a stalled stream).
    void cancel() override;
    /// Regular files: SEEK_DATA finds where the hole ends.
    uint64_t skip_hole(uint64_t max_bytes) override;

  private:
    UniqueFd m_owned;
    UniqueFd m_cancel;  // eventfd, polled beside a pipe or socket
    bool m_pollable = false;
    bool m_regular = false;
    uint64_t m_pos = 0;
    int m_fd;
    std::string m_name;
    std::optional<uint64_t> m_size;
};

class NullSource final : public ByteSource {
  public:
    size_t read(char*, size_t) override { return 0; }
    std::optional<uint64_t> size() const override { return 0; }
    std::string describe() const override { return "null"; }
};

}  // namespace imgdeploy
