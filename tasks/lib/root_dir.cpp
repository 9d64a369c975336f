#include "tasks/lib/root_dir.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

uint64_t resolve_flags(Resolve resolve) {
    // Magic links (/proc/*/fd) could lead anywhere: never through them.
    if (resolve == Resolve::in_root) {
        return RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    }
    return RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
}

std::string relative(std::string_view path) {
    std::string joined;
    for (const auto& c : path_components(path)) {
        joined += joined.empty() ? c : "/" + c;
    }
    return joined.empty() ? "." : joined;
}

int openat2_retry(int dirfd, const std::string& path, int flags, unsigned mode, Resolve resolve) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve_flags(resolve);
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
        if (fd >= 0) {
            return static_cast<int>(fd);
        }
        // EAGAIN: a concurrent rename raced the resolution; try again.
        if (errno != EINTR && !(errno == EAGAIN && attempt < 16)) {
            return -1;
        }
    }
}

std::string random_suffix() {
    unsigned char bytes[6];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
        throw SystemError("temporary file name", "getrandom", errno);
    }
    return to_hex(bytes, sizeof bytes);
}

void apply_attributes(int fd, const FileAttributes& a, const std::string& what) {
    // chown first: it clears set-id bits that the chmod then sets.
    if (::fchown(fd, a.uid, a.gid) != 0) {
        throw SystemError(what, "fchown", errno);
    }
    if (::fchmod(fd, a.mode & 07777) != 0) {
        throw SystemError(what, "fchmod", errno);
    }
}

}  // namespace

std::vector<std::string> path_components(std::string_view path) {
    std::vector<std::string> out;
    for (auto& part : split(path, '/')) {
        if (!part.empty() && part != ".") {
            out.push_back(part);
        }
    }
    return out;
}

std::pair<std::string, std::string> split_parent(std::string_view path) {
    auto parts = path_components(path);
    if (parts.empty() || parts.back() == "..") {
        throw Error("'" + std::string(path) + "' does not name a file");
    }
    std::string name = parts.back();
    parts.pop_back();
    std::string parent;
    for (const auto& p : parts) {
        parent += "/" + p;
    }
    return {parent.empty() ? "/" : parent, name};
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

RootDir::RootDir(const std::string& path)
    : m_fd(sys::open(path, O_PATH | O_DIRECTORY)), m_display(path) {}

RootDir::RootDir(UniqueFd dir, std::string display, std::string prefix)
    : m_fd(std::move(dir)), m_display(std::move(display)), m_prefix(std::move(prefix)) {}

std::string RootDir::image_path(std::string_view path) {
    std::string r = relative(path);
    return r == "." ? "/" : "/" + r;
}

std::string RootDir::describe(std::string_view path) const {
    std::string inside = image_path(path);
    if (!m_prefix.empty()) {
        inside = inside == "/" ? m_prefix : m_prefix + inside;
    }
    return m_display + " (image path " + inside + ")";
}

UniqueFd RootDir::try_open(std::string_view path, int flags, int& err, unsigned mode, Resolve resolve) const {
    int fd = openat2_retry(m_fd.get(), relative(path), flags, mode, resolve);
    err = fd < 0 ? errno : 0;
    return UniqueFd(fd);
}

UniqueFd RootDir::open(std::string_view path, int flags, unsigned mode, Resolve resolve) const {
    int err = 0;
    UniqueFd fd = try_open(path, flags, err, mode, resolve);
    if (!fd) {
        throw SystemError(describe(path), "openat2", err);
    }
    return fd;
}

RootDir RootDir::subdir(std::string_view path, Resolve resolve) const {
    std::string inside = image_path(path);
    std::string prefix = m_prefix.empty() ? inside : (inside == "/" ? m_prefix : m_prefix + inside);
    return RootDir(open(path, O_PATH | O_DIRECTORY, 0, resolve), m_display, prefix);
}

std::optional<struct stat> RootDir::lstat(std::string_view path, Resolve resolve) const {
    if (relative(path) == ".") {
        return sys::fstat(m_fd.get(), m_display);
    }
    auto [parent, name] = split_parent(path);
    int err = 0;
    UniqueFd dir = try_open(parent, O_PATH | O_DIRECTORY, err, 0, resolve);
    if (!dir && (err == ENOENT || err == ENOTDIR)) {
        return std::nullopt;
    }
    if (!dir) {
        throw SystemError(describe(parent), "openat2", err);
    }
    struct stat st {};
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw SystemError(describe(path), "fstatat", errno);
    }
    return st;
}

bool RootDir::is_dir(std::string_view path) const {
    int err = 0;
    return try_open(path, O_PATH | O_DIRECTORY, err).valid();
}

bool RootDir::is_file(std::string_view path) const {
    int err = 0;
    UniqueFd fd = try_open(path, O_PATH, err);
    return fd && S_ISREG(sys::fstat(fd.get(), describe(path)).st_mode);
}

