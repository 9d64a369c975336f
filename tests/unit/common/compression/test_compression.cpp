#include "common/compression/compression.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>
#include <vector>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

/// Bytes that compress somewhat: text, zero runs and noise.
std::string sample(size_t n, unsigned seed = 1) {
    std::string s;
    s.reserve(n);
    uint32_t x = seed * 2654435761u + 17;
    while (s.size() < n) {
        x = x * 1103515245u + 12345u;
        switch ((x >> 28) % 4) {
        case 0:
            s += "The quick brown fox jumps over the lazy dog. ";
            break;
        case 1:
            s.append((x >> 8) % 300, '\0');
            break;
        default:
            for (int i = 0; i < 40; ++i) {
                x = x * 1103515245u + 12345u;
                s.push_back(static_cast<char>(x >> 24));
            }
        }
    }
    s.resize(n);
    return s;
}

/// `data` compressed by the real command-line tool: argv + a file holding data.
std::string compress(std::vector<std::string> argv, const std::string& data) {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/input";
    {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        sys::write_full(fd.get(), data.data(), data.size(), path);
    }
    argv.push_back(path);
    return run_capture(argv);
}

std::string gzip(const std::string& data) { return compress({"gzip", "-c", "-n"}, data); }
std::string xz(const std::string& data) { return compress({"xz", "-c", "-T1"}, data); }
std::string zstd(const std::string& data) { return compress({"zstd", "-q", "-c"}, data); }
std::string bzip2(const std::string& data) { return compress({"bzip2", "-c"}, data); }

std::string compress_as(Compression c, const std::string& data) {
    switch (c) {
    case Compression::gzip:
        return gzip(data);
    case Compression::xz:
        return xz(data);
    case Compression::zstd:
        return zstd(data);
    case Compression::bzip2:
        return bzip2(data);
    case Compression::none:
        break;
    }
    return data;
}

const Compression k_formats[] = {Compression::gzip, Compression::xz, Compression::zstd,
                                 Compression::bzip2};

/// How the caller says the input has ended.
enum class EndMode {
    with_last_slice,  // input_ended is true on the call carrying the last bytes
    empty_slice,      // input_ended is true only on a call with no bytes (as stream_image does)
};

/// Drives a decoder to the end as its contract allows: `in_chunk` bytes of
/// input at a time, `out_chunk` bytes of room for output.
std::string decode_all(Decompressor& d, const std::string& in, size_t in_chunk, size_t out_chunk,
                       EndMode mode = EndMode::empty_slice) {
    std::string out;
    std::vector<char> buf(out_chunk);
    size_t pos = 0;
    int idle = 0;
    for (;;) {
        size_t n = std::min(in_chunk, in.size() - pos);
        bool ended = mode == EndMode::with_last_slice ? pos + n == in.size() : n == 0;
        DecodeStep step = d.decode({in.data() + pos, n}, {buf.data(), buf.size()}, ended);
        if (step.consumed > n || step.produced > buf.size()) {
            FAIL("the decoder reports more than it was given: consumed " << step.consumed << " of "
                                                                         << n << ", produced "
                                                                         << step.produced);
        }
        pos += step.consumed;
        out.append(buf.data(), step.produced);
        if (step.finished) {
            CHECK(pos == in.size());
            return out;
        }
        if (step.consumed == 0 && step.produced == 0) {
            // After the end of input a decoder must soon finish or throw
            // (liblzma needs two calls without progress to say LZMA_BUF_ERROR).
            if (ended && idle >= 2) {
                FAIL("the decoder stalls after the end of input at " << pos << " of "
                                                                     << in.size());
            }
            if (++idle > 100) {
                FAIL("the decoder makes no progress at input " << pos << " of " << in.size());
            }
        } else {
            idle = 0;
        }
    }
}

std::string decode_all(Compression c, const std::string& in, size_t in_chunk, size_t out_chunk,
                       EndMode mode = EndMode::empty_slice) {
    auto d = make_decompressor(c);
    return decode_all(*d, in, in_chunk, out_chunk, mode);
}

std::string bytes(std::initializer_list<int> values) {
    std::string s;
    for (int v : values) {
        s.push_back(static_cast<char>(v));
    }
    return s;
}

Compression detect(const std::string& head) {
    return detect_compression({head.data(), head.size()});
}

}  // namespace

