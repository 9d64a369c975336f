// 50ChangePassword: set the password (PASSWD, hashed here, or PASSWD_HASH)
// of the USERS (default root) in /etc/shadow, and install AUTH_KEYS for them.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/authorized_keys.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"
#include "tasks/lib/password_hash.hpp"
#include "tasks/lib/shadow.hpp"
#include "tasks/lib/sshd_config.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/unix_users.hpp"

namespace imgdeploy::tasks {

namespace {

bool given(const std::optional<std::string>& value) { return value && !value->empty(); }

/// The hash to store; the password and the hash never reach a message.
std::string shadow_hash(const TaskContext& ctx) {
    if (given(ctx.env.passwd)) {
        std::string method = ctx.env.property("PASSWD_HASHING_METHOD").value_or("sha512");
        return hash_password(*ctx.env.passwd, method);
    }
    if (!is_valid_password_hash(*ctx.env.passwd_hash)) {
        throw Error("SNF_IMAGE_PASSWD_HASH contains ':' or a line break");
    }
    return *ctx.env.passwd_hash;
}

void set_passwords(const TaskContext& ctx, const RootDir& root, const std::vector<std::string>& users) {
    std::string hash = shadow_hash(ctx);
    auto shadow = root.read_file("/etc/shadow");
    if (!shadow) {
        throw Error("the image has no /etc/shadow");
    }
    std::string text = *shadow;
    int64_t today = days_since_epoch_now();
    for (const auto& user : users) {
        try {
            text = set_shadow_password(text, user, hash, today);
        } catch (const Error&) {
            throw Error("user '" + user + "' (from USERS) not in /etc/shadow");
        }
    }
    root.replace_file("/etc/shadow", text, root.attributes_or("/etc/shadow", {0640, 0, 0}));
    ctx.report.info("password set for " + std::to_string(users.size()) + " user(s)");
}

}  // namespace

void change_password(const TaskContext& ctx) {
    if (windows::is_windows(ctx)) return windows::change_password_windows(ctx);
    if (bsd::is_bsd(ctx)) return bsd::change_password_bsd(ctx);
    if (cloud_init_mode(ctx)) return change_password_cloud_init(ctx);
    bool password = given(ctx.env.passwd) || given(ctx.env.passwd_hash);
    bool keys = ctx.env.auth_keys && !key_lines(*ctx.env.auth_keys).empty();
    if (!password && !keys) {
        ctx.report.info("no password, password hash or authorized keys given: nothing to do");
        return;
    }
    if (given(ctx.env.passwd) && given(ctx.env.passwd_hash)) {
        throw Error("both SNF_IMAGE_PASSWD and SNF_IMAGE_PASSWD_HASH are set");
    }
    std::vector<std::string> users = unix_users(ctx);
    RootDir root = open_mounted_target(ctx);
    if (password) {
        set_passwords(ctx, root, users);
    }
    if (keys) {
        install_keys(ctx, root, users);
    }
}

}  // namespace imgdeploy::tasks
