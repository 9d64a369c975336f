#pragma once
// Streaming SHA-256 (OpenSSL EVP; uses the CPU's SHA extensions).

#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace imgdeploy {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t len);
    /// Lower-case hex digest; the object cannot be updated afterwards.
    std::string hex_digest();

  private:
    evp_md_ctx_st* m_ctx;
};

}  // namespace imgdeploy