TEST_CASE("compression names", "[compression]") {
    CHECK(std::string(to_string(Compression::none)) == "none");
    CHECK(std::string(to_string(Compression::gzip)) == "gzip");
    CHECK(std::string(to_string(Compression::xz)) == "xz");
    CHECK(std::string(to_string(Compression::zstd)) == "zstd");
    CHECK(std::string(to_string(Compression::bzip2)) == "bzip2");
}

TEST_CASE("detect_compression recognises each magic", "[compression]") {
    const std::string bz_block = "\x31\x41\x59\x26\x53\x59";
    CHECK(detect(bytes({0x1f, 0x8b, 0x08})) == Compression::gzip);
    CHECK(detect(bytes({0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0})) == Compression::gzip);
    CHECK(detect(bytes({0xfd, '7', 'z', 'X', 'Z', 0x00})) == Compression::xz);
    CHECK(detect(bytes({0x28, 0xb5, 0x2f, 0xfd})) == Compression::zstd);
    CHECK(detect("BZh9" + bz_block) == Compression::bzip2);
    CHECK(detect("BZh1" + bz_block + "more") == Compression::bzip2);
}

TEST_CASE("detect_compression refuses near misses", "[compression]") {
    const std::string bz_block = "\x31\x41\x59\x26\x53\x59";
    CHECK(detect("") == Compression::none);
    CHECK(detect("hello world") == Compression::none);
    CHECK(detect(std::string(4096, '\0')) == Compression::none);
    // gzip: only deflate (method 8), and all three bytes.
    CHECK(detect(bytes({0x1f, 0x8b})) == Compression::none);
    CHECK(detect(bytes({0x1f, 0x8b, 0x07})) == Compression::none);
    CHECK(detect(bytes({0x8b, 0x1f, 0x08})) == Compression::none);
    // xz: all six bytes.
    CHECK(detect(bytes({0xfd, '7', 'z', 'X', 'Z'})) == Compression::none);
    CHECK(detect(bytes({0xfd, '7', 'z', 'X', 'Z', 0x01})) == Compression::none);
    // zstd: all four bytes.
    CHECK(detect(bytes({0x28, 0xb5, 0x2f})) == Compression::none);
    CHECK(detect(bytes({0x28, 0xb5, 0x2f, 0xfe})) == Compression::none);
    // bzip2: "BZh" alone is text; the level digit and block magic are needed.
    CHECK(detect("BZh") == Compression::none);
    CHECK(detect("BZh9") == Compression::none);
    CHECK(detect("BZh91AY&S") == Compression::none);  // block magic cut short
    CHECK(detect("BZh9 is just text here") == Compression::none);
    CHECK(detect("BZh0" + bz_block) == Compression::none);
    CHECK(detect("BZhA" + bz_block) == Compression::none);
    CHECK(detect("BZh9" + bz_block.substr(0, 5) + "X") == Compression::none);
    CHECK(detect("bzh9" + bz_block) == Compression::none);
}

TEST_CASE("detect_compression recognises what the tools write", "[compression]") {
    std::string data = sample(10000);
    CHECK(detect(gzip(data)) == Compression::gzip);
    CHECK(detect(xz(data)) == Compression::xz);
    CHECK(detect(zstd(data)) == Compression::zstd);
    CHECK(detect(bzip2(data)) == Compression::bzip2);
    CHECK(detect(data) == Compression::none);
}

TEST_CASE("make_decompressor refuses none", "[compression]") {
    CHECK_THROWS_WITH(make_decompressor(Compression::none), Contains("no decompressor"));
}

TEST_CASE("each decoder round-trips the tool's output", "[compression]") {
    std::string data = sample(1000000, 7);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(c, data);
        REQUIRE(packed.size() < data.size());
        CHECK(decode_all(c, packed, packed.size(), 4u << 20) == data);
        CHECK(decode_all(c, packed, packed.size(), 4u << 20, EndMode::with_last_slice) == data);
        CHECK(decode_all(c, packed, 1u << 20, 1u << 20) == data);
        CHECK(decode_all(c, packed, 65536, 100000, EndMode::with_last_slice) == data);
    }
}

