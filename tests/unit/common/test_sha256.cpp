#include "common/sha256.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace imgdeploy;

namespace {

std::string sha256_of(const std::string& data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.hex_digest();
}

}  // namespace

TEST_CASE("sha256 of the FIPS 180-2 test vectors", "[sha256]") {
    CHECK(sha256_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_of(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 fed in pieces equals sha256 fed at once", "[sha256]") {
    std::string data;
    for (int i = 0; i < 100000; ++i) {
        data.push_back(static_cast<char>(i * 31 + 7));
    }
    std::string whole = sha256_of(data);
    for (size_t piece : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{4099}}) {
        Sha256 h;
        for (size_t pos = 0; pos < data.size(); pos += piece) {
            h.update(data.data() + pos, std::min(piece, data.size() - pos));
        }
        INFO("piece size " << piece);
        CHECK(h.hex_digest() == whole);
    }
}

TEST_CASE("sha256 update with zero bytes changes nothing", "[sha256]") {
    Sha256 h;
    h.update("abc", 3);
    h.update("", 0);
    CHECK(h.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 digest is 64 lower-case hex digits", "[sha256]") {
    std::string d = sha256_of("imgdeploy");
    REQUIRE(d.size() == 64);
    for (char c : d) {
        CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    }
}
