#include "host/ganeti/environment.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "host/ganeti/quote.hpp"

#include <climits>
#include <cstring>
#include <string_view>

namespace imgdeploy {

namespace {

using Env = std::map<std::string, std::string>;
using Problems = std::vector<std::string>;

/// Ganeti allows 16 disks; anything far above that is a corrupt environment,
/// not a reason to loop a billion times.
constexpr uint64_t k_max_disks = 128;

/// The value of a variable that is set and non-empty.
std::optional<std::string> non_empty(const Env& env, const std::string& name) {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) {
        return std::nullopt;
    }
    return it->second;
}

std::string value_or_empty(const Env& env, const std::string& name) {
    return non_empty(env, name).value_or("");
}

/// A non-negative int; nullopt for anything else (signs, blanks, overflow).
std::optional<int> parse_non_negative_int(const std::string& text) {
    std::optional<uint64_t> v = parse_u64(text);
    if (!v || *v > static_cast<uint64_t>(INT_MAX)) {
        return std::nullopt;
    }
    return static_cast<int>(*v);
}

void parse_api_version(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> text = non_empty(env, "OS_API_VERSION");
    if (!text) {
        problems.emplace_back("OS_API_VERSION is not set (expected 10, 15 or 20)");
        return;
    }
    std::optional<int> version = parse_non_negative_int(*text);
    if (!version || (*version != 10 && *version != 15 && *version != 20)) {
        problems.push_back("OS_API_VERSION is " + quote_value(*text) +
                           ", but imgdeploy supports only 10, 15 and 20");
        return;
    }
    out.api_version = *version;
}

void parse_debug_level(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> text = non_empty(env, "DEBUG_LEVEL");
    if (!text) {
        return;
    }
    std::optional<int> level = parse_non_negative_int(*text);
    if (!level) {
        problems.push_back("DEBUG_LEVEL is " + quote_value(*text) +
                           ", expected a whole number (0 or more)");
        return;
    }
    out.debug_level = *level;
}

/// OSP_IMG_ID=x becomes params["img_id"] = "x"; empty values stay set.
void parse_os_parameters(const Env& env, GanetiEnv& out) {
    constexpr std::string_view prefix = "OSP_";
    for (const auto& [name, value] : env) {
        if (name.size() > prefix.size() && name.starts_with(prefix)) {
            out.params.set(to_lower(std::string_view(name).substr(prefix.size())), value);
        }
    }
}

/// The core environment every script gets (verify gets only this).
void parse_core(const Env& env, GanetiEnv& out, Problems& problems) {
    parse_api_version(env, out, problems);
    out.os_name = value_or_empty(env, "OS_NAME");
    out.variant = non_empty(env, "OS_VARIANT").value_or("default");
    parse_debug_level(env, out, problems);
    parse_os_parameters(env, out);
}

/// Instance variables of create, rename, import and export.
void parse_instance(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> name = non_empty(env, "INSTANCE_NAME");
    if (!name) {
        problems.emplace_back("INSTANCE_NAME is not set");
    }
    out.instance_name = name.value_or("");
    out.hypervisor = value_or_empty(env, "HYPERVISOR");
    out.disk_type = value_or_empty(env, "INSTANCE_HV_disk_type");
    out.reinstall = value_or_empty(env, "INSTANCE_REINSTALL") == "1";
    for (const auto& [var, value] : env) {
        if (var.starts_with("NIC_")) {
            out.nic_vars[var] = value;
        }
    }
}

GanetiDisk parse_disk(const Env& env, uint64_t index, Problems& problems) {
    std::string prefix = "DISK_" + std::to_string(index) + "_";
    GanetiDisk disk;
    disk.uri = non_empty(env, prefix + "URI");
    std::optional<std::string> path = non_empty(env, prefix + "PATH");
    if (path) {
        disk.path = *path;
    } else if (disk.uri) {
        disk.path = *disk.uri;
    } else {
        problems.push_back(prefix + "PATH and " + prefix + "URI are both unset");
    }
    disk.access = value_or_empty(env, prefix + "ACCESS");
    disk.frontend_type = value_or_empty(env, prefix + "FRONTEND_TYPE");
    disk.backend_type = value_or_empty(env, prefix + "BACKEND_TYPE");
    if (std::optional<std::string> size = non_empty(env, prefix + "SIZE")) {
        disk.size_mib = parse_u64(*size);
        if (!disk.size_mib) {
            problems.push_back(prefix + "SIZE is " + quote_value(*size) +
                               ", expected a whole number of MiB");
        }
    }
    return disk;
}

void parse_disks(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> text = non_empty(env, "DISK_COUNT");
    if (!text) {
        problems.emplace_back("DISK_COUNT is not set");
        return;
    }
    std::optional<uint64_t> count = parse_u64(*text);
    if (!count || *count < 1 || *count > k_max_disks) {
        problems.push_back("DISK_COUNT is " + quote_value(*text) +
                           ", expected a whole number from 1 to " + std::to_string(k_max_disks));
        return;
    }
    for (uint64_t i = 0; i < *count; ++i) {
        out.disks.push_back(parse_disk(env, i, problems));
    }
}

void parse_rename(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> old_name = non_empty(env, "OLD_INSTANCE_NAME");
    if (!old_name) {
        problems.emplace_back("OLD_INSTANCE_NAME is not set");
    }
    out.old_instance_name = old_name.value_or("");
}

void parse_import(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> device = non_empty(env, "IMPORT_DISK_PATH");
    if (!device) {
        device = non_empty(env, "IMPORT_DEVICE");
    }
    if (!device) {
        problems.emplace_back("IMPORT_DISK_PATH and IMPORT_DEVICE are both unset");
    }
    out.import_device = device.value_or("");
}

void parse_export(const Env& env, GanetiEnv& out, Problems& problems) {
    std::optional<std::string> device = non_empty(env, "EXPORT_DISK_PATH");
    if (!device) {
        device = non_empty(env, "EXPORT_DEVICE");
    }
    if (!device) {
        problems.emplace_back("EXPORT_DISK_PATH and EXPORT_DEVICE are both unset");
    }
    out.export_device = device.value_or("");
    if (std::optional<std::string> fd = non_empty(env, "EXP_SIZE_FD")) {
        out.export_size_fd = parse_non_negative_int(*fd);
        if (!out.export_size_fd) {
            problems.push_back("EXP_SIZE_FD is " + quote_value(*fd) +
                               ", expected a file descriptor number");
        }
    }
}

std::string join_problems(const Problems& problems) {
    std::string text = "Ganeti environment: ";
    for (size_t i = 0; i < problems.size(); ++i) {
        if (i > 0) {
            text += "; ";
        }
        text += problems[i];
    }
    return text;
}

}  // namespace