TEST_CASE("decoders work with tiny output buffers and tiny input slices", "[compression]") {
    std::string data = sample(30000, 3);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(c, data);
        for (EndMode mode : {EndMode::empty_slice, EndMode::with_last_slice}) {
            INFO("end mode " << static_cast<int>(mode));
            CHECK(decode_all(c, packed, packed.size(), 1, mode) == data);
            CHECK(decode_all(c, packed, packed.size(), 7, mode) == data);
            CHECK(decode_all(c, packed, 1, 4096, mode) == data);
            CHECK(decode_all(c, packed, 3, 7, mode) == data);
            CHECK(decode_all(c, packed, 13, 1, mode) == data);
        }
    }
}

TEST_CASE("decoders decode an empty stream", "[compression]") {
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(c, "");
        CHECK(decode_all(c, packed, packed.size(), 4096) == "");
        CHECK(decode_all(c, packed, 1, 1, EndMode::with_last_slice) == "");
    }
}

TEST_CASE("decoders decode concatenated streams", "[compression]") {
    std::string a = sample(50000, 11);
    std::string b = sample(70001, 12);
    std::string c_part = "tail";
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(c, a) + compress_as(c, b) + compress_as(c, "") +
                             compress_as(c, c_part);
        std::string want = a + b + c_part;
        CHECK(decode_all(c, packed, packed.size(), 1u << 20) == want);
        CHECK(decode_all(c, packed, packed.size(), 1u << 20, EndMode::with_last_slice) == want);
        CHECK(decode_all(c, packed, 5, 4099) == want);
        CHECK(decode_all(c, packed, 4096, 7, EndMode::with_last_slice) == want);
    }
}

TEST_CASE("a member boundary at a slice boundary is handled", "[compression]") {
    std::string a = sample(20000, 21);
    std::string b = sample(20000, 22);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string first = compress_as(c, a);
        std::string packed = first + compress_as(c, b);
        auto d = make_decompressor(c);
        // Feed exactly the first stream, then the second, then the end.
        std::string out;
        std::vector<char> buf(1u << 20);
        size_t pos = 0;
        int guard = 0;
        bool finished = false;
        while (!finished && ++guard < 1000) {
            size_t limit = pos < first.size() ? first.size() : packed.size();
            std::span<const char> in{packed.data() + pos, limit - pos};
            DecodeStep step = d->decode(in, {buf.data(), buf.size()}, in.empty());
            pos += step.consumed;
            out.append(buf.data(), step.produced);
            finished = step.finished;
        }
        CHECK(finished);
        CHECK(out == a + b);
    }
}

TEST_CASE("xz decodes multi-block streams on several threads", "[compression]") {
    std::string data = sample(2000000, 5);
    std::string packed = compress({"xz", "-c", "-T2", "--block-size=65536"}, data);
    for (unsigned threads : {0u, 1u, 2u, 4u}) {
        INFO("threads " << threads);
        auto d = make_decompressor(Compression::xz, threads);
        CHECK(decode_all(*d, packed, 100000, 1u << 20) == data);
    }
    auto d = make_decompressor(Compression::xz, 3);
    CHECK(decode_all(*d, packed, 4096, 777, EndMode::with_last_slice) == data);
}

TEST_CASE("zstd decodes a --long stream", "[compression]") {
    std::string data = sample(300000, 9);
    std::string packed = compress({"zstd", "-q", "-c", "--long=27"}, data);
    CHECK(decode_all(Compression::zstd, packed, 8192, 65536) == data);
}

TEST_CASE("truncated streams are reported as truncated", "[compression]") {
    std::string data = sample(200000, 13);
    for (Compression c : k_formats) {
        std::string packed = compress_as(c, data);
        for (size_t keep : {packed.size() - 1, packed.size() - 5, packed.size() / 2, size_t{12}}) {
            std::string cut = packed.substr(0, keep);
            for (EndMode mode : {EndMode::empty_slice, EndMode::with_last_slice}) {
                for (size_t in_chunk : {cut.size(), size_t{1000}}) {
                    INFO("format " << to_string(c) << ", " << keep << " of " << packed.size()
                                   << " bytes, end mode " << static_cast<int>(mode)
                                   << ", input slices of " << in_chunk);
                    CHECK_THROWS_WITH(decode_all(c, cut, in_chunk, 65536, mode),
                                      Contains("truncated"));
                }
            }
        }
    }
}

