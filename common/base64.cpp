#include "common/base64.hpp"

#include <cctype>
#include <memory>
#include <openssl/evp.h>

namespace imgdeploy {

std::optional<std::string> base64_decode(std::string_view text) {
    // OpenSSL tolerates a missing final padding; require whole quanta.
    // OpenSSL would also take '-' as an end marker; only the alphabet,
    // padding and whitespace are base64.
    size_t significant = 0;
    for (unsigned char c : text) {
        if (std::isspace(c)) {
            continue;
        }
        if (!std::isalnum(c) && c != '+' && c != '/' && c != '=') {
            return std::nullopt;
        }
        ++significant;
    }
    if (significant % 4 != 0) {
        return std::nullopt;
    }
    std::unique_ptr<EVP_ENCODE_CTX, decltype(&EVP_ENCODE_CTX_free)> ctx(EVP_ENCODE_CTX_new(),
                                                                        EVP_ENCODE_CTX_free);
    EVP_DecodeInit(ctx.get());
    std::string out(text.size() / 4 * 3 + 3, '\0');
    int len = 0;
    int total = 0;
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    const auto* src = reinterpret_cast<const unsigned char*>(text.data());
    if (EVP_DecodeUpdate(ctx.get(), dst, &len, src, static_cast<int>(text.size())) < 0) {
        return std::nullopt;
    }
    total = len;
    if (EVP_DecodeFinal(ctx.get(), dst + total, &len) < 0) {
        return std::nullopt;
    }
    total += len;
    out.resize(static_cast<size_t>(total));
    return out;
}

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

}  // namespace imgdeploy