std::optional<std::string> RootDir::read_file(std::string_view path, size_t max_bytes, Resolve resolve) const {
    int err = 0;
    UniqueFd fd = try_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK, err, 0, resolve);
    if (!fd && err == ENOENT) {
        return std::nullopt;
    }
    if (!fd) {
        throw SystemError(describe(path), "openat2", err);
    }
    struct stat st = sys::fstat(fd.get(), describe(path));
    if (!S_ISREG(st.st_mode)) {
        throw Error(describe(path) + " is not a regular file");
    }
    std::string text;
    char buf[65536];
    while (size_t n = sys::read_some(fd.get(), buf, sizeof buf, describe(path))) {
        if (text.size() + n > max_bytes) {
            throw Error(describe(path) + " is larger than " + human_bytes(max_bytes));
        }
        text.append(buf, n);
    }
    return text;
}

FileAttributes RootDir::attributes_or(std::string_view path, const FileAttributes& fallback) const {
    auto st = lstat(path);
    if (!st || !S_ISREG(st->st_mode)) {
        return fallback;
    }
    return {static_cast<unsigned>(st->st_mode & 07777), st->st_uid, st->st_gid};
}

void RootDir::replace_file(std::string_view path, std::string_view contents, const FileAttributes& attributes,
                           Resolve resolve) const {
    auto [parent, name] = split_parent(path);
    UniqueFd dir = open(parent, O_PATH | O_DIRECTORY, 0, resolve);
    auto st = lstat(path, resolve);
    if (st && S_ISDIR(st->st_mode)) {
        throw Error(describe(path) + " is a directory");
    }
    std::string temp = "." + name + ".imgdeploy-" + random_suffix();
    int fd = ::openat(dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw SystemError(describe(parent + "/" + temp), "openat", errno);
    }
    UniqueFd file(fd);
    try {
        std::string what = describe(path);
        sys::write_full(file.get(), contents.data(), contents.size(), what);
        apply_attributes(file.get(), attributes, what);
        // No fsync per file: the helper syncs and unmounts at the end, and a
        // helper that dies midway fails the whole deployment anyway.
        if (::renameat(dir.get(), temp.c_str(), dir.get(), name.c_str()) != 0) {
            throw SystemError(what, "renameat", errno);
        }
    } catch (...) {
        ::unlinkat(dir.get(), temp.c_str(), 0);
        throw;
    }
}

UniqueFd RootDir::make_dirs(std::string_view path, const FileAttributes& attributes, Resolve resolve) const {
    std::string prefix;
    UniqueFd current = open(".", O_PATH | O_DIRECTORY, 0, resolve);
    for (const auto& part : path_components(path)) {
        if (part == "..") {
            throw Error(describe(path) + ": '..' is not allowed here");
        }
        std::string next = prefix + "/" + part;
        int err = 0;
        UniqueFd fd = try_open(next, O_PATH | O_DIRECTORY, err, 0, resolve);
        if (!fd && err == ENOENT) {
            if (::mkdirat(current.get(), part.c_str(), 0700) != 0) {
                auto st = lstat(next, resolve);
                if (errno == EEXIST && st && S_ISLNK(st->st_mode)) {
                    throw Error(describe(next) + " is a symlink to a missing directory");
                }
                throw SystemError(describe(next), "mkdirat", errno);
            }
            UniqueFd made = open(next, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, resolve);
            apply_attributes(made.get(), attributes, describe(next));
            fd = open(next, O_PATH | O_DIRECTORY, 0, resolve);
        }
        if (!fd) {
            throw SystemError(describe(next), "openat2", err);
        }
        current = std::move(fd);
        prefix = next;
    }
    return current;
}

bool RootDir::remove(std::string_view path) const {
    auto [parent, name] = split_parent(path);
    int err = 0;
    UniqueFd dir = try_open(parent, O_PATH | O_DIRECTORY, err);
    if (!dir && err == ENOENT) {
        return false;
    }
    if (!dir) {
        throw SystemError(describe(parent), "openat2", err);
    }
    if (::unlinkat(dir.get(), name.c_str(), 0) != 0) {
        if (errno == ENOENT) {
            return false;
        }
        throw SystemError(describe(path), "unlinkat", errno);
    }
    return true;
}

std::vector<std::string> RootDir::list(std::string_view dir) const {
    int err = 0;
    UniqueFd fd = try_open(dir, O_RDONLY | O_DIRECTORY, err);
    if (!fd && err == ENOENT) {
        return {};
    }
    if (!fd) {
        throw SystemError(describe(dir), "openat2", err);
    }
    DIR* d = ::fdopendir(fd.get());
    if (d == nullptr) {
        throw SystemError(describe(dir), "fdopendir", errno);
    }
    fd.release();
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") {
            names.push_back(name);
        }
    }
    ::closedir(d);
    return names;
}

}  // namespace imgdeploy::tasks
