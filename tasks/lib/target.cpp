#include "tasks/lib/target.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/mounts.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

/// Values of ID and ID_LIKE in os-release(5) text, lower case.
std::vector<std::string> os_release_ids(const std::string& text) {
    std::vector<std::string> ids;
    for (const auto& line : split(text, '\n')) {
        std::string_view l = trim(line);
        bool id = l.starts_with("ID=");
        bool like = l.starts_with("ID_LIKE=");
        if (!id && !like) {
            continue;
        }
        std::string value(l.substr(id ? 3 : 8));
        value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
        value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
        for (auto& w : split_words(value)) {
            ids.push_back(to_lower(w));
        }
    }
    return ids;
}

Distro distro_from_id(const std::string& id) {
    if (id == "debian" || id == "ubuntu") {
        return Distro::debian;
    }
    if (id == "rhel" || id == "fedora" || id == "centos") {
        return Distro::redhat;
    }
    if (id == "suse" || id == "opensuse" || id == "sles") {
        return Distro::suse;
    }
    if (id == "arch") {
        return Distro::arch;
    }
    if (id == "gentoo") {
        return Distro::gentoo;
    }
    if (id == "slackware") {
        return Distro::slackware;
    }
    if (id == "coreos" || id == "flatcar" || id == "fedora-coreos") {
        return Distro::coreos;
    }
    return Distro::unknown;
}

}  // namespace

std::string fd_target(int fd) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(fd_path(fd).c_str(), buf, sizeof buf - 1);
    if (n < 0) {
        throw SystemError(fd_path(fd), "readlink", errno);
    }
    return std::string(buf, static_cast<size_t>(n));
}

RootDir open_mounted_target(const TaskContext& ctx) {
    const std::string& target = ctx.env.require_target();
    std::string real = sys::realpath(target);
    bool mounted = false;
    for (const auto& m : read_mountinfo()) {
        mounted = mounted || m.mount_point == real;
    }
    if (!mounted) {
        throw Error("nothing is mounted on SNF_IMAGE_TARGET " + target + " (did 30MountImage run?)");
    }
    return RootDir(target);
}

Distro detect_distro(const RootDir& root) {
    static const std::pair<const char*, Distro> k_markers[] = {
        {"/etc/debian_version", Distro::debian},      {"/etc/redhat-release", Distro::redhat},
        {"/etc/SuSE-release", Distro::suse},          {"/etc/slackware-version", Distro::slackware},
        {"/etc/gentoo-release", Distro::gentoo},      {"/etc/arch-release", Distro::arch},
        {"/etc/coreos/update.conf", Distro::coreos},
    };
    for (const auto& [path, distro] : k_markers) {
        if (root.lstat(path)) {
            return distro;
        }
    }
    auto os_release = root.read_file("/etc/os-release");
    if (!os_release) {
        os_release = root.read_file("/usr/lib/os-release");
    }
    for (const auto& id : os_release_ids(os_release.value_or(""))) {
        if (Distro d = distro_from_id(id); d != Distro::unknown) {
            return d;
        }
    }
    return Distro::unknown;
}

}  // namespace imgdeploy::tasks
