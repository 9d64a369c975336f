#pragma once
// The image's own user and group databases (/etc/passwd, /etc/group): the
// helper's are irrelevant, names must resolve as the image will resolve them.

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace imgdeploy::tasks {

struct UserEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

/// The entry for `name` in passwd(5) text, if present and well formed.
std::optional<UserEntry> find_user(std::string_view passwd_text, std::string_view name);
/// The gid of group `name` in group(5) text.
std::optional<gid_t> find_group(std::string_view group_text, std::string_view name);

/// True for names that can appear in these files (no ':', newline, NUL, not empty).
bool is_valid_account_name(std::string_view name);

}  // namespace imgdeploy::tasks
