#include "tasks/lib/password_hash.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>
#include <crypt.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

bool verifies(const std::string& password, const std::string& hash) {
    crypt_data data{};
    const char* again = crypt_r(password.c_str(), hash.c_str(), &data);
    return again != nullptr && hash == again;
}

}  // namespace

TEST_CASE("every hashing method makes a hash that verifies", "[password_hash]") {
    for (const char* method : {"md5", "sha256", "sha512", "blowfish", "sha1", "yescrypt", "SHA512"}) {
        INFO(method);
        std::string hash = hash_password("pa ss:wörd", method);
        CHECK(hash.starts_with(std::string(hash_prefix(method))));
        CHECK(verifies("pa ss:wörd", hash));
        CHECK_FALSE(verifies("other", hash));
        CHECK(is_valid_password_hash(hash));
    }
}

TEST_CASE("two hashes of one password differ (random salt)", "[password_hash]") {
    CHECK(hash_password("x", "sha512") != hash_password("x", "sha512"));
}

TEST_CASE("unknown methods are refused without echoing the password", "[password_hash]") {
    try {
        hash_password("topsecret", "rot13");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Contains("rot13"));
        CHECK_THAT(e.what(), !Contains("topsecret"));
    }
}

TEST_CASE("a verbatim hash must fit in a shadow field", "[password_hash]") {
    CHECK(is_valid_password_hash("$6$abc$def"));
    CHECK_FALSE(is_valid_password_hash(""));
    CHECK_FALSE(is_valid_password_hash("a:b"));
    CHECK_FALSE(is_valid_password_hash("a\nb"));
}
