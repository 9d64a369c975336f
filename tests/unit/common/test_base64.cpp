#include "common/base64.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace imgdeploy;

namespace {

/// The test vectors of RFC 4648 section 10.
const std::vector<std::pair<std::string, std::string>>& rfc4648_vectors() {
    static const std::vector<std::pair<std::string, std::string>> v = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    return v;
}

}  // namespace

TEST_CASE("base64_encode matches RFC 4648", "[base64]") {
    for (const auto& [plain, encoded] : rfc4648_vectors()) {
        INFO("plain: '" << plain << "'");
        CHECK(base64_encode(plain) == encoded);
    }
}

TEST_CASE("base64_decode matches RFC 4648", "[base64]") {
    for (const auto& [plain, encoded] : rfc4648_vectors()) {
        INFO("encoded: '" << encoded << "'");
        auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == plain);
    }
}

TEST_CASE("base64 round-trips every byte value", "[base64]") {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    for (size_t len : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{255}, size_t{256}}) {
        std::string plain = all.substr(0, len);
        std::string encoded = base64_encode(plain);
        CHECK(encoded.size() == 4 * ((len + 2) / 3));
        auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == plain);
    }
}

TEST_CASE("base64_decode allows line breaks and blanks", "[base64]") {
    CHECK(base64_decode("Zm9v\nYmFy\n") == std::string("foobar"));
    CHECK(base64_decode("Zm9v\r\nYmFy\r\n") == std::string("foobar"));
    CHECK(base64_decode("Zm9vYg==\n") == std::string("foob"));
    // A long input wrapped at 64 columns, as base64(1) and PEM do.
    std::string plain(1000, 'x');
    std::string encoded = base64_encode(plain);
    std::string wrapped;
    for (size_t i = 0; i < encoded.size(); i += 64) {
        wrapped += encoded.substr(i, 64) + "\n";
    }
    CHECK(base64_decode(wrapped) == plain);
}

TEST_CASE("base64_decode refuses invalid text", "[base64]") {
    for (const char* bad : {"Zg", "Zg=", "Zm9", "Zm9vY", "Zm9v!!!!", "Zm9v====", "@@@@",
                            "Zm 9"}) {
        INFO("input: '" << bad << "'");
        CHECK_FALSE(base64_decode(bad));
    }
}

TEST_CASE("base64_decode refuses data after padding", "[base64]") {
    CHECK_FALSE(base64_decode("Zg==Zm9v"));
}

// BUG: OpenSSL's EVP decoder treats '-' as an end-of-data marker, so
// base64_decode("Zm9v-AAA") returns "foo" and "-AAA" returns "" instead of
// nullopt. '-' is not in the standard alphabet (RFC 4648 section 4), so the
// text is invalid, and cloud_userdata / img_personality validation passes
// text that a strict decoder in the guest refuses.
TEST_CASE("base64_decode refuses '-' (OpenSSL's end-of-data marker)", "[base64]") {
    CHECK_FALSE(base64_decode("Zm9v-AAA"));
    CHECK_FALSE(base64_decode("Zm9vYmFy-AAA"));
    CHECK_FALSE(base64_decode("-AAA"));
}
