#include "common/sha256.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <openssl/evp.h>

namespace imgdeploy {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (m_ctx == nullptr || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
        throw Error("sha256: cannot initialise OpenSSL digest");
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_ctx); }

void Sha256::update(const void* data, size_t len) { EVP_DigestUpdate(m_ctx, data, len); }

std::string Sha256::hex_digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_ctx, md, &len);
    return to_hex(md, len);
}

}  // namespace imgdeploy
