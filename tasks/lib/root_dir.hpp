#pragma once
// RootDir: file access confined to a directory tree, the mounted image.
// Every path is resolved by openat2(2) relative to an O_PATH fd of the root,
// so a symlink or ".." in the image (or in a path we were given) can never
// lead outside it: with Resolve::in_root the kernel resolves "/" and ".." to
// the root itself, as the image would see its own files once booted.
// Final components are never followed by the operations that create or
// replace files: a symlink there is replaced, not written through.

#include "common/unique_fd.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace imgdeploy::tasks {

/// How symlinks met while resolving a path are treated.
enum class Resolve {
    /// Followed, but confined to the root (RESOLVE_IN_ROOT): the image's own view.
    in_root,
    /// Never followed, and ".." may not climb above the root (RESOLVE_BENEATH |
    /// RESOLVE_NO_SYMLINKS): for trees an unprivileged image user controls,
    /// such as a home directory, where root must not be tricked into
    /// writing or chowning somewhere else of the image.
    no_symlinks,
};

/// Mode (permission bits only) and ownership of a file we create.
struct FileAttributes {
    unsigned mode = 0644;
    uid_t uid = 0;
    gid_t gid = 0;
};

class RootDir {
  public:
    /// Opens the directory at host path `path` as the root.
    explicit RootDir(const std::string& path);
    /// `display` is the host path for messages, `prefix` the image path of
    /// this directory when it is a subdir() of the image's root.
    RootDir(UniqueFd dir, std::string display, std::string prefix = "");

    /// The root's host path (or a description), for messages.
    const std::string& display() const { return m_display; }
    int fd() const { return m_fd.get(); }

    /// openat2 of `path` (absolute or relative, both taken from the root).
    UniqueFd open(std::string_view path, int flags, unsigned mode = 0,
                  Resolve resolve = Resolve::in_root) const;
    /// Like open(), but returns an invalid fd and sets err instead of throwing.
    UniqueFd try_open(std::string_view path, int flags, int& err, unsigned mode = 0,
                      Resolve resolve = Resolve::in_root) const;
    /// A directory below this root, as a root of its own.
    RootDir subdir(std::string_view path, Resolve resolve = Resolve::in_root) const;

    /// lstat of the final component (which is not followed); nullopt when
    /// it or a parent is missing.
    std::optional<struct stat> lstat(std::string_view path, Resolve resolve = Resolve::in_root) const;
    /// True when the path (followed inside the root) is a directory / a regular file.
    bool is_dir(std::string_view path) const;
    bool is_file(std::string_view path) const;

    /// The whole content of a regular file, nullopt when missing. Throws for
    /// anything else, and for files larger than max_bytes.
    std::optional<std::string> read_file(std::string_view path, size_t max_bytes = 16u << 20,
                                         Resolve resolve = Resolve::in_root) const;
    /// Atomically replaces (or creates) a file: writes a temporary file in
    /// the same directory, sets owner and mode, fsyncs, then renameat(2)s it
    /// over the name.
    void replace_file(std::string_view path, std::string_view contents, const FileAttributes& attributes,
                      Resolve resolve = Resolve::in_root) const;
    /// The mode and owner of an existing regular file, or `fallback`.
    FileAttributes attributes_or(std::string_view path, const FileAttributes& fallback) const;
    /// mkdir -p: creates the missing directories with these attributes
    /// (existing ones are left alone) and returns an O_PATH fd of the last.
    UniqueFd make_dirs(std::string_view path, const FileAttributes& attributes,
                       Resolve resolve = Resolve::in_root) const;
    /// Unlinks a non-directory; a missing one is fine. Returns whether it existed.
    bool remove(std::string_view path) const;
    /// The names in a directory (without "." and ".."); empty when missing.
    std::vector<std::string> list(std::string_view dir) const;

    /// "/" + path, normalised, for messages about paths inside the image.
    static std::string image_path(std::string_view path);

  private:
    std::string describe(std::string_view path) const;

    UniqueFd m_fd;
    std::string m_display;
    std::string m_prefix;
};

/// The components of a path, without empty and "." ones.
std::vector<std::string> path_components(std::string_view path);
/// Splits a path into its parent directory and final component; throws Error
/// when there is no final component or it is "..".
std::pair<std::string, std::string> split_parent(std::string_view path);
/// "/proc/self/fd/<fd>": a path naming exactly the object an fd refers to
/// (for mount(2), whose target is a path).
std::string fd_path(int fd);

}  // namespace imgdeploy::tasks
