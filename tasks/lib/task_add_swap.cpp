// 50AddSwap: format the swap space the SWAP property asks for and add it to
// /etc/fstab by UUID (SNF-IMAGE-REFERENCE §5.5). "<partnum>:<MB>": the
// partition 10FixPartitionTable made on disk 0; "<disk letter>": a whole
// extra disk (b = SNF_IMAGE_DEV_1, ...).

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/filesystem_probe.hpp"
#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/partition_name.hpp"
#include "tasks/lib/swap.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/tools.hpp"

#include <cerrno>
#include <sys/random.h>

namespace imgdeploy::tasks {

namespace {

std::string random_uuid() {
    unsigned char id[16];
    if (::getrandom(id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
        throw SystemError("swap UUID", "getrandom", errno);
    }
    id[6] = static_cast<unsigned char>((id[6] & 0x0f) | 0x40);
    id[8] = static_cast<unsigned char>((id[8] & 0x3f) | 0x80);
    std::string h = to_hex(id, sizeof id);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

/// The device to format; throws Error naming SWAP when it is not there or
/// holds a file system that is not swap (a partition of the image).
std::string swap_device(const TaskContext& ctx, const SwapSpec& spec, const std::string& what) {
    if (spec.kind == SwapSpec::Kind::disk) {
        if (spec.disk_index >= ctx.env.devices.size() || ctx.env.devices[spec.disk_index].empty()) {
            throw Error(what + ": the instance has no disk " + describe_swap(spec) + " (SNF_IMAGE_DEV_" +
                        std::to_string(spec.disk_index) + " is not set; SNF_IMAGE_DEV_COUNT is " +
                        std::to_string(ctx.env.devices.size()) + ")");
        }
        return ctx.env.devices[spec.disk_index];
    }
    const std::string& disk = ctx.env.require_disk();
    bool found = false;
    for (const auto& p : kernel_partitions(disk)) {
        found = found || p.number == spec.partition;
    }
    if (!found) {
        throw Error(what + ": " + disk + " has no partition " + std::to_string(spec.partition) +
                    " (10FixPartitionTable makes it; was it excluded?)");
    }
    std::string device = partition_device(disk, spec.partition);
    auto fs = probe_filesystem(device);
    if (fs && fs->type != "swap") {
        throw Error(what + ": partition " + device + " holds a " + fs->type +
                    " file system; refusing to format it as swap");
    }
    return device;
}

}  // namespace

void add_swap(const TaskContext& ctx) {
    auto value = ctx.env.property("SWAP");
    if (!value) {
        ctx.report.info("SWAP is not set: nothing to do");
        return;
    }
    SwapSpec spec = parse_swap(*value);
    std::string what = "SWAP '" + describe_swap(spec) + "'";
    if (spec.kind == SwapSpec::Kind::partition && cloud_init_mode(ctx)) {
        add_swap_cloud_init(ctx, spec.mib);
        return;
    }
    std::string device = swap_device(ctx, spec, what);
    RootDir root = open_mounted_target(ctx);
    std::optional<std::string> old_uuid;
    if (auto fs = probe_filesystem(device); fs && fs->type == "swap" && !fs->uuid.empty()) {
        old_uuid = fs->uuid;
    } else if (fs && spec.kind == SwapSpec::Kind::disk) {
        ctx.report.warn(what + ": overwriting the " + fs->type + " signature on " + device);
    }
    std::string uuid = random_uuid();
    std::vector<std::string> argv{"mkswap", "-U", uuid};
    if (spec.kind == SwapSpec::Kind::disk) {
        argv.push_back("-f");  // a whole disk: mkswap refuses one with a partition table otherwise
    }
    argv.push_back(device);
    run_tool_checked(argv, what + ": formatting " + device);
    auto fstab = root.read_file("/etc/fstab");
    if (!fstab) {
        ctx.report.warn("the image has no /etc/fstab: creating one for the swap entry");
    }
    root.replace_file("/etc/fstab", add_swap_to_fstab(fstab.value_or(""), uuid, old_uuid),
                      root.attributes_or("/etc/fstab", {0644, 0, 0}));
    ctx.report.info("swap on " + device + " (UUID=" + uuid + ") added to /etc/fstab");
}

}  // namespace imgdeploy::tasks
