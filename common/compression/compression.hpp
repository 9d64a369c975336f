#pragma once
// Compression detection by magic bytes (never by file name) and streaming
// decompressors for gzip (zlib), xz (liblzma, multi-threaded for
// multi-block streams), zstd (libzstd) and bzip2 (libbz2). Each decoder
// verifies the format's own checks (CRC32, CRC64, XXH64) and reports a
// truncated stream as an Error. Images are read as concatenated
// streams/members (as `xz -dc a.xz b.xz` would); a stream embedded in other
// data, like a bzImage's kernel payload, is read up to its own end.
// Used by the host (images) and the helper image builder (kernel payloads
// and compressed modules): its own library, so the helper and the tasks
// link no codec.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace imgdeploy {

enum class Compression { none, gzip, xz, zstd, bzip2 };

const char* to_string(Compression c);
/// Looks at the first bytes of a stream (at least 6 are needed to tell).
Compression detect_compression(std::span<const char> head);

/// For zstd only: the decompressed size of the first frame when its header
/// records it (a lower bound of the whole image size).
std::optional<uint64_t> zstd_first_frame_size(std::span<const char> head);

struct DecodeStep {
    size_t consumed = 0;
    size_t produced = 0;
    /// The stream ended properly and all output has been produced.
    bool finished = false;
};

class Decompressor {
  public:
    virtual ~Decompressor() = default;
    /// Decodes from `in` into `out`. `input_ended` says no input will follow
    /// `in`; the decoder then reports finished, or throws when the stream is
    /// truncated or corrupt.
    virtual DecodeStep decode(std::span<const char> in, std::span<char> out, bool input_ended) = 0;
};

/// Where a decoder stops.
enum class StreamEnd {
    concatenated,  // streams/members follow each other until the input ends
    first_stream,  // the end of the first stream; bytes after it are ignored
};

/// A decoder for c (not none). threads applies to xz only (0 = one per core).
std::unique_ptr<Decompressor> make_decompressor(Compression c, unsigned threads = 0,
                                                StreamEnd end = StreamEnd::concatenated);

/// Decompresses the one stream at the start of `data` held in memory
/// (bytes after its end are ignored, as the kernel's own decompressors
/// ignore what a bzImage appends). Throws Error when it is corrupt,
/// truncated, or would exceed `max_output` bytes.
std::string decompress_first_stream(std::span<const char> data, Compression c,
                                    size_t max_output = size_t{1} << 30);

}  // namespace imgdeploy
