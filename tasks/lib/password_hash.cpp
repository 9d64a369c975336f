#include "tasks/lib/password_hash.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <crypt.h>
#include <cstring>
#include <memory>

namespace imgdeploy::tasks {

namespace {

/// crypt_data holds the password while hashing: wipe it afterwards.
struct CryptData {
    crypt_data data{};
    CryptData() = default;
    CryptData(const CryptData&) = delete;
    CryptData& operator=(const CryptData&) = delete;
    ~CryptData() { explicit_bzero(&data, sizeof data); }
};

}  // namespace

std::string_view hash_prefix(std::string_view method) {
    std::string m = to_lower(method);
    if (m == "md5") {
        return "$1$";
    }
    if (m == "sha256") {
        return "$5$";
    }
    if (m == "sha512") {
        return "$6$";
    }
    if (m == "blowfish" || m == "bcrypt") {
        return "$2b$";
    }
    if (m == "sha1") {
        return "$sha1$";
    }
    if (m == "yescrypt") {
        return "$y$";
    }
    return "";
}

std::string hash_password(std::string_view password, std::string_view method) {
    std::string_view prefix = hash_prefix(method);
    if (prefix.empty()) {
        throw Error("unknown PASSWD_HASHING_METHOD '" + std::string(method) +
                    "' (md5, sha256, sha512, blowfish, sha1 or yescrypt)");
    }
    if (password.find('\0') != std::string_view::npos) {
        throw Error("the password contains a NUL byte");
    }
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(std::string(prefix).c_str(), 0, nullptr, 0, setting, sizeof setting) == nullptr) {
        throw Error("libxcrypt cannot make a salt for " + std::string(method));
    }
    auto cd = std::make_unique<CryptData>();
    std::string pw(password);
    const char* hash = crypt_rn(pw.c_str(), setting, &cd->data, sizeof cd->data);
    explicit_bzero(pw.data(), pw.size());
    if (hash == nullptr || hash[0] == '*') {
        throw Error("libxcrypt cannot hash with " + std::string(method));
    }
    return hash;
}

bool is_valid_password_hash(std::string_view hash) {
    return !hash.empty() && hash.find_first_of(std::string_view(":\n\r\0", 4)) == std::string_view::npos;
}

}  // namespace imgdeploy::tasks
