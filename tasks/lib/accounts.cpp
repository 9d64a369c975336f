#include "tasks/lib/accounts.hpp"

#include "common/strings.hpp"

#include <limits>

namespace imgdeploy::tasks {

namespace {

std::optional<uint32_t> parse_id(std::string_view text) {
    auto n = parse_u64(text);
    if (!n || *n >= std::numeric_limits<uint32_t>::max()) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(*n);
}

}  // namespace

bool is_valid_account_name(std::string_view name) {
    return !name.empty() && name.find_first_of(std::string_view(":\n\r\0 \t", 6)) == std::string_view::npos;
}

std::optional<UserEntry> find_user(std::string_view passwd_text, std::string_view name) {
    for (const auto& line : split(passwd_text, '\n')) {
        auto f = split(line, ':');
        if (f.size() < 7 || f[0] != name) {
            continue;
        }
        auto uid = parse_id(f[2]);
        auto gid = parse_id(f[3]);
        if (!uid || !gid) {
            continue;
        }
        return UserEntry{f[0], *uid, *gid, f[5]};
    }
    return std::nullopt;
}

std::optional<gid_t> find_group(std::string_view group_text, std::string_view name) {
    for (const auto& line : split(group_text, '\n')) {
        auto f = split(line, ':');
        if (f.size() >= 3 && f[0] == name) {
            if (auto gid = parse_id(f[2])) {
                return *gid;
            }
        }
    }
    return std::nullopt;
}

}  // namespace imgdeploy::tasks
