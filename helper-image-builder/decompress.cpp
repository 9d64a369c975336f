#include "helper-image-builder/decompress.hpp"

#include "common/error.hpp"

#include <cstring>
#include <lzma.h>
#include <memory>
#include <zlib.h>
#include <zstd.h>

namespace imgdeploy::builder {

namespace {

constexpr size_t k_chunk = size_t{4} << 20;

constexpr unsigned char k_gzip_magic[] = {0x1f, 0x8b, 0x08};
constexpr unsigned char k_xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
constexpr unsigned char k_zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

template <size_t N>
bool starts_with_magic(std::string_view data, const unsigned char (&magic)[N]) {
    return data.size() >= N && std::memcmp(data.data(), magic, N) == 0;
}

/// Grows `out` by one chunk and returns where the new space starts.
unsigned char* grow(std::string& out, size_t max_output, const std::string& what) {
    if (out.size() >= max_output) {
        throw Error(what + ": decompressed data larger than " + std::to_string(max_output) + " bytes");
    }
    size_t old = out.size();
    out.resize(old + k_chunk);
    return reinterpret_cast<unsigned char*>(out.data() + old);
}

/// Trims `out` to the decoded size, refusing more than `max_output` bytes.
std::string finished(std::string& out, size_t size, size_t max_output, const std::string& what) {
    if (size > max_output) {
        throw Error(what + ": decompressed data larger than " + std::to_string(max_output) + " bytes");
    }
    out.resize(size);
    return std::move(out);
}

std::string decompress_xz(std::string_view data, const std::string& what, size_t max_output) {
    lzma_stream s = LZMA_STREAM_INIT;
    // No LZMA_CONCATENATED: stop at the end of the first stream.
    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
        throw Error(what + ": cannot initialise the xz decoder");
    }
    std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&s, lzma_end);
    s.next_in = reinterpret_cast<const uint8_t*>(data.data());
    s.avail_in = data.size();
    std::string out;
    for (;;) {
        s.next_out = grow(out, max_output, what);
        s.avail_out = k_chunk;
        lzma_ret ret = lzma_code(&s, LZMA_FINISH);
        if (ret == LZMA_STREAM_END) {
            return finished(out, s.total_out, max_output, what);
        }
        if (ret != LZMA_OK) {
            throw Error(what + ": corrupt or truncated xz data (liblzma error " + std::to_string(ret) + ")");
        }
    }
}

std::string decompress_gzip(std::string_view data, const std::string& what, size_t max_output) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        throw Error(what + ": cannot initialise the gzip decoder");
    }
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(std::min<size_t>(data.size(), UINT32_MAX));
    std::string out;
    for (;;) {
        z.next_out = grow(out, max_output, what);
        z.avail_out = static_cast<uInt>(k_chunk);
        int ret = inflate(&z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            return finished(out, z.total_out, max_output, what);
        }
        if (ret != Z_OK && !(ret == Z_BUF_ERROR && z.avail_out == 0)) {
            throw Error(what + ": corrupt or truncated gzip data (" + (z.msg ? z.msg : "zlib error") + ")");
        }
    }
}

std::string decompress_zstd(std::string_view data, const std::string& what, size_t max_output) {
    std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    if (!ctx) {
        throw Error(what + ": cannot initialise the zstd decoder");
    }
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    std::string out;
    size_t used = 0;
    for (;;) {
        grow(out, max_output, what);
        ZSTD_outBuffer ob{out.data() + used, out.size() - used, 0};
        size_t ret = ZSTD_decompressStream(ctx.get(), &ob, &in);
        if (ZSTD_isError(ret)) {
            throw Error(what + ": corrupt zstd data (" + ZSTD_getErrorName(ret) + ")");
        }
        used += ob.pos;
        if (ret == 0) {  // the frame is complete
            return finished(out, used, max_output, what);
        }
        if (in.pos == in.size && ob.pos < ob.size) {
            throw Error(what + ": truncated zstd data");
        }
        out.resize(used);
    }
}

}  // namespace

const char* to_string(Compression c) {
    switch (c) {
    case Compression::gzip:
        return "gzip";
    case Compression::xz:
        return "xz";
    case Compression::zstd:
        return "zstd";
    }
    return "?";
}

std::optional<Compression> detect_compression(std::string_view data) {
    if (starts_with_magic(data, k_gzip_magic)) {
        return Compression::gzip;
    }
    if (starts_with_magic(data, k_xz_magic)) {
        return Compression::xz;
    }
    if (starts_with_magic(data, k_zstd_magic)) {
        return Compression::zstd;
    }
    return std::nullopt;
}

std::string decompress(std::string_view data, Compression c, const std::string& what, size_t max_output) {
    switch (c) {
    case Compression::gzip:
        return decompress_gzip(data, what, max_output);
    case Compression::xz:
        return decompress_xz(data, what, max_output);
    case Compression::zstd:
        return decompress_zstd(data, what, max_output);
    }
    throw Error(what + ": unknown compression");
}

}  // namespace imgdeploy::builder
