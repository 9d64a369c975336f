#include "common/error.hpp"
#include "helper-image-builder/decompress.hpp"

#include <catch2/catch.hpp>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

using namespace imgdeploy;
using namespace imgdeploy::builder;

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

}  // namespace

TEST_CASE("each format round-trips and ignores what follows the stream", "[decompress]") {
    std::string plain = sample();  // several output chunks' worth
    for (auto [c, packed] : {std::pair{Compression::xz, xz(plain)}, std::pair{Compression::gzip, gz(plain)},
                             std::pair{Compression::zstd, zst(plain)}}) {
        INFO(to_string(c));
        CHECK(detect_compression(packed) == c);
        CHECK(decompress(packed + "TRAILING\x01\x02\x03\x04", c, "t") == plain);
        CHECK_THROWS_AS(decompress(packed.substr(0, packed.size() / 2), c, "t"), Error);
        CHECK_THROWS_WITH(decompress(packed, c, "t", 1000), Catch::Contains("larger than"));
    }
    CHECK_FALSE(detect_compression("plain text"));
}
