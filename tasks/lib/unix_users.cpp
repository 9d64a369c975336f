#include "tasks/lib/unix_users.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/authorized_keys.hpp"
#include "tasks/lib/sshd_config.hpp"

namespace imgdeploy::tasks {

std::vector<std::string> unix_users(const TaskContext& ctx) {
    std::vector<std::string> users = split_words(ctx.env.property("USERS").value_or(""));
    if (users.empty()) {
        users.push_back("root");
    }
    for (const auto& u : users) {
        if (!is_valid_account_name(u)) {
            throw Error("USERS holds an invalid user name");
        }
    }
    return users;
}

void install_keys(const TaskContext& ctx, const RootDir& root, const std::vector<std::string>& users) {
    std::string passwd = root.read_file("/etc/passwd").value_or("");
    SshdConfig config = parse_sshd_config(root.read_file("/etc/ssh/sshd_config").value_or(""));
    std::vector<std::string> keys = key_lines(*ctx.env.auth_keys);
    for (const auto& name : users) {
        auto user = find_user(passwd, name);
        if (!user) {
            throw Error("user '" + name + "' (from USERS) not in /etc/passwd");
        }
        install_authorized_keys(root, *user, keys, config.authorized_keys_file, ctx.report);
    }
    ctx.report.info("authorized keys installed for " + std::to_string(users.size()) + " user(s)");
}

}  // namespace imgdeploy::tasks
