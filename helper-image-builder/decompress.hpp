#pragma once
// Decompression of one complete stream held in memory, for the kernel
// payload inside a bzImage and for compressed kernel modules (.ko.xz,
// .ko.zst, .ko.gz). Bytes after the end of the stream are ignored, as the
// kernel's own decompressors ignore what a bzImage appends (the size word).

#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy::builder {

enum class Compression { gzip, xz, zstd };

const char* to_string(Compression c);

/// The compression whose magic number starts `data`, if any.
std::optional<Compression> detect_compression(std::string_view data);

/// Decompresses the stream that starts at data[0]. Throws Error("<what>: ...")
/// when the stream is corrupt, truncated, or would exceed `max_output` bytes.
std::string decompress(std::string_view data, Compression c, const std::string& what,
                       size_t max_output = size_t{1} << 30);

}  // namespace imgdeploy::builder
