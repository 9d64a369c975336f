#pragma once
// The accounts a Unix password task works on (Linux, the BSDs, cloud-init
// mode): USERS, and their authorized keys.

#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/task_runner.hpp"

#include <string>
#include <vector>

namespace imgdeploy::tasks {

/// USERS (space-separated), root when unset; throws Error on an invalid name.
std::vector<std::string> unix_users(const TaskContext& ctx);

/// Appends AUTH_KEYS to each user's authorized_keys (AuthorizedKeysFile of
/// the image's sshd_config, homes from its /etc/passwd); throws Error
/// naming a user who is not in /etc/passwd.
void install_keys(const TaskContext& ctx, const RootDir& root, const std::vector<std::string>& users);

}  // namespace imgdeploy::tasks
