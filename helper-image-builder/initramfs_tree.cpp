#include "helper-image-builder/initramfs_tree.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "helper-image-builder/cpio_writer.hpp"

#include <sys/stat.h>
#include <vector>

namespace imgdeploy::builder {

namespace {

using Type = InitramfsTree::Node::Type;

const char* type_name(Type t) {
    switch (t) {
    case Type::directory:
        return "a directory";
    case Type::file:
        return "a file";
    case Type::symlink:
        return "a symlink";
    case Type::char_device:
        return "a device";
    }
    return "?";
}

/// Checks the path is absolute and clean: no empty, "." or ".." parts.
void check_path(const std::string& path) {
    bool ok = path.size() > 1 && path[0] == '/' && path.back() != '/';
    for (const std::string& part : split(std::string_view(path).substr(1), '/')) {
        ok = ok && !part.empty() && part != "." && part != "..";
    }
    if (!ok) {
        throw Error("initramfs: bad path '" + path + "'");
    }
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

bool same(const InitramfsTree::Node& a, const InitramfsTree::Node& b) {
    return a.type == b.type && a.mode == b.mode && a.data == b.data && a.host_path == b.host_path &&
           a.rdev_major == b.rdev_major && a.rdev_minor == b.rdev_minor;
}

uint32_t type_bits(Type t) {
    switch (t) {
    case Type::directory:
        return S_IFDIR;
    case Type::file:
        return S_IFREG;
    case Type::symlink:
        return S_IFLNK;
    case Type::char_device:
        return S_IFCHR;
    }
    return 0;
}

}  // namespace

InitramfsTree::InitramfsTree() { m_nodes["/"] = Node{}; }

void InitramfsTree::add(const std::string& path, Node node) {
    check_path(path);
    std::string parent = parent_of(path);
    if (parent != "/") {
        const Node* p = find(parent);
        if (!p) {
            add_directory(parent);
        } else if (p->type != Type::directory) {
            throw Error("initramfs: cannot add " + path + ": " + parent + " is " + type_name(p->type));
        }
    }
    auto [it, inserted] = m_nodes.emplace(path, node);
    if (!inserted && !same(it->second, node)) {
        throw Error("initramfs: " + path + " is already " + type_name(it->second.type) +
                    (it->second.host_path.empty() ? "" : " (from " + it->second.host_path + ")"));
    }
}

void InitramfsTree::add_directory(const std::string& path, uint32_t mode) {
    Node n;
    n.mode = mode;
    add(path, std::move(n));
}

void InitramfsTree::add_file(const std::string& path, uint32_t mode, std::string data) {
    Node n;
    n.type = Type::file;
    n.mode = mode;
    n.data = std::move(data);
    add(path, std::move(n));
}

void InitramfsTree::add_host_file(const std::string& path, uint32_t mode, const std::string& host_path) {
    Node n;
    n.type = Type::file;
    n.mode = mode;
    n.host_path = host_path;
    add(path, std::move(n));
}

void InitramfsTree::add_symlink(const std::string& path, const std::string& target) {
    Node n;
    n.type = Type::symlink;
    n.mode = 0777;
    n.data = target;
    add(path, std::move(n));
}

void InitramfsTree::add_char_device(const std::string& path, uint32_t mode, uint32_t major, uint32_t minor) {
    Node n;
    n.type = Type::char_device;
    n.mode = mode;
    n.rdev_major = major;
    n.rdev_minor = minor;
    add(path, std::move(n));
}

const InitramfsTree::Node* InitramfsTree::find(const std::string& path) const {
    auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

std::optional<std::string> InitramfsTree::resolve(const std::string& path) const {
    std::vector<std::string> todo = split(path, '/');  // components still to walk
    std::vector<std::string> done;                     // the resolved prefix
    for (int links = 0; !todo.empty();) {
        std::string part = todo.front();
        todo.erase(todo.begin());
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            if (!done.empty()) {
                done.pop_back();
            }
            continue;
        }
        std::string here;
        for (const auto& d : done) {
            here += "/" + d;
        }
        here += "/" + part;
        const Node* n = find(here);
        if (!n) {
            return std::nullopt;
        }
        if (n->type != Type::symlink) {
            done.push_back(part);
            continue;
        }
        if (++links > 40) {
            return std::nullopt;
        }
        std::vector<std::string> target = split(n->data, '/');
        if (!n->data.empty() && n->data[0] == '/') {
            done.clear();
        }
        todo.insert(todo.begin(), target.begin(), target.end());
    }
    std::string out;
    for (const auto& d : done) {
        out += "/" + d;
    }
    return out.empty() ? "/" : out;
}

size_t InitramfsTree::count(Node::Type type) const {
    size_t n = 0;
    for (const auto& [path, node] : m_nodes) {
        n += (node.type == type && path != "/") ? 1 : 0;
    }
    return n;
}

uint64_t InitramfsTree::file_bytes() const {
    uint64_t total = 0;
    for (const auto& [path, node] : m_nodes) {
        if (node.type == Type::file) {
            if (node.host_path.empty()) {
                total += node.data.size();
            } else if (auto st = sys::stat_if_exists(node.host_path)) {
                total += static_cast<uint64_t>(st->st_size);
            }
        }
    }
    return total;
}

InitramfsTree::WriteResult InitramfsTree::write(int fd, const std::string& what, uint32_t mtime) const {
    CpioWriter cpio(fd, what);
    // std::map orders by bytes, so "/usr" comes before "/usr/bin" and
    // "/usr/bin" before "/usr/bin/sh": parents precede their contents.
    for (const auto& [path, node] : m_nodes) {
        if (path == "/") {
            continue;
        }
        CpioEntry e;
        e.name = path.substr(1);
        e.mode = type_bits(node.type) | node.mode;
        e.nlink = node.type == Type::directory ? 2 : 1;
        e.mtime = mtime;
        e.rdev_major = node.rdev_major;
        e.rdev_minor = node.rdev_minor;
        if (node.type == Type::file && !node.host_path.empty()) {
            cpio.add(e, sys::read_file(node.host_path));
        } else {
            cpio.add(e, node.data);
        }
    }
    cpio.finish();
    return {cpio.bytes_written(), cpio.entries(), cpio.sha256()};
}

}  // namespace imgdeploy::builder
