// 30MountImage: mount the image's root file system on SNF_IMAGE_TARGET,
// then the disk file systems its /etc/fstab lists (SNF-IMAGE-REFERENCE §5.6).

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/filesystem_probe.hpp"
#include "tasks/lib/fstab.hpp"
#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/mounts.hpp"
#include "tasks/lib/partition_name.hpp"
#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"

#include <fcntl.h>

namespace imgdeploy::tasks {

namespace {

struct Candidate {
    std::string device;
    FilesystemInfo fs;
};

/// Every file system on the partitions of the instance's disks.
std::vector<Candidate> probe_partitions(const TaskContext& ctx) {
    std::vector<std::string> disks = ctx.env.devices;
    if (disks.empty()) {
        disks.push_back(ctx.env.require_disk());
    }
    std::vector<Candidate> out;
    for (const auto& disk : disks) {
        for (const auto& p : kernel_partitions(disk)) {
            std::string device = partition_device(disk, p.number);
            try {
                if (auto fs = probe_filesystem(device)) {
                    out.push_back({device, *fs});
                }
            } catch (const Error& e) {
                ctx.report.warn(std::string("ignoring ") + e.what());
            }
        }
    }
    return out;
}

std::string describe(const DeviceRef& ref) {
    return (ref.kind == DeviceRef::Kind::uuid ? "UUID=" : "LABEL=") + ref.value;
}

/// The one candidate a reference names; nullptr when none.
const Candidate* resolve(const std::vector<Candidate>& candidates, const DeviceRef& ref, const FstabEntry& e) {
    const Candidate* found = nullptr;
    for (const auto& c : candidates) {
        bool match = ref.kind == DeviceRef::Kind::uuid ? iequals(c.fs.uuid, ref.value) : c.fs.label == ref.value;
        if (match && found) {
            throw Error("/etc/fstab line " + std::to_string(e.line) + ": " + describe(ref) + " matches both " +
                        found->device + " and " + c.device);
        }
        found = match ? &c : found;
    }
    return found;
}

/// Mount options that select what to mount, which must be kept; the
/// others (noatime, errors=, ...) do not matter to the helper.
std::string mount_data(const FstabEntry& e, const std::string& type) {
    std::string data;
    if (type == "btrfs") {
        for (const char* key : {"subvol", "subvolid"}) {
            if (auto v = e.option_value(key)) {
                data += (data.empty() ? "" : ",") + std::string(key) + "=" + *v;
            }
        }
    }
    return data;
}

UniqueFd mount_point_fd(const TaskContext& ctx, const RootDir& root, const FstabEntry& e) {
    if (!root.lstat(e.mount_point)) {
        ctx.report.warn("creating the missing mount point " + e.mount_point + " (/etc/fstab line " +
                        std::to_string(e.line) + ")");
        root.make_dirs(e.mount_point, {0755, 0, 0});
    }
    return root.open(e.mount_point, O_PATH | O_DIRECTORY);
}

void mount_fstab_entry(const TaskContext& ctx, const RootDir& root, const std::vector<Candidate>& candidates,
                       const FstabMount& m, MountStack& stack) {
    const FstabEntry& e = m.entry;
    const Candidate* c = resolve(candidates, m.device, e);
    if (c == nullptr && e.has_option("nofail")) {
        ctx.report.warn("/etc/fstab line " + std::to_string(e.line) + ": no partition with " + describe(m.device) +
                        " (nofail: not mounted)");
        return;
    }
    if (c == nullptr) {
        throw Error("/etc/fstab line " + std::to_string(e.line) + " ('" + e.text + "'): no partition with " +
                    describe(m.device) + " on the instance's disks");
    }
    std::string type = c->fs.type.empty() ? e.type : c->fs.type;
    UniqueFd dir = mount_point_fd(ctx, root, e);
    std::string host_path = fd_target(dir.get());
    mount_device(c->device, dir.get(), type, mount_data(e, type), "image path " + e.mount_point);
    stack.push(host_path);
    ctx.report.info("mounted " + c->device + " (" + type + ") on " + e.mount_point);
}

}  // namespace

void mount_image(const TaskContext& ctx) {
    const std::string& target = ctx.env.require_target();
    std::string device = partition_device(ctx.env.require_disk(), ctx.env.require_root_partition());
    if (!mounts_under(read_mountinfo(), sys::realpath(target)).empty()) {
        throw Error("something is already mounted on SNF_IMAGE_TARGET " + target);
    }
    auto fs = probe_filesystem(device);
    if (!fs || fs->type.empty()) {
        throw Error("no file system found on the root partition " + device + " (ROOT_PARTITION " +
                    std::to_string(ctx.env.require_root_partition()) + ")");
    }
    if (fs->type == "ntfs") return windows::mount_ntfs_root(ctx, device);
    if (fs->type == "ufs") return bsd::mount_ufs_root(ctx, device);
    MountStack stack;
    UniqueFd target_fd = sys::open(target, O_PATH | O_DIRECTORY);
    mount_device(device, target_fd.get(), fs->type, "", target);
    stack.push(sys::realpath(target));
    RootDir root(target);
    if (!root.is_dir("/etc")) {
        throw Error("the root file system on " + device + " (" + fs->type + ") has no /etc: is ROOT_PARTITION right?");
    }
    ctx.report.info("mounted " + device + " (" + fs->type + ") on " + target);
    auto fstab = root.read_file("/etc/fstab");
    if (!fstab) {
        ctx.report.warn("the image has no /etc/fstab: only the root file system is mounted");
    }
    FstabPlan plan = plan_fstab_mounts(parse_fstab(fstab.value_or("")));
    for (const auto& note : plan.notes) {
        ctx.report.warn(note);
    }
    std::vector<Candidate> candidates = plan.mounts.empty() ? std::vector<Candidate>{} : probe_partitions(ctx);
    for (const auto& m : plan.mounts) {
        mount_fstab_entry(ctx, root, candidates, m, stack);
    }
    stack.release();
}

}  // namespace imgdeploy::tasks
