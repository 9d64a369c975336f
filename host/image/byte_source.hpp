#pragma once
// ByteSource: where image bytes come from (local file, HTTP/FTP, stdin,
// nothing). The streaming engine pulls from it on its own fetch thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace imgdeploy {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    /// Reads up to len bytes into buf; returns 0 only at the end of the
    /// stream. Throws Error (naming the source) on failure.
    virtual size_t read(char* buf, size_t len) = 0;
    /// The stream's total size when known. A network source may learn it
    /// only after the first read() (Content-Length).
    virtual std::optional<uint64_t> size() const = 0;
    /// For messages: a path or URL, never with credentials.
    virtual std::string describe() const = 0;
    /// Asks a blocked read() on another thread to give up soon with an
    /// Error. Safe to call from any thread.
    virtual void cancel() {}
    /// When the next bytes are a hole (a sparse file's unallocated range,
    /// which reads as zeros), skips up to max_bytes of it without reading
    /// and returns how many; 0 when the next bytes are data or unknown.
    virtual uint64_t skip_hole(uint64_t /*max_bytes*/) { return 0; }
};

}  // namespace imgdeploy
