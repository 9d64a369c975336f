#include "tasks/lib/authorized_keys.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/mounts.hpp"
#include "tasks/lib/sshd_config.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

std::string read_all(int fd, const std::string& what) {
    std::string text;
    char buf[16384];
    while (size_t n = sys::read_some(fd, buf, sizeof buf, what)) {
        text.append(buf, n);
    }
    return text;
}

void own(int fd, const UserEntry& user, unsigned mode, const std::string& what) {
    if (::fchown(fd, user.uid, user.gid) != 0) {
        throw SystemError(what, "fchown", errno);
    }
    if (::fchmod(fd, mode) != 0) {
        throw SystemError(what, "fchmod", errno);
    }
}

/// Appends to the open file and gives it to the user, mode 0600.
void append_keys(int fd, const UserEntry& user, const std::vector<std::string>& keys, const std::string& what) {
    if (!S_ISREG(sys::fstat(fd, what).st_mode)) {
        throw Error(what + " is not a regular file");
    }
    std::string existing = read_all(fd, what);
    std::string updated = append_missing_keys(existing, keys);
    sys::write_full(fd, updated.data() + existing.size(), updated.size() - existing.size(), what);
    own(fd, user, 0600, what);
    sys::fdatasync(fd, what);
}

std::string relative_to(const std::string& path, const std::string& dir) {
    return dir == "/" ? path.substr(1) : path.substr(dir.size() + 1);
}

}  // namespace

std::vector<std::string> key_lines(std::string_view keys) {
    std::vector<std::string> out;
    for (const auto& line : split(keys, '\n')) {
        std::string_view k = trim(line);
        if (!k.empty()) {
            out.emplace_back(k);
        }
    }
    return out;
}

std::string append_missing_keys(std::string_view existing, const std::vector<std::string>& keys) {
    std::vector<std::string> present = key_lines(existing);
    std::string out(existing);
    for (const auto& key : keys) {
        if (std::find(present.begin(), present.end(), key) != present.end()) {
            continue;
        }
        if (!out.empty() && out.back() != '\n') {
            out += '\n';
        }
        out += key + "\n";
        present.push_back(key);
    }
    return out;
}

namespace {

void install(const RootDir& root, const UserEntry& user, const std::vector<std::string>& keys,
             const std::string& path, const std::string& what) {
    std::string home = RootDir::image_path(user.home.empty() ? "/" : user.home);
    if (home == "/" || !path_is_under(path, home) || path == home) {
        // Outside the home directory (e.g. /etc/ssh/keys/%u): root's tree.
        root.make_dirs(split_parent(path).first, {0755, 0, 0});
        UniqueFd fd = root.open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK, 0600);
        append_keys(fd.get(), user, keys, what);
        return;
    }
    if (!root.is_dir(home)) {
        root.make_dirs(home, {0700, user.uid, user.gid});
    }
    RootDir home_dir = root.subdir(home);
    std::string rel = relative_to(path, home);
    std::string dir = split_parent(rel).first;
    home_dir.make_dirs(dir, {0700, user.uid, user.gid}, Resolve::no_symlinks);
    if (dir != "/") {
        UniqueFd d = home_dir.open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, Resolve::no_symlinks);
        own(d.get(), user, 0700, what);
    }
    UniqueFd fd = home_dir.open(rel, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK, 0600, Resolve::no_symlinks);
    append_keys(fd.get(), user, keys, what);
}

}  // namespace

void install_authorized_keys(const RootDir& root, const UserEntry& user, const std::vector<std::string>& keys,
                             const std::optional<std::string>& keys_file, const Reporter& report) {
    std::string pattern = keys_file.value_or(k_default_authorized_keys);
    if (iequals(pattern, "none")) {
        report.warn("AuthorizedKeysFile is 'none' in sshd_config: no keys installed for " + user.name);
        return;
    }
    std::string path = RootDir::image_path(expand_authorized_keys_path(pattern, user));
    std::string what = "authorized keys of " + user.name + " (" + path + ")";
    try {
        install(root, user, keys, path, what);
    } catch (const SystemError& e) {
        if (e.code() == ELOOP || e.code() == EXDEV) {
            throw Error(what + ": refusing to follow a symlink or '..' below the home directory: " + e.what());
        }
        throw Error(what + ": " + e.what());
    }
}

}  // namespace imgdeploy::tasks
