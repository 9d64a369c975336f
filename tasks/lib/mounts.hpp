#pragma once
// Mount table reading (/proc/self/mountinfo) and the mount(2)/umount2(2)
// calls the mount tasks make.

#include "common/unique_fd.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

struct MountInfo {
    unsigned major = 0;
    unsigned minor = 0;
    std::string mount_point;  // escapes decoded
    std::string type;
    std::string source;  // escapes decoded
};

/// Parses mountinfo text (proc(5)); lines that do not parse are skipped.
std::vector<MountInfo> parse_mountinfo(std::string_view text);
/// /proc/self/mountinfo, in mount order.
std::vector<MountInfo> read_mountinfo();

/// True when `path` is `dir` or lies below it (both normalised, absolute).
bool path_is_under(std::string_view path, std::string_view dir);
/// The mounts at or below `dir`, in mount order.
std::vector<MountInfo> mounts_under(const std::vector<MountInfo>& mounts, std::string_view dir);

/// mount(2) of a block device onto a directory given by an fd (mounted via
/// /proc/self/fd/N, so the target path is never resolved again).
/// `where` names the mount point in messages.
void mount_device(const std::string& device, int dir_fd, const std::string& type, const std::string& data,
                  const std::string& where);
/// umount2(path, UMOUNT_NOFOLLOW), retrying a few times on EBUSY.
void unmount(const std::string& path);

/// Mounts made so far; on destruction (an error part-way) they are unmounted
/// in reverse order, unless release()d.
class MountStack {
  public:
    MountStack() = default;
    MountStack(const MountStack&) = delete;
    MountStack& operator=(const MountStack&) = delete;
    ~MountStack();
    void push(std::string host_path) { m_paths.push_back(std::move(host_path)); }
    void release() { m_paths.clear(); }

  private:
    std::vector<std::string> m_paths;
};

}  // namespace imgdeploy::tasks
