#include "common/compression/compression.hpp"

#include "common/error.hpp"

#include <bzlib.h>
#include <cstring>
#include <lzma.h>
#include <thread>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_d_windowLogMax is stable but guarded
#include <zstd.h>

namespace imgdeploy {

const char* to_string(Compression c) {
    switch (c) {
    case Compression::none:
        return "none";
    case Compression::gzip:
        return "gzip";
    case Compression::xz:
        return "xz";
    case Compression::zstd:
        return "zstd";
    case Compression::bzip2:
        return "bzip2";
    }
    return "?";
}

Compression detect_compression(std::span<const char> head) {
    auto has = [&](std::initializer_list<unsigned char> magic) {
        if (head.size() < magic.size()) {
            return false;
        }
        size_t i = 0;
        for (unsigned char m : magic) {
            if (static_cast<unsigned char>(head[i++]) != m) {
                return false;
            }
        }
        return true;
    };
    if (has({0x1f, 0x8b, 0x08})) {
        return Compression::gzip;
    }
    if (has({0xfd, '7', 'z', 'X', 'Z', 0x00})) {
        return Compression::xz;
    }
    if (has({0x28, 0xb5, 0x2f, 0xfd})) {
        return Compression::zstd;
    }
    // "BZh" and a block size digit, then a block (0x314159265359) or, for
    // an empty stream, the end-of-stream magic (0x177245385090).
    if (has({'B', 'Z', 'h'}) && head.size() >= 10 && head[3] >= '1' && head[3] <= '9' &&
        (std::memcmp(head.data() + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 ||
         std::memcmp(head.data() + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0)) {
        return Compression::bzip2;
    }
    return Compression::none;
}

std::optional<uint64_t> zstd_first_frame_size(std::span<const char> head) {
    unsigned long long n = ZSTD_getFrameContentSize(head.data(), head.size());
    if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR) {
        return std::nullopt;
    }
    return n;
}

namespace {

[[noreturn]] void truncated(const char* format) {
    throw Error(std::string(format) + " stream is truncated (the image file ends too early)");
}

class GzipDecoder final : public Decompressor {
  public:
    explicit GzipDecoder(StreamEnd end) : m_end(end) {
        // 32 + 15: accept gzip (and zlib) headers, largest window.
        if (inflateInit2(&m_z, 32 + 15) != Z_OK) {
            throw Error("gzip: cannot initialise zlib");
        }
    }
    ~GzipDecoder() override { inflateEnd(&m_z); }

    DecodeStep decode(std::span<const char> in, std::span<char> out, bool input_ended) override {
        DecodeStep step;
        if (m_at_boundary && !in.empty()) {
            inflateReset(&m_z);  // another gzip member follows
            m_at_boundary = false;
        }
        if (m_at_boundary) {
            step.finished = input_ended;
            return step;
        }
        m_z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
        m_z.avail_in = static_cast<uInt>(in.size());
        m_z.next_out = reinterpret_cast<Bytef*>(out.data());
        m_z.avail_out = static_cast<uInt>(out.size());
        int rc = inflate(&m_z, Z_NO_FLUSH);
        step.consumed = in.size() - m_z.avail_in;
        step.produced = out.size() - m_z.avail_out;
        if (rc == Z_STREAM_END) {
            m_at_boundary = true;
            step.finished = m_end == StreamEnd::first_stream || (input_ended && step.consumed == in.size());
            return step;
        }
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR) {
            throw Error(std::string("gzip data is corrupt: ") + (m_z.msg ? m_z.msg : "inflate failed"));
        }
        if (input_ended && step.consumed == in.size() && step.produced < out.size()) {
            truncated("gzip");
        }
        return step;
    }

  private:
    StreamEnd m_end;
    z_stream m_z{};
    bool m_at_boundary = false;
};

class XzDecoder final : public Decompressor {
  public:
    XzDecoder(unsigned threads, StreamEnd end) {
        lzma_mt mt{};
        // Without LZMA_CONCATENATED liblzma stops at the end of the first stream.
        mt.flags = end == StreamEnd::concatenated ? LZMA_CONCATENATED : 0;
        mt.threads = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
        // Blocks larger than this budget are decoded on one thread.
        mt.memlimit_threading = 256u << 20;
        mt.memlimit_stop = UINT64_MAX;
        if (lzma_stream_decoder_mt(&m_s, &mt) != LZMA_OK) {
            throw Error("xz: cannot initialise liblzma");
        }
    }
    ~XzDecoder() override { lzma_end(&m_s); }

    DecodeStep decode(std::span<const char> in, std::span<char> out, bool input_ended) override {
        m_s.next_in = reinterpret_cast<const uint8_t*>(in.data());
        m_s.avail_in = in.size();
        m_s.next_out = reinterpret_cast<uint8_t*>(out.data());
        m_s.avail_out = out.size();
        lzma_ret rc = lzma_code(&m_s, input_ended ? LZMA_FINISH : LZMA_RUN);
        DecodeStep step{in.size() - m_s.avail_in, out.size() - m_s.avail_out, false};
        switch (rc) {
        case LZMA_OK:
            return step;
        case LZMA_STREAM_END:
            step.finished = true;
            return step;
        case LZMA_BUF_ERROR:
            if (input_ended) {
                truncated("xz");
            }
            return step;
        case LZMA_DATA_ERROR:
            if (input_ended && in.empty()) {
                truncated("xz");
            }
            throw Error("xz data is corrupt");
        case LZMA_FORMAT_ERROR:
            throw Error("xz data is corrupt: not an xz stream");
        case LZMA_OPTIONS_ERROR:
            throw Error("xz: unsupported compression options");
        case LZMA_MEM_ERROR:
            throw Error("xz: out of memory");
        default:
            throw Error("xz: decoding failed (liblzma error " + std::to_string(rc) + ")");
        }
    }

  private:
    lzma_stream m_s = LZMA_STREAM_INIT;
};

class ZstdDecoder final : public Decompressor {
  public:
    explicit ZstdDecoder(StreamEnd end) : m_end(end), m_ctx(ZSTD_createDCtx()) {
        if (m_ctx == nullptr) {
            throw Error("zstd: cannot create a decoder");
        }
        // Accept --long images up to a 2 GiB window.
        ZSTD_DCtx_setParameter(m_ctx, ZSTD_d_windowLogMax, 31);
    }
    ~ZstdDecoder() override { ZSTD_freeDCtx(m_ctx); }

    DecodeStep decode(std::span<const char> in, std::span<char> out, bool input_ended) override {
        ZSTD_inBuffer ib{in.data(), in.size(), 0};
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        size_t rc = ZSTD_decompressStream(m_ctx, &ob, &ib);
        if (ZSTD_isError(rc)) {
            throw Error(std::string("zstd data is corrupt: ") + ZSTD_getErrorName(rc));
        }
        DecodeStep step{ib.pos, ob.pos, false};
        if (step.consumed > 0 || step.produced > 0) {
            m_frame_done = rc == 0;
        }
        if (m_frame_done && m_end == StreamEnd::first_stream) {
            step.finished = true;
            return step;
        }
        if (input_ended && ib.pos == in.size() && ob.pos < out.size()) {
            // No more input and room left for output: either done or truncated.
            if (!m_frame_done) {
                truncated("zstd");
            }
            step.finished = true;
        }
        return step;
    }

  private:
    StreamEnd m_end;
    ZSTD_DCtx* m_ctx;
    bool m_frame_done = false;
};

class Bzip2Decoder final : public Decompressor {
  public:
    explicit Bzip2Decoder(StreamEnd end) : m_end(end) { init(); }
    ~Bzip2Decoder() override { BZ2_bzDecompressEnd(&m_s); }

    DecodeStep decode(std::span<const char> in, std::span<char> out, bool input_ended) override {
        DecodeStep step;
        if (m_at_boundary && !in.empty()) {
            BZ2_bzDecompressEnd(&m_s);  // another bzip2 stream follows
            init();
            m_at_boundary = false;
        }
        if (m_at_boundary) {
            step.finished = input_ended;
            return step;
        }
        m_s.next_in = const_cast<char*>(in.data());
        m_s.avail_in = static_cast<unsigned>(in.size());
        m_s.next_out = out.data();
        m_s.avail_out = static_cast<unsigned>(out.size());
        int rc = BZ2_bzDecompress(&m_s);
        step.consumed = in.size() - m_s.avail_in;
        step.produced = out.size() - m_s.avail_out;
        if (rc == BZ_STREAM_END) {
            m_at_boundary = true;
            step.finished = m_end == StreamEnd::first_stream || (input_ended && step.consumed == in.size());
            return step;
        }
        if (rc != BZ_OK) {
            throw Error("bzip2 data is corrupt (libbz2 error " + std::to_string(rc) + ")");
        }
        if (input_ended && step.consumed == in.size() && step.produced < out.size()) {
            truncated("bzip2");
        }
        return step;
    }

  private:
    void init() {
        m_s = bz_stream{};
        if (BZ2_bzDecompressInit(&m_s, 0, 0) != BZ_OK) {
            throw Error("bzip2: cannot initialise libbz2");
        }
    }
    StreamEnd m_end;
    bz_stream m_s{};
    bool m_at_boundary = false;
};

}  // namespace

std::unique_ptr<Decompressor> make_decompressor(Compression c, unsigned threads, StreamEnd end) {
    switch (c) {
    case Compression::gzip:
        return std::make_unique<GzipDecoder>(end);
    case Compression::xz:
        return std::make_unique<XzDecoder>(threads, end);
    case Compression::zstd:
        return std::make_unique<ZstdDecoder>(end);
    case Compression::bzip2:
        return std::make_unique<Bzip2Decoder>(end);
    case Compression::none:
        break;
    }
    throw Error("no decompressor for uncompressed data");
}

std::string decompress_first_stream(std::span<const char> data, Compression c, size_t max_output) {
    constexpr size_t chunk = size_t{4} << 20;
    auto decoder = make_decompressor(c, 1, StreamEnd::first_stream);
    std::string out;
    size_t used = 0;
    for (;;) {
        if (used == out.size()) {
            if (used >= max_output) {
                throw Error(std::string(to_string(c)) + " data decompresses to more than " +
                            std::to_string(max_output) + " bytes");
            }
            out.resize(used + std::min(chunk, max_output - used));
        }
        DecodeStep step = decoder->decode(data, {out.data() + used, out.size() - used}, true);
        data = data.subspan(step.consumed);
        used += step.produced;
        if (step.finished) {
            out.resize(used);
            return out;
        }
        if (step.consumed == 0 && step.produced == 0 && used < out.size()) {
            truncated(to_string(c));
        }
    }
}

}  // namespace imgdeploy
