#pragma once
// What the tasks need from an image's /etc/ssh/sshd_config: where
// authorized keys live (AuthorizedKeysFile) and which host keys sshd loads
// (HostKey). Keywords are case-insensitive; "Keyword value" and
// "Keyword=value" both work; the first AuthorizedKeysFile outside a Match
// block wins, as in sshd.

#include "tasks/lib/accounts.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

struct SshdConfig {
    /// The first path token of AuthorizedKeysFile, if the keyword is set.
    std::optional<std::string> authorized_keys_file;
    /// HostKey paths, in order.
    std::vector<std::string> host_keys;
};

SshdConfig parse_sshd_config(std::string_view text);

/// sshd's default when AuthorizedKeysFile is not set (the first of its two).
inline constexpr const char* k_default_authorized_keys = ".ssh/authorized_keys";

/// Expands %h (home), %u (user name), %U (uid) and %%; a relative result is
/// taken relative to the home directory. Returns an absolute path inside the
/// image; throws Error for another %-token.
std::string expand_authorized_keys_path(std::string_view pattern, const UserEntry& user);

}  // namespace imgdeploy::tasks
