// 80UmountImage: unmount everything at or below SNF_IMAGE_TARGET, innermost
// (most recent) first.

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/mounts.hpp"

#include <unistd.h>

namespace imgdeploy::tasks {

void umount_image(const TaskContext& ctx) {
    std::string target = sys::realpath(ctx.env.require_target());
    ::sync();
    auto mounts = mounts_under(read_mountinfo(), target);
    if (mounts.empty()) {
        ctx.report.info("nothing is mounted on " + target);
        return;
    }
    // mountinfo lists mounts in the order they were made, so the reverse
    // order unmounts children (and mounts stacked on a path) first.
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
        unmount(it->mount_point);
    }
    auto left = mounts_under(read_mountinfo(), target);
    if (!left.empty()) {
        throw Error(left.back().mount_point + " is still mounted");
    }
    ctx.report.info("unmounted " + std::to_string(mounts.size()) + " file system(s) from " + target);
}

}  // namespace imgdeploy::tasks
