#pragma once
// The helper's root file system as a tree in memory, written out as a
// deterministic cpio archive: paths in byte order (every directory before
// what it holds), owner root, one fixed mtime, inode numbers in that order.
// Regular files either carry their bytes or name a host file read while
// writing, so the tree stays small until then.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace imgdeploy::builder {

class InitramfsTree {
  public:
    struct Node {
        enum class Type { directory, file, symlink, char_device } type = Type::directory;
        uint32_t mode = 0755;      // permission bits only
        std::string data;          // file content (when host_path is empty) or symlink target
        std::string host_path;     // file content comes from this host file
        uint32_t rdev_major = 0;
        uint32_t rdev_minor = 0;
    };

    /// Counts and size of what write() produced.
    struct WriteResult {
        uint64_t bytes = 0;
        uint32_t entries = 0;
        std::string sha256;
    };

    InitramfsTree();

    /// Paths are absolute ("/usr/bin/busybox"). Missing parent directories
    /// are created (0755). Adding the same thing twice is harmless; adding a
    /// different thing at a taken path, or below a symlink or a file, throws
    /// Error: the caller must use the real (merged-/usr) path.
    void add_directory(const std::string& path, uint32_t mode = 0755);
    void add_file(const std::string& path, uint32_t mode, std::string data);
    void add_host_file(const std::string& path, uint32_t mode, const std::string& host_path);
    void add_symlink(const std::string& path, const std::string& target);
    void add_char_device(const std::string& path, uint32_t mode, uint32_t major, uint32_t minor);

    const Node* find(const std::string& path) const;
    bool contains(const std::string& path) const { return find(path) != nullptr; }
    /// Follows symlinks inside the tree (absolute and relative, in every
    /// path component) and returns the final path when it exists.
    std::optional<std::string> resolve(const std::string& path) const;

    size_t count(Node::Type type) const;
    /// Total bytes of regular files (host files are stat'ed).
    uint64_t file_bytes() const;

    /// Writes the archive to fd; `mtime` goes on every member.
    WriteResult write(int fd, const std::string& what, uint32_t mtime) const;

  private:
    void add(const std::string& path, Node node);

    std::map<std::string, Node> m_nodes;  // by path, "/" is the root
};

}  // namespace imgdeploy::builder
