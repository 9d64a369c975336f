#include "host/ops/import_export.hpp"

#include "common/aligned_buffer.hpp"
#include "common/error.hpp"
#include "common/signals.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "host/disk/disk_writer.hpp"
#include "host/disk/target_disk.hpp"
#include "host/image/file_source.hpp"
#include "host/ops/stream_image.hpp"

#include <spdlog/spdlog.h>

namespace imgdeploy {

void import_disk(const std::string& device, int in_fd, ProgressSink& progress, SignalFd* signals) {
    TargetDisk disk(device, TargetDisk::Access::read_write);
    FileSource source(in_fd, "the import stream (stdin)");
    StreamPlan plan;
    plan.source = &source;
    plan.disk = &disk;
    plan.detect_compression = false;
    plan.signals = signals;
    bool writes_began = false;
    try {
        StreamResult r = stream_image(plan, progress, writes_began);
        spdlog::info("imported {} onto {} in {:.2f} s", human_bytes(r.image_bytes), device, r.seconds);
    } catch (...) {
        if (writes_began) {
            wipe_boot_areas(disk);
        }
        throw;
    }
}

void export_disk(const std::string& device, int out_fd, std::optional<int> size_fd,
                 SignalFd* signals) {
    TargetDisk disk(device, TargetDisk::Access::read_only);
    if (size_fd) {
        std::string size = std::to_string(disk.size()) + "\n";
        sys::write_full(*size_fd, size.data(), size.size(), "EXP_SIZE_FD " + std::to_string(*size_fd));
    }
    constexpr size_t k_chunk = 4u << 20;
    AlignedBuffer buf(k_chunk);
    uint64_t offset = 0;
    while (offset < disk.size()) {
        if (signals) {
            if (auto s = signals->take()) {
                throw Interrupted(*s);
            }
        }
        size_t want = static_cast<size_t>(std::min<uint64_t>(k_chunk, disk.size() - offset));
        // O_DIRECT needs aligned lengths; a final partial sector uses the page cache.
        size_t aligned = want / disk.alignment() * disk.alignment();
        size_t got = aligned > 0 ? sys::pread_full(disk.direct_fd(), buf.data(), aligned, offset,
                                                   "reading disk " + device)
                                 : 0;
        if (got == aligned && aligned < want) {
            got += sys::pread_full(disk.buffered_fd(), buf.data() + aligned, want - aligned,
                                   offset + aligned, "reading disk " + device);
        }
        if (got != want) {
            throw Error("reading disk " + device + ": unexpected end at offset " +
                        std::to_string(offset + got));
        }
        sys::write_full(out_fd, buf.data(), got, "writing the export stream (stdout)");
        offset += got;
    }
    spdlog::info("exported {} from {}", human_bytes(offset), device);
}

}  // namespace imgdeploy
