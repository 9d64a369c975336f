#pragma once
// TaskEnv: the task contract's environment (tasks/README.md), parsed once at
// the start of a task. No other file in tasks/ reads the environment.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

struct TaskEnv {
    /// TASKNAME, e.g. "50ChangePassword" (argv[0]'s base name when unset).
    std::string task_name;
    std::string hostname;                 // SNF_IMAGE_HOSTNAME
    /// IMGDEPLOY_HOST_KEYS_DIR: fresh SSH host keys made on the host
    /// (ssh_host_<type>_key and .pub), when it sent them.
    std::string host_keys_dir;
    std::string disk;                     // SNF_IMAGE_DEV (disk 0)
    std::vector<std::string> devices;     // SNF_IMAGE_DEV_0 ... DEV_<COUNT-1>
    std::string target;                   // SNF_IMAGE_TARGET
    std::optional<unsigned> resize_part;  // SNF_IMAGE_RESIZE_PART
    /// SNF_IMAGE_PROPERTY_<KEY> without the prefix; keys upper case.
    std::map<std::string, std::string> properties;
    /// Optional instance parameters: set (maybe empty) or not set at all.
    std::optional<std::string> passwd;       // SNF_IMAGE_PASSWD
    std::optional<std::string> passwd_hash;  // SNF_IMAGE_PASSWD_HASH
    std::optional<std::string> auth_keys;    // SNF_IMAGE_AUTH_KEYS
    std::optional<std::string> personality;  // SNF_IMAGE_PERSONALITY
    /// Network (SNF-IMAGE-REFERENCE §5.4): SNF_IMAGE_NIC_COUNT and
    /// SNF_IMAGE_NIC_<n>_*, keys without the SNF_IMAGE_ prefix ("NIC_0_MAC").
    std::map<std::string, std::string> nic_vars;
    std::optional<std::string> dhcp_tags;              // SNF_IMAGE_DHCP_TAGS
    std::optional<std::string> stateful_dhcpv6_tags;   // SNF_IMAGE_STATEFUL_DHCPV6_TAGS
    std::optional<std::string> stateless_dhcpv6_tags;  // SNF_IMAGE_STATELESS_DHCPV6_TAGS
    std::optional<std::string> default_nic_config;     // SNF_IMAGE_DEFAULT_NIC_CONFIG
    std::string hypervisor;                            // HYPERVISOR: "kvm", "xen"
    std::optional<std::string> cloud_userdata;    // SNF_IMAGE_CLOUD_USERDATA (base64)
    std::optional<std::string> cloud_init_debug;  // SNF_IMAGE_CLOUD_INIT_DEBUG
    /// Every NAME=value the task was started with (for the scripts it runs:
    /// CUSTOM_TASK, in-image overrides).
    std::vector<std::string> environment;
    std::optional<std::string> os_product_key;  // SNF_IMAGE_OS_PRODUCT_KEY
    /// Windows answer files on the floppy (SNF_IMAGE_UNATTEND, _SYSPREPINF): host paths.
    std::string unattend_file;
    std::string sysprep_inf_file;
    /// IMGDEPLOY_MONITOR_FD, -1 when unset.
    int monitor_fd = -1;

    /// The value of image property KEY (upper case), if set.
    std::optional<std::string> property(std::string_view key) const;
    /// SNF_IMAGE_PROPERTY_OSFAMILY, lower case ("" when unset).
    std::string os_family() const;

    /// These throw Error naming the variable when it is unset or invalid.
    const std::string& require_disk() const;
    const std::string& require_target() const;
    unsigned require_resize_part() const;
    unsigned require_root_partition() const;
};

/// Parses "NAME=value" strings (an envp array's content). Malformed numbers
/// are kept as "unset" here and reported by the require_*() accessors.
TaskEnv parse_task_env(const std::vector<std::string>& environment, std::string_view argv0);

/// The strings of a NULL-terminated envp array.
std::vector<std::string> environment_strings(char** envp);

}  // namespace imgdeploy::tasks