TEST_CASE("a stream that stops at a member boundary mid-way is not truncated", "[compression]") {
    // Two whole members are a whole stream, even if a third was meant.
    std::string a = sample(10000, 31);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(c, a) + compress_as(c, a);
        CHECK(decode_all(c, packed, 999, 65536) == a + a);
    }
}

TEST_CASE("no input at all is a truncated stream", "[compression]") {
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        CHECK_THROWS_WITH(decode_all(c, "", 1, 4096), Contains("truncated"));
    }
}

TEST_CASE("corrupt streams are errors", "[compression]") {
    std::string data = sample(200000, 17);
    for (Compression c : k_formats) {
        std::string packed = compress_as(c, data);
        for (size_t at : {packed.size() / 3, packed.size() / 2}) {
            std::string bad = packed;
            bad[at] = static_cast<char>(bad[at] ^ 0x55);
            INFO("format " << to_string(c) << ", byte " << at << " of " << packed.size());
            CHECK_THROWS_AS(decode_all(c, bad, 4096, 65536), Error);
            CHECK_THROWS_WITH(decode_all(c, bad, bad.size(), 1u << 20, EndMode::with_last_slice),
                              Contains("corrupt"));
        }
    }
}

TEST_CASE("data in another format is corrupt", "[compression]") {
    std::string text = "this is not compressed at all, just text\n";
    CHECK_THROWS_WITH(decode_all(Compression::gzip, text, text.size(), 4096), Contains("corrupt"));
    CHECK_THROWS_WITH(decode_all(Compression::xz, text, text.size(), 4096),
                      Contains("not an xz stream"));
    CHECK_THROWS_WITH(decode_all(Compression::zstd, text, text.size(), 4096), Contains("corrupt"));
    CHECK_THROWS_WITH(decode_all(Compression::bzip2, text, text.size(), 4096),
                      Contains("corrupt"));
}

TEST_CASE("a checksum mismatch in the trailer is corrupt", "[compression]") {
    std::string data = sample(50000, 19);
    // gzip: CRC32 in the 8-byte trailer.
    std::string g = gzip(data);
    g[g.size() - 8] = static_cast<char>(g[g.size() - 8] ^ 1);
    CHECK_THROWS_WITH(decode_all(Compression::gzip, g, g.size(), 1u << 20), Contains("corrupt"));
    // zstd: XXH64 (low 4 bytes) at the end of the frame.
    std::string z = zstd(data);
    z[z.size() - 1] = static_cast<char>(z[z.size() - 1] ^ 1);
    CHECK_THROWS_WITH(decode_all(Compression::zstd, z, z.size(), 1u << 20), Contains("corrupt"));
}

TEST_CASE("zstd_first_frame_size reads the frame header", "[compression]") {
    std::string data = sample(123457, 23);
    std::string packed = zstd(data);
    CHECK(zstd_first_frame_size({packed.data(), packed.size()}) == uint64_t{123457});
    // The header alone is enough.
    CHECK(zstd_first_frame_size({packed.data(), 18}) == uint64_t{123457});
    // Concatenated frames: the first one only.
    std::string two = packed + zstd(data);
    CHECK(zstd_first_frame_size({two.data(), two.size()}) == uint64_t{123457});

    std::string unsized = compress({"zstd", "-q", "-c", "--no-content-size"}, data);
    CHECK_FALSE(zstd_first_frame_size({unsized.data(), unsized.size()}));
    std::string text = "not zstd";
    CHECK_FALSE(zstd_first_frame_size({text.data(), text.size()}));
    CHECK_FALSE(zstd_first_frame_size({packed.data(), 3}));
    CHECK_FALSE(zstd_first_frame_size({packed.data(), 0}));
}

// BUG (edge case): an empty bzip2 stream is "BZh9" followed by the
// end-of-stream magic 0x177245385090, not the block magic, so
// detect_compression returns none and stream_image writes the 14
// compressed bytes to the disk as a raw image instead of reporting an
// empty image. The other formats' empty streams are detected.
TEST_CASE("detect_compression recognises an empty bzip2 stream", "[compression]") {
    CHECK(detect(gzip("")) == Compression::gzip);
    CHECK(detect(xz("")) == Compression::xz);
    CHECK(detect(zstd("")) == Compression::zstd);
    std::string empty_bz2 = bzip2("");
    REQUIRE(empty_bz2.size() == 14);
    CHECK(detect(empty_bz2) == Compression::bzip2);
}
