#pragma once
// Installing SSH public keys for a user of the image, where the image's sshd
// looks for them (AuthorizedKeysFile), owned by the user, dir 0700, file 0600.

#include "tasks/lib/accounts.hpp"
#include "tasks/lib/reporter.hpp"
#include "tasks/lib/root_dir.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

/// The non-empty, trimmed lines of an auth_keys parameter.
std::vector<std::string> key_lines(std::string_view keys);

/// `existing` with the keys it does not hold yet appended, one per line.
std::string append_missing_keys(std::string_view existing, const std::vector<std::string>& keys);

/// Appends the keys to the user's authorized keys file. `keys_file` is the
/// AuthorizedKeysFile setting (nullopt: sshd's default). Below the home
/// directory nothing is followed (no symlink, no ".."): an image user must
/// not be able to point root's write and chown elsewhere.
void install_authorized_keys(const RootDir& root, const UserEntry& user, const std::vector<std::string>& keys,
                             const std::optional<std::string>& keys_file, const Reporter& report);

}  // namespace imgdeploy::tasks