std::optional<GanetiScript> parse_ganeti_script(const std::string& name) {
    for (GanetiScript script : {GanetiScript::create,
                                GanetiScript::import,
                                GanetiScript::export_,
                                GanetiScript::rename,
                                GanetiScript::verify}) {
        if (name == to_string(script)) {
            return script;
        }
    }
    return std::nullopt;
}

const char* to_string(GanetiScript script) {
    switch (script) {
    case GanetiScript::create:
        return "create";
    case GanetiScript::import:
        return "import";
    case GanetiScript::export_:
        return "export";
    case GanetiScript::rename:
        return "rename";
    case GanetiScript::verify:
        return "verify";
    }
    return "unknown";
}

GanetiEnv parse_ganeti_env(GanetiScript script, const std::map<std::string, std::string>& env) {
    GanetiEnv out;
    Problems problems;
    parse_core(env, out, problems);
    if (script != GanetiScript::verify) {
        parse_instance(env, out, problems);
    }
    switch (script) {
    case GanetiScript::create:
        parse_disks(env, out, problems);
        break;
    case GanetiScript::rename:
        parse_rename(env, out, problems);
        break;
    case GanetiScript::import:
        parse_import(env, out, problems);
        break;
    case GanetiScript::export_:
        parse_export(env, out, problems);
        break;
    case GanetiScript::verify:
        break;
    }
    if (!problems.empty()) {
        throw Error(join_problems(problems));
    }
    return out;
}

std::map<std::string, std::string> environment_map(char** envp) {
    std::map<std::string, std::string> env;
    for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
        const char* eq = std::strchr(*entry, '=');
        if (eq == nullptr) {
            continue;
        }
        // Like getenv(), the first of duplicate entries wins.
        env.emplace(std::string(*entry, static_cast<size_t>(eq - *entry)), std::string(eq + 1));
    }
    return env;
}

}  // namespace imgdeploy
