#pragma once
// The contract between the host and the helper VM (DESIGN.md "Contracts").
// Bump k_helper_protocol_version whenever anything here changes meaning: the
// host refuses a helper image built for another version.
//
//  Kernel command line   "imgdeploy.activate" (safety latch: without it the
//                        helper powers off at once), "imgdeploy.debug",
//                        "console=ttyS0" and "quiet".
//  Serial ports          ttyS0 console (kernel and helper log -> host log,
//                        prefixed "HELPER: "), ttyS1 result (first line
//                        "SUCCESS" or "ERROR: <message>"), ttyS2 monitor
//                        lines (see monitor_lines.hpp).
//  Parameter floppy      /dev/fd0, FAT, holding params.json (HelperParams)
//                        and optional extra files (unattend.xml, ...).
//  Helper image          /init = imgdeploy-helper; built-in and drop-in
//                        tasks in /usr/lib/imgdeploy/tasks; kernel modules
//                        to load, in order, in /etc/imgdeploy/modules.load
//                        (one path per line, relative to /lib/modules/<v>).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

inline constexpr int k_helper_protocol_version = 1;

inline constexpr const char* k_helper_tasks_dir = "/usr/lib/imgdeploy/tasks";
inline constexpr const char* k_helper_modules_list = "/etc/imgdeploy/modules.load";
inline constexpr const char* k_params_file = "params.json";
inline constexpr const char* k_result_success = "SUCCESS";

/// Everything the helper needs, written to the floppy as params.json.
struct HelperParams {
    int version = k_helper_protocol_version;
    std::string hostname;    // SNF_IMAGE_HOSTNAME (the instance name)
    std::string image_type;  // SNF_IMAGE_TYPE: diskdump, extdump or ntfsdump
    std::string hypervisor;  // HYPERVISOR (kvm)
    /// Guest device names of the instance's disks, disk 0 first
    /// (SNF_IMAGE_DEV_0 ...): /dev/vda, /dev/vdb ... (virtio-blk; the helper
    /// has no root disk of its own) or /dev/sda ... (virtio-scsi).
    std::vector<std::string> devices;
    /// Parameters exported only when defined (even when empty), by their
    /// SNF_IMAGE_ name without the prefix: PASSWD, PASSWD_HASH, AUTH_KEYS,
    /// OS_PRODUCT_KEY, CLOUD_USERDATA, PERSONALITY, PROPERTIES,
    /// INST_PROPERTIES, CLOUD_INIT_DEBUG.
    std::map<std::string, std::string> optional;
    /// img_properties merged with inst_properties (and the image's .meta),
    /// keys upper case, values strings: SNF_IMAGE_PROPERTY_<KEY>.
    std::map<std::string, std::string> properties;
    /// Every NIC_* variable from Ganeti, verbatim (SNF_IMAGE_NIC_*).
    std::map<std::string, std::string> nics;
    std::string dhcp_tags = "auto dhcp nfdhcpd";
    std::string stateful_dhcpv6_tags = "dhcpv6 stateful_dhcpv6";
    std::string stateless_dhcpv6_tags = "nfdhcpd stateless_dhcpv6";
    std::string default_nic_config = "dhcp";
    /// Time limit of one task inside the helper.
    unsigned task_timeout_s = 60;
    /// Extra files on the floppy (names), e.g. unattend.xml.
    std::vector<std::string> files;
};

nlohmann::json to_json(const HelperParams& params);
/// Throws Error naming the field when the document is not a HelperParams of
/// this protocol version.
HelperParams helper_params_from_json(const nlohmann::json& doc);

/// The environment the helper gives every task (SNF-IMAGE-REFERENCE §5.4),
/// except the per-run values the helper adds itself (TARGET, RESIZE_PART,
/// detected OSFAMILY/ROOT_PARTITION, UNATTEND/SYSPREPINF).
std::map<std::string, std::string> task_environment(const HelperParams& params);

}  // namespace imgdeploy
