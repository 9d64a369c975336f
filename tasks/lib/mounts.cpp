#include "tasks/lib/mounts.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/fstab.hpp"
#include "tasks/lib/root_dir.hpp"

#include <cerrno>
#include <chrono>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

bool parse_dev(std::string_view text, unsigned& major, unsigned& minor) {
    auto parts = split(text, ':');
    if (parts.size() != 2) {
        return false;
    }
    auto a = parse_u64(parts[0]);
    auto b = parse_u64(parts[1]);
    if (!a || !b) {
        return false;
    }
    major = static_cast<unsigned>(*a);
    minor = static_cast<unsigned>(*b);
    return true;
}

}  // namespace

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
    std::vector<MountInfo> out;
    for (const auto& line : split(text, '\n')) {
        auto f = split_words(line);
        // id parent major:minor root mount_point options [optional...] - type source super_options
        size_t dash = 6;
        while (dash < f.size() && f[dash] != "-") {
            ++dash;
        }
        MountInfo m;
        if (f.size() < 7 || dash + 2 >= f.size() || !parse_dev(f[2], m.major, m.minor)) {
            continue;
        }
        m.mount_point = decode_fstab_escapes(f[4]);
        m.type = f[dash + 1];
        m.source = decode_fstab_escapes(f[dash + 2]);
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<MountInfo> read_mountinfo() { return parse_mountinfo(sys::read_file("/proc/self/mountinfo")); }

bool path_is_under(std::string_view path, std::string_view dir) {
    while (dir.size() > 1 && dir.back() == '/') {
        dir.remove_suffix(1);
    }
    if (dir == "/") {
        return true;
    }
    return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::vector<MountInfo> mounts_under(const std::vector<MountInfo>& mounts, std::string_view dir) {
    std::vector<MountInfo> out;
    for (const auto& m : mounts) {
        if (path_is_under(m.mount_point, dir)) {
            out.push_back(m);
        }
    }
    return out;
}

void mount_device(const std::string& device, int dir_fd, const std::string& type, const std::string& data,
                  const std::string& where) {
    const void* options = data.empty() ? nullptr : data.c_str();
    if (::mount(device.c_str(), fd_path(dir_fd).c_str(), type.c_str(), 0, options) != 0) {
        throw SystemError("mounting " + device + " (" + type + ") on " + where, "mount", errno);
    }
}

void unmount(const std::string& path) {
    for (int attempt = 0;; ++attempt) {
        if (::umount2(path.c_str(), UMOUNT_NOFOLLOW) == 0) {
            return;
        }
        if (errno != EBUSY || attempt == 10) {
            throw SystemError("unmounting " + path, "umount2", errno);
        }
        // Nothing signals "no longer busy" (a tool's last close racing us):
        // a short, bounded back-off is the only way to wait for it.
        ::sync();
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
    }
}

MountStack::~MountStack() {
    for (auto it = m_paths.rbegin(); it != m_paths.rend(); ++it) {
        if (::umount2(it->c_str(), UMOUNT_NOFOLLOW) != 0) {
            ::umount2(it->c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
        }
    }
}

}  // namespace imgdeploy::tasks
