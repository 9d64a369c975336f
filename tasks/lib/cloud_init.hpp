#pragma once
// Cloud-init mode (image property CLOUD_INIT, SNF-IMAGE-REFERENCE §5.5 and
// §5.10): instead of editing the image's configuration, the tasks hand
// cloud-init what it needs for the first boot.
//
// * The NoCloud seed /var/lib/cloud/seed/nocloud-net/{meta-data,user-data}
//   (0600), resolved inside the image through its mounts, so it lands on
//   the /var file system when /var is separate;
// * the same data inline in /etc/cloud/cloud.cfg.d/98_imgdeploy-
//   InitializeDatasource.cfg (datasource_list: [ NoCloud, None ] and
//   datasource: NoCloud: meta-data / user-data, block style so ds-identify's
//   line grep finds the keys), which ds-identify reads even when /var is
//   not mounted yet (cloud-init merges it over the seed directory's, so
//   binary user-data goes in as !!binary);
// * one drop-in per task, /etc/cloud/cloud.cfg.d/98_imgdeploy-<Name>.cfg;
// * per-once scripts in /var/lib/cloud/scripts/per-once/: imgdeploy-clear-
//   secrets.sh empties the user-data (seed and inline) and deletes the
//   password drop-in at the end of the first boot; it is left
//   non-executable (so it does not run) with CLOUD_INIT_DEBUG.
//
// YAML is written with yaml-cpp.

#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/task_runner.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <yaml-cpp/yaml.h>

namespace imgdeploy::tasks {

inline constexpr const char* k_cloud_cfg_dir = "/etc/cloud/cloud.cfg.d";
inline constexpr const char* k_nocloud_seed_dir = "/var/lib/cloud/seed/nocloud-net";
inline constexpr const char* k_per_once_dir = "/var/lib/cloud/scripts/per-once";
inline constexpr const char* k_clear_secrets_script = "/var/lib/cloud/scripts/per-once/imgdeploy-clear-secrets.sh";

/// CLOUD_INIT is true (check_yes_no).
bool cloud_init_mode(const TaskContext& ctx);
/// SNF_IMAGE_CLOUD_INIT_DEBUG or the property CLOUD_INIT_DEBUG is true.
bool cloud_init_debug(const TaskContext& ctx);

/// "/etc/cloud/cloud.cfg.d/98_imgdeploy-<task name without digits>.cfg".
std::string cloud_dropin_path(std::string_view task_name);
/// A YAML document (block style, but flow style where a node says so).
std::string emit_yaml(const YAML::Node& node);
/// Writes the task's drop-in atomically (mode 0644, or 0600 for secrets).
void write_cloud_dropin(const TaskContext& ctx, const RootDir& root, const YAML::Node& config, unsigned mode = 0644);

/// The NoCloud seed of this deployment.
struct CloudSeed {
    YAML::Node meta_data;   // a map: instance-id, local-hostname, public-keys
    std::string user_data;  // raw bytes (may be empty)
};

/// "iid-" and 32 random hex digits: a new instance for cloud-init.
std::string random_instance_id();
/// The seed in the image; nullopt when there is no meta-data yet. Throws
/// Error when the meta-data is not a YAML map.
std::optional<CloudSeed> read_cloud_seed(const RootDir& root);
/// Writes the seed files, the inline datasource drop-in and the
/// clear-secrets per-once script (they always agree).
void write_cloud_seed(const TaskContext& ctx, const RootDir& root, const CloudSeed& seed);
/// Reads the seed (made by 35InitializeDatasource; a new one, with a
/// warning, when it is missing), lets `change` edit the meta-data, writes
/// it all back.
void update_cloud_meta_data(const TaskContext& ctx, const RootDir& root,
                            const std::function<void(YAML::Node&)>& change);

/// The inline datasource drop-in's text for a seed (what
/// 35InitializeDatasource writes; the clear-secrets script writes it
/// again with empty user-data).
std::string inline_datasource_config(const CloudSeed& seed, bool debug);
/// The clear-secrets script's text.
std::string clear_secrets_script(const CloudSeed& seed, bool debug);

/// A per-once script (0755; 0644 when `executable` is false).
void write_per_once_script(const RootDir& root, std::string_view name, std::string_view text, bool executable);
/// 'text' quoted for sh.
std::string shell_quote(std::string_view text);

// The cloud-init-mode bodies of the tasks (cloud_init_*.cpp).
void initialize_datasource(const TaskContext& ctx);        // 35InitializeDatasource
void assign_hostname_cloud_init(const TaskContext& ctx);   // 50AssignHostname
void change_password_cloud_init(const TaskContext& ctx);   // 50ChangePassword
void delete_ssh_keys_cloud_init(const TaskContext& ctx);   // 50DeleteSSHKeys
void enforce_personality_cloud_init(const TaskContext& ctx);  // 60EnforcePersonality
/// 50AddSwap, partition form: a swap file made by cloud-init instead.
void add_swap_cloud_init(const TaskContext& ctx, uint64_t mib);

}  // namespace imgdeploy::tasks
