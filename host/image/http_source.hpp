#pragma once
// HttpSource: http, https, ftp and ftps through libcurl.
//  - An HTTP status >= 400 is a failure; its body never reaches read().
//  - A dropped connection (or a stall past the low-speed timeout) is resumed
//    with a Range request from the last byte delivered, up to `retries`
//    times; a server that ignores the Range is handled by skipping the bytes
//    already delivered.
//  - size() is the Content-Length of the first response, once known.

#include "host/image/byte_source.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace imgdeploy {

struct HttpOptions {
    unsigned connect_timeout_s = 30;
    /// Abort (and maybe resume) when fewer than 1 byte/s arrive for this long.
    unsigned low_speed_timeout_s = 60;
    /// Resume attempts after a dropped or stalled transfer.
    unsigned retries = 3;
    /// CA bundle (PEM) for https/ftps; empty = the system's.
    std::string ca_file;
};

class HttpSource final : public ByteSource {
  public:
    HttpSource(std::string url, HttpOptions options);
    ~HttpSource() override;
    size_t read(char* buf, size_t len) override;
    std::optional<uint64_t> size() const override;
    std::string describe() const override;
    void cancel() override;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Fetches a whole (small) document into memory, e.g. config_url or
/// os_answer_file; refuses more than max_bytes.
std::string http_fetch_small(const std::string& url, const HttpOptions& options, size_t max_bytes);

/// The URL with any user:password@ removed, for messages.
std::string redact_url(const std::string& url);

}  // namespace imgdeploy
