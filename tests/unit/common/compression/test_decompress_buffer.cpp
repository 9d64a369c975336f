#include "common/error.hpp"
#include "common/compression/compression.hpp"

#include <catch2/catch.hpp>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

using namespace imgdeploy;

namespace {

std::string sample() {
    std::string s;
    for (int i = 0; i < 200000; ++i) {
        s += std::to_string(i * 7919 % 1000) + ",";
    }
    return s;
}

std::string xz(const std::string& data) {
    std::string out(data.size() + 4096, '\0');
    size_t pos = 0;
    REQUIRE(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, nullptr, reinterpret_cast<const uint8_t*>(data.data()),
                                    data.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()) == LZMA_OK);
    out.resize(pos);
    return out;
}

std::string gz(const std::string& data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string zst(const std::string& data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

std::span<const char> bytes(const std::string& s) { return {s.data(), s.size()}; }

}  // namespace

TEST_CASE("decompress_first_stream round-trips each format and ignores what follows the stream",
          "[decompress]") {
    std::string plain = sample();
    for (auto [c, packed] : {std::pair{Compression::xz, xz(plain)}, std::pair{Compression::gzip, gz(plain)},
                             std::pair{Compression::zstd, zst(plain)}}) {
        INFO(to_string(c));
        CHECK(detect_compression(bytes(packed)) == c);
        std::string trailing = packed + "TRAILING\x01\x02\x03\x04";
        CHECK(decompress_first_stream(bytes(trailing), c) == plain);
        // A second stream after the first is not read either.
        std::string twice = packed + packed;
        CHECK(decompress_first_stream(bytes(twice), c) == plain);
        std::string half = packed.substr(0, packed.size() / 2);
        CHECK_THROWS_AS(decompress_first_stream(bytes(half), c), Error);
        CHECK_THROWS_WITH(decompress_first_stream(bytes(packed), c, 1000), Catch::Contains("more than 1000 bytes"));
    }
    CHECK(detect_compression(bytes(std::string("plain text"))) == Compression::none);
}
