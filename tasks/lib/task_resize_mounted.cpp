// 40FilesystemResizeMounted: grow an xfs or btrfs file system on
// SNF_IMAGE_RESIZE_PART, which these file systems only do while mounted.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"
#include "tasks/lib/filesystem_probe.hpp"
#include "tasks/lib/mounts.hpp"
#include "tasks/lib/partition_name.hpp"
#include "tasks/lib/tools.hpp"

#include <optional>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace imgdeploy::tasks {

namespace {

std::optional<dev_t> device_number(const std::string& path) {
    auto st = sys::stat_if_exists(path);
    if (!st || !S_ISBLK(st->st_mode)) {
        return std::nullopt;
    }
    return st->st_rdev;
}

/// The first mount of `device` at or below the target. btrfs mounts show an
/// anonymous device number, so the mount source counts as well.
std::optional<MountInfo> find_mount(const std::string& target, const std::string& device) {
    dev_t want = device_number(device).value_or(0);
    for (const auto& m : mounts_under(read_mountinfo(), sys::realpath(target))) {
        bool same = makedev(m.major, m.minor) == want || (m.source.starts_with("/dev/") && device_number(m.source) == want);
        if (same) {
            return m;
        }
    }
    return std::nullopt;
}

/// The btrfs device id of `device` in the file system mounted at `mount_point`
/// (a multi-device file system grows one device at a time).
std::string btrfs_devid(const std::string& mount_point, const std::string& device) {
    std::string text = run_capture({find_tool("btrfs"), "filesystem", "show", mount_point});
    for (const auto& line : split(text, '\n')) {
        auto w = split_words(line);
        // "devid    1 size 64.00MiB used 8.00MiB path /dev/vda2"
        if (w.size() >= 4 && w[0] == "devid" && w[w.size() - 2] == "path" &&
            device_number(w.back()) == device_number(device)) {
            return w[1];
        }
    }
    throw Error("btrfs filesystem show " + mount_point + " does not list " + device);
}

}  // namespace

void resize_filesystem_mounted(const TaskContext& ctx) {
    if (windows::is_windows(ctx)) return windows::resize_filesystem_mounted_windows(ctx);
    std::string device = partition_device(ctx.env.require_disk(), ctx.env.require_resize_part());
    auto mount = find_mount(ctx.env.require_target(), device);
    if (!mount) {
        ctx.report.info(device + " is not mounted under the target: nothing to grow here");
        return;
    }
    if (mount->type == "xfs") {
        run_tool_checked({"xfs_growfs", mount->mount_point}, "growing the xfs file system on " + device);
    } else if (mount->type == "btrfs") {
        std::string devid = btrfs_devid(mount->mount_point, device);
        run_tool_checked({"btrfs", "filesystem", "resize", devid + ":max", mount->mount_point},
                         "growing the btrfs file system on " + device);
    } else if (is_ext_filesystem(mount->type)) {
        ctx.report.info(device + " holds " + mount->type + ": grown unmounted by 20FilesystemResizeUnmounted");
    } else {
        ctx.report.warn(device + " holds " + mount->type + ", which this task does not grow");
    }
}

}  // namespace imgdeploy::tasks
