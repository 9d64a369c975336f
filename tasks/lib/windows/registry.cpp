#include "tasks/lib/windows/registry.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <hivex.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/temp_file.hpp"

namespace imgdeploy::tasks::windows {

namespace {

constexpr size_t k_max_hive_bytes = size_t(512) << 20;

std::vector<std::string> key_components(std::string_view key_path) {
    std::vector<std::string> out;
    for (auto& c : split(key_path, '\\')) {
        if (!c.empty()) {
            out.push_back(c);
        }
    }
    return out;
}

/// Reads all of an fd into a string.
std::string read_all(int fd, const std::string& what) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw SystemError(what, "read", errno);
        }
        if (n == 0) {
            return out;
        }
        out.append(buf, size_t(n));
        if (out.size() > k_max_hive_bytes) {
            throw Error(what + ": larger than 512 MiB");
        }
    }
}

} // namespace

Hive::Hive(const RootDir& root, std::string path, bool writable)
    : m_root(root), m_path(std::move(path)), m_writable(writable) {
    m_fd = root.open(m_path, O_RDONLY | O_CLOEXEC);
    std::string via = fd_path(m_fd.get());
    m_hive = hivex_open(via.c_str(), writable ? HIVEX_OPEN_WRITE : 0);
    if (m_hive == nullptr) {
        throw Error("registry hive " + RootDir::image_path(m_path) + ": " + std::strerror(errno) +
                    " (not a valid hive?)");
    }
}

Hive::~Hive() {
    if (m_hive != nullptr) {
        hivex_close(m_hive);
    }
}

std::string Hive::where(std::string_view key_path) const {
    return RootDir::image_path(m_path) + " key '" + std::string(key_path) + "'";
}

std::optional<size_t> Hive::node(std::string_view key_path) const {
    hive_node_h n = hivex_root(m_hive);
    if (n == 0) {
        throw Error(where("") + ": no root key");
    }
    for (const auto& c : key_components(key_path)) {
        errno = 0;
        n = hivex_node_get_child(m_hive, n, c.c_str());
        if (n == 0) {
            if (errno != 0) {
                // hivex compares names through iconv; without the gconv
                // modules (LATIN1, UTF-16LE) every lookup fails this way.
                throw Error(where(key_path) + ": " + std::strerror(errno) +
                            (errno == EBADF ? " (no iconv for LATIN1/UTF-16LE: gconv modules missing?)" : ""));
            }
            return std::nullopt;
        }
    }
    return n;
}

size_t Hive::make_node(std::string_view key_path) {
    if (!m_writable) {
        throw Error(where(key_path) + ": hive opened read-only");
    }
    hive_node_h n = hivex_root(m_hive);
    for (const auto& c : key_components(key_path)) {
        errno = 0;
        hive_node_h child = hivex_node_get_child(m_hive, n, c.c_str());
        if (child == 0) {
            child = hivex_node_add_child(m_hive, n, c.c_str());
            if (child == 0) {
                throw Error(where(key_path) + ": cannot add key '" + c +
                            "': " + std::strerror(errno));
            }
        }
        n = child;
    }
    return n;
}

std::vector<std::string> Hive::children(size_t node) const {
    std::vector<std::string> out;
    hive_node_h* kids = hivex_node_children(m_hive, node);
    if (kids == nullptr) {
        throw Error(where("") + ": cannot list subkeys: " + std::strerror(errno));
    }
    for (size_t i = 0; kids[i] != 0; ++i) {
        char* name = hivex_node_name(m_hive, kids[i]);
        if (name != nullptr) {
            out.emplace_back(name);
            std::free(name);
        }
    }
    std::free(kids);
    return out;
}

std::optional<uint32_t> Hive::get_dword(std::string_view key_path, std::string_view value) const {
    auto n = node(key_path);
    if (!n) {
        return std::nullopt;
    }
    hive_value_h v = hivex_node_get_value(m_hive, *n, std::string(value).c_str());
    if (v == 0) {
        return std::nullopt;
    }
    errno = 0;
    int32_t d = hivex_value_dword(m_hive, v);
    if (d == -1 && errno != 0) {
        throw Error(where(key_path) + " value '" + std::string(value) + "': not a REG_DWORD");
    }
    return static_cast<uint32_t>(d);
}

std::optional<std::string> Hive::get_string(std::string_view key_path,
                                            std::string_view value) const {
    auto n = node(key_path);
    if (!n) {
        return std::nullopt;
    }
    hive_value_h v = hivex_node_get_value(m_hive, *n, std::string(value).c_str());
    if (v == 0) {
        return std::nullopt;
    }
    char* s = hivex_value_string(m_hive, v);
    if (s == nullptr) {
        throw Error(where(key_path) + " value '" + std::string(value) + "': not a string");
    }
    std::string out(s);
    std::free(s);
    return out;
}

void Hive::set_dword(std::string_view key_path, std::string_view value, uint32_t data) {
    size_t n = make_node(key_path);
    char le[4] = {char(data & 0xff),
                  char((data >> 8) & 0xff),
                  char((data >> 16) & 0xff),
                  char((data >> 24) & 0xff)};
    std::string name(value);
    hive_set_value set{};
    set.key = name.data();
    set.t = hive_t_REG_DWORD;
    set.len = 4;
    set.value = le;
    if (hivex_node_set_value(m_hive, n, &set, 0) != 0) {
        throw Error(where(key_path) + ": cannot set value '" + name + "': " + std::strerror(errno));
    }
}

void Hive::commit() {
    if (!m_writable) {
        throw Error(RootDir::image_path(m_path) + ": hive opened read-only");
    }
    TempFile tmp("/tmp", "imgdeploy-hive.");
    if (hivex_commit(m_hive, tmp.path().c_str(), 0) != 0) {
        throw Error("registry hive " + RootDir::image_path(m_path) +
                    ": commit failed: " + std::strerror(errno));
    }
    UniqueFd in(::open(tmp.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) {
        throw SystemError(tmp.path(), "open", errno);
    }
    std::string data = read_all(in.get(), tmp.path());
    m_root.replace_file(m_path, data, m_root.attributes_or(m_path, {0644, 0, 0}));
}

std::string Hive::current_control_set() const {
    auto current = get_dword("Select", "Current");
    if (!current || *current == 0 || *current > 999) {
        throw Error(RootDir::image_path(m_path) +
                    ": no valid Select\\Current value (is this the SYSTEM hive?)");
    }
    char name[32];
    std::snprintf(name, sizeof name, "ControlSet%03u", *current);
    if (!node(name)) {
        throw Error(RootDir::image_path(m_path) + ": Select\\Current names " + name +
                    ", which does not exist");
    }
    return name;
}

} // namespace imgdeploy::tasks::windows
