#include "host/config/config.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "host/ganeti/quote.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>
#include <fcntl.h>

namespace imgdeploy {

namespace {

// --- reading and parsing --------------------------------------------------

/// "FILE:LINE: message", or "FILE: message" when the position is unknown.
[[noreturn]] void
fail(const std::string& file, const YAML::Mark& mark, const std::string& message) {
    if (mark.is_null() || mark.line < 0) {
        throw Error(file + ": " + message);
    }
    throw Error(file + ":" + std::to_string(mark.line + 1) + ": " + message);
}

/// The file's text, or nullopt when it does not exist. Other failures
/// (permissions, a directory) throw "FILE: cannot read config: <reason>".
std::optional<std::string> read_if_exists(const std::string& path) {
    int err = 0;
    UniqueFd fd = sys::try_open(path, O_RDONLY, err);
    if (!fd) {
        if (err == ENOENT) {
            return std::nullopt;
        }
        throw Error(path + ": cannot read config: " + std::strerror(err));
    }
    std::string text;
    char buf[16384];
    try {
        while (size_t n = sys::read_some(fd.get(), buf, sizeof buf, path)) {
            text.append(buf, n);
        }
    } catch (const SystemError& e) {
        throw Error(path + ": cannot read config: " + std::strerror(e.code()));
    }
    return text;
}

YAML::Node parse_yaml(const std::string& path, const std::string& text) {
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        fail(path, e.mark, "YAML syntax error: " + e.msg);
    }
}

/// One "key: value" of a mapping, with the key's position for messages.
struct Entry {
    std::string key;
    YAML::Mark mark;
    YAML::Node value;
};

/// The entries of a mapping (none for a null node). `section` names the
/// mapping in messages; it is empty at the top level.
std::vector<Entry> mapping_entries(const std::string& path,
                                   const YAML::Node& node,
                                   const YAML::Mark& fallback,
                                   const std::string& section) {
    std::vector<Entry> entries;
    if (node.IsNull()) {
        return entries;
    }
    const YAML::Mark& mark = node.Mark().is_null() ? fallback : node.Mark();
    if (!node.IsMap()) {
        fail(path,
             mark,
             section.empty() ? "expected a mapping of settings (key: value) at the top level"
                             : section + ": expected a mapping of settings (key: value)");
    }
    std::string where = section.empty() ? "" : " in section '" + section + "'";
    std::set<std::string> seen;
    for (const auto& pair : node) {
        if (!pair.first.IsScalar()) {
            fail(path, pair.first.Mark(), "expected a key name" + where);
        }
        std::string key = pair.first.Scalar();
        if (!seen.insert(key).second) {
            fail(path, pair.first.Mark(), "duplicate key " + quote_value(key) + where);
        }
        entries.push_back(Entry{key, pair.first.Mark(), pair.second});
    }
    return entries;
}

// --- values -----------------------------------------------------------------

/// How a value looked, for "expected X, got Y".
std::string describe(const YAML::Node& node) {
    if (node.IsNull()) {
        return "nothing";
    }
    if (node.IsSequence()) {
        return "a list";
    }
    if (node.IsMap()) {
        return "a mapping";
    }
    return quote_value(node.Scalar());
}

/// Where a value is in the file: the value itself, else its key. An empty
/// value ("key:") has the position of whatever follows it, so it gets its
/// key's line too.
YAML::Mark value_mark(const Entry& entry) {
    const YAML::Mark& mark = entry.value.Mark();
    return mark.is_null() || entry.value.IsNull() ? entry.mark : mark;
}

[[noreturn]] void bad_value(const std::string& path,
                            const Entry& entry,
                            const std::string& name,
                            const std::string& expected) {
    fail(path,
         value_mark(entry),
         name + ": expected " + expected + ", got " + describe(entry.value));
}

unsigned whole_number(const std::string& path,
                      const Entry& entry,
                      const std::string& name,
                      unsigned low,
                      unsigned high) {
    std::optional<uint64_t> v;
    if (entry.value.IsScalar()) {
        v = parse_u64(entry.value.Scalar());
    }
    if (!v || *v < low || *v > high) {
        bad_value(path,
                  entry,
                  name,
                  "a whole number from " + std::to_string(low) + " to " + std::to_string(high));
    }
    return static_cast<unsigned>(*v);
}

std::string absolute_path(const std::string& path, const Entry& entry, const std::string& name) {
    if (!entry.value.IsScalar() || !entry.value.Scalar().starts_with("/")) {
        bad_value(path, entry, name, "an absolute path");
    }
    return entry.value.Scalar();
}

/// A string; a null value ("key:" or "key: ~") is the empty string.
std::string string_value(const std::string& path, const Entry& entry, const std::string& name) {
    if (entry.value.IsNull()) {
        return "";
    }
    if (!entry.value.IsScalar()) {
        bad_value(path, entry, name, "a string");
    }
    return entry.value.Scalar();
}

// --- sections ------------------------------------------------------------------

void read_http(const std::string& path, const Entry& section, HttpConfig& http) {
    for (const Entry& e : mapping_entries(path, section.value, section.mark, "http")) {
        if (e.key == "connect_timeout_s") {
            http.connect_timeout_s = whole_number(path, e, "http.connect_timeout_s", 1, 3600);
        } else if (e.key == "low_speed_timeout_s") {
            http.low_speed_timeout_s = whole_number(path, e, "http.low_speed_timeout_s", 1, 86400);
        } else if (e.key == "retries") {
            http.retries = whole_number(path, e, "http.retries", 0, 100);
        } else if (e.key == "ca_file") {
            http.ca_file = e.value.IsNull() ? "" : absolute_path(path, e, "http.ca_file");
        } else {
            fail(path, e.mark, "unknown key " + quote_value(e.key) + " in section 'http'");
        }
    }
}

Accel accel_value(const std::string& path, const Entry& entry) {
    std::optional<Accel> accel;
    if (entry.value.IsScalar()) {
        accel = parse_accel(entry.value.Scalar());
    }
    if (!accel) {
        bad_value(path, entry, "helper.accel", "auto, kvm or tcg");
    }
    return *accel;
}

std::string user_value(const std::string& path, const Entry& entry) {
    if (!entry.value.IsScalar() || entry.value.Scalar().empty()) {
        bad_value(path, entry, "helper.user", "a user name");
    }
    return entry.value.Scalar();
}

void read_helper(const std::string& path, const Entry& section, HelperConfig& helper) {
    for (const Entry& e : mapping_entries(path, section.value, section.mark, "helper")) {
        if (e.key == "dir") {
            helper.dir = absolute_path(path, e, "helper.dir");
        } else if (e.key == "accel") {
            helper.accel = accel_value(path, e);
        } else if (e.key == "memory_mib") {
            helper.memory_mib = whole_number(path, e, "helper.memory_mib", 64, 65536);
        } else if (e.key == "soft_timeout_s") {
            helper.soft_timeout_s = whole_number(path, e, "helper.soft_timeout_s", 1, 86400);
        } else if (e.key == "hard_timeout_s") {
            helper.hard_timeout_s = whole_number(path, e, "helper.hard_timeout_s", 1, 3600);
        } else if (e.key == "user") {
            helper.user = user_value(path, e);
        } else {
            fail(path, e.mark, "unknown key " + quote_value(e.key) + " in section 'helper'");
        }
    }
}

void read_top_level(const std::string& path, const YAML::Node& root, Config& config) {
    for (const Entry& e : mapping_entries(path, root, YAML::Mark::null_mark(), "")) {
        if (e.key == "image_dir") {
            config.image_dir = absolute_path(path, e, "image_dir");
        } else if (e.key == "progress_monitor") {
            config.progress_monitor = string_value(path, e, "progress_monitor");
        } else if (e.key == "variants_dir") {
            config.variants_dir = absolute_path(path, e, "variants_dir");
        } else if (e.key == "tmp_dir") {
            config.tmp_dir = absolute_path(path, e, "tmp_dir");
        } else if (e.key == "http") {
            read_http(path, e, config.http);
        } else if (e.key == "helper") {
            read_helper(path, e, config.helper);
        } else {
            fail(path, e.mark, "unknown key " + quote_value(e.key));
        }
    }
}

// --- variants --------------------------------------------------------------------

/// [A-Za-z0-9_.-]+, not starting with '.': a file name inside variants_dir.
bool is_valid_variant_name(const std::string& name) {
    if (name.empty() || name.front() == '.') {
        return false;
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<Accel> parse_accel(const std::string& text) {
    if (text == "auto") {
        return Accel::auto_;
    }
    if (text == "kvm") {
        return Accel::kvm;
    }
    if (text == "tcg") {
        return Accel::tcg;
    }
    return std::nullopt;
}

const char* to_string(Accel accel) {
    switch (accel) {
    case Accel::auto_:
        return "auto";
    case Accel::kvm:
        return "kvm";
    case Accel::tcg:
        return "tcg";
    }
    return "unknown";
}

Config load_config(const std::string& path, bool required) {
    Config config;
    std::optional<std::string> text = read_if_exists(path);
    if (!text) {
        if (required) {
            throw Error(path + ": cannot read config: " + std::strerror(ENOENT));
        }
        return config;
    }
    read_top_level(path, parse_yaml(path, *text), config);
    config.source_path = path;
    return config;
}

OsParameters load_variant_defaults(const Config& config, const std::string& variant) {
    if (!is_valid_variant_name(variant)) {
        throw Error("variant " + quote_value(variant) +
                    ": invalid name (use letters, digits, '_', '.' and '-', and do not start "
                    "with '.')");
    }
    std::string path = config.variants_dir + "/" + variant + ".yaml";
    OsParameters defaults;
    std::optional<std::string> text = read_if_exists(path);
    if (!text) {
        if (variant == "default") {
            return defaults;
        }
        throw Error("variant '" + variant + "' has no file " + path);
    }
    for (const Entry& e :
         mapping_entries(path, parse_yaml(path, *text), YAML::Mark::null_mark(), "")) {
        if (find_os_parameter(e.key) == nullptr) {
            fail(path, e.mark, "unknown OS parameter " + quote_value(e.key));
        }
        if (!e.value.IsScalar()) {
            fail(path,
                 value_mark(e),
                 e.key + ": expected a single value (text or a number), got " +
                     (e.value.IsNull()       ? "nothing"
                      : e.value.IsSequence() ? "a list"
                                             : "a mapping"));
        }
        defaults.set(e.key, e.value.Scalar());
    }
    return defaults;
}

}  // namespace imgdeploy
