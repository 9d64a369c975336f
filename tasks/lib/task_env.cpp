#include "tasks/lib/task_env.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

namespace imgdeploy::tasks {

namespace {

constexpr std::string_view k_property_prefix = "SNF_IMAGE_PROPERTY_";

std::optional<unsigned> parse_partition_number(const std::string& text) {
    auto n = parse_u64(text);
    if (!n || *n == 0 || *n > 4096) {
        return std::nullopt;
    }
    return static_cast<unsigned>(*n);
}

std::string base_name(std::string_view path) {
    size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

std::vector<std::string> environment_strings(char** envp) {
    std::vector<std::string> out;
    for (char** p = envp; p && *p; ++p) {
        out.emplace_back(*p);
    }
    return out;
}

TaskEnv parse_task_env(const std::vector<std::string>& environment, std::string_view argv0) {
    std::map<std::string, std::string> vars;
    for (const auto& entry : environment) {
        size_t eq = entry.find('=');
        if (eq != std::string::npos) {
            vars.emplace(entry.substr(0, eq), entry.substr(eq + 1));
        }
    }
    auto get = [&](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    TaskEnv env;
    env.task_name = get("TASKNAME").value_or(base_name(argv0));
    env.hostname = get("SNF_IMAGE_HOSTNAME").value_or("");
    env.host_keys_dir = get("IMGDEPLOY_HOST_KEYS_DIR").value_or("");
    env.disk = get("SNF_IMAGE_DEV").value_or("");
    auto count = parse_u64(get("SNF_IMAGE_DEV_COUNT").value_or(""));
    for (uint64_t i = 0; count && i < *count && i < 64; ++i) {
        env.devices.push_back(get("SNF_IMAGE_DEV_" + std::to_string(i)).value_or(""));
    }
    env.target = get("SNF_IMAGE_TARGET").value_or("");
    env.resize_part = parse_partition_number(get("SNF_IMAGE_RESIZE_PART").value_or(""));
    for (const auto& [name, value] : vars) {
        if (name.starts_with(k_property_prefix)) {
            env.properties[to_upper(name.substr(k_property_prefix.size()))] = value;
        }
    }
    env.passwd = get("SNF_IMAGE_PASSWD");
    env.passwd_hash = get("SNF_IMAGE_PASSWD_HASH");
    env.auth_keys = get("SNF_IMAGE_AUTH_KEYS");
    env.personality = get("SNF_IMAGE_PERSONALITY");
    for (const auto& [name, value] : vars) {
        if (name.starts_with("SNF_IMAGE_NIC_")) {
            env.nic_vars[name.substr(10)] = value;
        }
    }
    env.dhcp_tags = get("SNF_IMAGE_DHCP_TAGS");
    env.stateful_dhcpv6_tags = get("SNF_IMAGE_STATEFUL_DHCPV6_TAGS");
    env.stateless_dhcpv6_tags = get("SNF_IMAGE_STATELESS_DHCPV6_TAGS");
    env.default_nic_config = get("SNF_IMAGE_DEFAULT_NIC_CONFIG");
    env.hypervisor = get("HYPERVISOR").value_or("");
    env.cloud_userdata = get("SNF_IMAGE_CLOUD_USERDATA");
    env.cloud_init_debug = get("SNF_IMAGE_CLOUD_INIT_DEBUG");
    env.environment = environment;
    env.os_product_key = get("SNF_IMAGE_OS_PRODUCT_KEY");
    env.unattend_file = get("SNF_IMAGE_UNATTEND").value_or("");
    env.sysprep_inf_file = get("SNF_IMAGE_SYSPREPINF").value_or("");
    auto fd = parse_u64(get("IMGDEPLOY_MONITOR_FD").value_or(""));
    env.monitor_fd = fd && *fd < 65536 ? static_cast<int>(*fd) : -1;
    return env;
}

std::optional<std::string> TaskEnv::property(std::string_view key) const {
    auto it = properties.find(std::string(key));
    return it == properties.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::string TaskEnv::os_family() const { return to_lower(property("OSFAMILY").value_or("")); }

const std::string& TaskEnv::require_disk() const {
    if (disk.empty()) {
        throw Error("SNF_IMAGE_DEV is not set");
    }
    return disk;
}

const std::string& TaskEnv::require_target() const {
    if (target.empty() || target[0] != '/') {
        throw Error("SNF_IMAGE_TARGET is not set to an absolute path");
    }
    return target;
}

unsigned TaskEnv::require_resize_part() const {
    if (!resize_part) {
        throw Error("SNF_IMAGE_RESIZE_PART is not set to a partition number");
    }
    return *resize_part;
}

unsigned TaskEnv::require_root_partition() const {
    auto n = parse_partition_number(property("ROOT_PARTITION").value_or(""));
    if (!n) {
        throw Error("SNF_IMAGE_PROPERTY_ROOT_PARTITION is not set to a partition number");
    }
    return *n;
}

}  // namespace imgdeploy::tasks
