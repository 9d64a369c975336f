// 20FilesystemResizeUnmounted: grow an ext2/3/4 file system on
// SNF_IMAGE_RESIZE_PART to its (grown) partition before anything mounts it.
// xfs and btrfs can only grow mounted (40FilesystemResizeMounted).

#include "common/error.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/filesystem_probe.hpp"
#include "tasks/lib/partition_name.hpp"
#include "tasks/lib/tools.hpp"

namespace imgdeploy::tasks {

namespace {

/// e2fsck -p -f first (snf-image PR #97: resize2fs on a snapshot with a
/// dirty journal corrupts it). e2fsck's status is a bit mask: 1 = errors
/// corrected, 2 = reboot advised (only meaningful for a mounted root);
/// 4 and up = errors left, operational or usage errors.
void check_ext_filesystem(const TaskContext& ctx, const std::string& device) {
    WaitStatus st = run_tool({"e2fsck", "-p", "-f", device});
    if (st.kind == WaitStatus::Kind::exited && st.code < 4) {
        if (st.code != 0) {
            ctx.report.warn("e2fsck corrected errors on " + device);
        }
        return;
    }
    throw Error("checking " + device + ": e2fsck " + st.describe() + " (errors left uncorrected?)");
}

}  // namespace

void resize_filesystem_unmounted(const TaskContext& ctx) {
    std::string device = partition_device(ctx.env.require_disk(), ctx.env.require_resize_part());
    auto fs = probe_filesystem(device);
    if (!fs) {
        ctx.report.warn("no file system found on " + device + ": nothing to grow");
        return;
    }
    if (fs->type == "ufs") return bsd::resize_ufs_unmounted(ctx);
    if (!is_ext_filesystem(fs->type)) {
        ctx.report.info(device + " holds " + fs->type + ": not grown here");
        return;
    }
    check_ext_filesystem(ctx, device);
    run_tool_checked({"resize2fs", device}, "growing the " + fs->type + " file system on " + device);
}

}  // namespace imgdeploy::tasks
