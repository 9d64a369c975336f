#pragma once
// The streaming engine: fetch -> (decompress) -> dispatch -> write, each on
// its own thread, joined by bounded queues over one buffer pool.
//
//   fetch thread     reads the source into 4 MiB aligned buffers, counts and
//                    hashes the fetched bytes, detects compression by magic
//   decode thread    decompresses into 4 MiB aligned blocks (raw: passes the
//                    fetched buffers through untouched), refuses to go past
//                    the disk's end, holds the image's first MiB back
//   writer threads   several O_DIRECT writes in flight, zero runs zeroed
//
// The calling thread runs one poll loop over a signalfd and the pipeline's
// completion, ticking progress. The first MiB (or the fsdump preamble) is
// written last, only after the whole stream and the checksum have passed.

#include "host/disk/target_disk.hpp"
#include "host/image/byte_source.hpp"
#include "common/compression/compression.hpp"
#include "host/progress/progress_sink.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

class SignalFd;

struct StreamPlan {
    ByteSource* source = nullptr;
    const TargetDisk* disk = nullptr;
    /// Detect gzip/xz/zstd/bzip2 by magic; off for import (raw only).
    bool detect_compression = true;
    /// Where the image's first byte goes (1 MiB for extdump/ntfsdump).
    uint64_t data_offset = 0;
    /// For fsdump: builds the bytes for [0, data_offset) once the image
    /// size is known; written last.
    std::function<std::vector<char>(uint64_t image_bytes)> make_preamble;
    /// sha256 of the fetched bytes (the image file as published).
    std::optional<std::string> expected_sha256;
    /// Hash even without an expected value (to report it).
    bool compute_sha256 = false;
    uint64_t hold_bytes = 1u << 20;
    /// A zero-byte image is an error unless this is set (img_id `null`).
    bool allow_empty = false;
    unsigned writer_threads = 4;
    size_t block_bytes = 4u << 20;
    size_t buffers = 10;
    /// Polled for SIGINT/SIGTERM; may be null.
    SignalFd* signals = nullptr;
};

struct StreamResult {
    Compression compression = Compression::none;
    uint64_t fetched_bytes = 0;  // bytes read from the source
    uint64_t image_bytes = 0;    // bytes after decompression
    uint64_t written_bytes = 0;
    uint64_t zeroed_bytes = 0;
    std::string sha256;          // of the fetched bytes, when computed
    double seconds = 0;
};

/// Streams the image. `writes_began` becomes true once anything may have
/// reached the disk, so the caller knows whether a failure needs cleanup.
/// Throws Error (or Interrupted) on failure; the disk past the image's
/// extent is never touched.
StreamResult stream_image(const StreamPlan& plan, ProgressSink& progress, bool& writes_began);

}  // namespace imgdeploy
