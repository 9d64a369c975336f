#include "host/ops/deployment.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "host/disk/disk_writer.hpp"
#include "host/disk/target_disk.hpp"
#include "host/image/fsdump_preamble.hpp"
#include "host/ops/customize.hpp"
#include "host/ops/parameters.hpp"
#include "host/ops/stream_image.hpp"

#include <spdlog/spdlog.h>

namespace imgdeploy {

namespace {

StreamPlan make_stream_plan(const ImageRequest& image, ByteSource& source, const TargetDisk& disk,
                            SignalFd* signals) {
    StreamPlan plan;
    plan.source = &source;
    plan.disk = &disk;
    plan.signals = signals;
    plan.expected_sha256 = image.expected_sha256;
    plan.allow_empty = image.id.kind == ImageIdKind::null;
    if (image.format != ImageFormat::diskdump && image.id.kind != ImageIdKind::null) {
        auto kind = image.format == ImageFormat::ntfsdump ? PartitionKind::ntfs
                                                          : PartitionKind::linux_ext;
        plan.data_offset = k_preamble_bytes;
        plan.make_preamble = [kind](uint64_t bytes) {
            return make_fsdump_preamble(bytes, kind, IMGDEPLOY_SYSLINUX_MBR);
        };
    }
    return plan;
}

void log_stream_result(const StreamResult& r, const ImageRequest& image) {
    double mib_s = r.seconds > 0 ? static_cast<double>(r.image_bytes) / r.seconds / (1 << 20) : 0;
    spdlog::info("image copied: {} ({}), {} written, {} zeroed without writing, {:.2f} s, {:.0f} MiB/s",
                 human_bytes(r.image_bytes), to_string(r.compression), human_bytes(r.written_bytes),
                 human_bytes(r.zeroed_bytes), r.seconds, mib_s);
    if (image.expected_sha256) {
        spdlog::info("checksum verified: sha256:{} ({})", r.sha256, image.checksum_origin);
    }
}

/// fsdump images carry their own OS family and root partition (snf-image
/// meant to export these but lost them in a subshell).
void add_fsdump_properties(ImageRequest& image) {
    if (image.format == ImageFormat::diskdump) {
        return;
    }
    if (!image.properties.contains("OSFAMILY")) {
        image.properties["OSFAMILY"] = image.format == ImageFormat::ntfsdump ? "windows" : "linux";
    }
    if (!image.properties.contains("ROOT_PARTITION")) {
        image.properties["ROOT_PARTITION"] = "1";
    }
}

/// Customization runs in the helper VM (host/ops/customize.cpp), unless
/// the image or the caller asks for a plain copy.
void customize(const DeploymentRequest& request, const OsParameters& params,
               const ImageRequest& image, const TargetDisk& disk) {
    if (!request.customize || property_is_true(image.properties, "EXCLUDE_ALL_TASKS")) {
        spdlog::info("customization skipped ({}): no helper VM started",
                     request.customize ? "EXCLUDE_ALL_TASKS" : "--no-customize");
        return;
    }
    customize_image(request, params, image, disk);
}

}  // namespace

void run_deployment(const DeploymentRequest& request) {
    ProgressSink& progress = *request.progress;
    std::optional<TargetDisk> disk;
    bool writes_began = false;
    try {
        // 1. Parameters: variant defaults < given < config_url; all checked.
        OsParameters params = resolve_parameters(request.config, request.variant, request.params);
        // 2. The image: source, format, checksum, properties.
        ImageRequest image = make_image_request(request.config, params);
        add_fsdump_properties(image);
        auto source = open_image_source(image.id, request.config.image_dir,
                                        http_options(request.config));
        // 3. The target disk, exclusively.
        if (request.disks.empty()) {
            throw Error("no disk to deploy onto");
        }
        disk.emplace(request.disks[0], TargetDisk::Access::read_write);
        // 4. Stream the image; the first MiB goes last.
        spdlog::info("deploying {} ({}) onto {} ({})", source->describe(), to_string(image.format),
                     disk->path(), human_bytes(disk->size()));
        progress.info("Starting image copy...");
        StreamResult result = stream_image(make_stream_plan(image, *source, *disk, request.signals),
                                           progress, writes_began);
        progress.info("Image copy finished.");
        log_stream_result(result, image);
        // 5. Customize in the helper VM, on the disk still held exclusively.
        customize(request, params, image, *disk);
        progress.info("Image deployment finished successfully.");
    } catch (const std::exception& e) {
        progress.error({e.what()});
        if (disk && writes_began) {
            if (wipe_boot_areas(*disk)) {
                spdlog::warn("zeroed the first and last MiB of {} so the half-deployed disk "
                             "cannot boot", disk->path());
            } else {
                spdlog::warn("could not zero the first and last MiB of {}", disk->path());
            }
        }
        throw;
    }
}

}  // namespace imgdeploy
