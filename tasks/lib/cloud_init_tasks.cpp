// The cloud-init-mode bodies of 50AssignHostname, 50ChangePassword and
// 50DeleteSSHKeys (SNF-IMAGE-REFERENCE §5.5): meta-data and drop-ins only;
// /etc/hostname, /etc/shadow, authorized_keys and the host keys are left
// to cloud-init.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/unix_users.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/authorized_keys.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/hostname.hpp"
#include "tasks/lib/password_hash.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

bool given(const std::optional<std::string>& value) { return value && !value->empty(); }

}  // namespace

void assign_hostname_cloud_init(const TaskContext& ctx) {
    const std::string& name = ctx.env.hostname;
    if (auto problem = hostname_problem(name)) {
        throw Error("SNF_IMAGE_HOSTNAME '" + name + "' is not a valid host name: " + *problem);
    }
    RootDir root = open_mounted_target(ctx);
    update_cloud_meta_data(ctx, root, [&](YAML::Node& md) { md["local-hostname"] = name; });
}

void change_password_cloud_init(const TaskContext& ctx) {
    bool password = given(ctx.env.passwd) || given(ctx.env.passwd_hash);
    std::vector<std::string> keys = ctx.env.auth_keys ? key_lines(*ctx.env.auth_keys) : std::vector<std::string>{};
    if (!password && keys.empty()) {
        ctx.report.info("no password, password hash or authorized keys given: nothing to do");
        return;
    }
    if (given(ctx.env.passwd) && given(ctx.env.passwd_hash)) {
        throw Error("both SNF_IMAGE_PASSWD and SNF_IMAGE_PASSWD_HASH are set");
    }
    std::vector<std::string> users = unix_users(ctx);
    RootDir root = open_mounted_target(ctx);
    if (password) {
        // A hash, never the password itself, goes into the image.
        std::string hash = given(ctx.env.passwd)
                               ? hash_password(*ctx.env.passwd, ctx.env.property("PASSWD_HASHING_METHOD").value_or("sha512"))
                               : *ctx.env.passwd_hash;
        if (!is_valid_password_hash(hash)) {
            throw Error("SNF_IMAGE_PASSWD_HASH contains ':' or a line break");
        }
        YAML::Node config;
        config["ssh_pwauth"] = true;
        config["chpasswd"]["expire"] = false;
        for (const auto& u : users) {
            YAML::Node entry;
            entry["name"] = u;
            entry["password"] = hash;
            entry["type"] = "hash";
            config["chpasswd"]["users"].push_back(entry);
            // cloud-init before 22.2 reads only the older "list" form.
            config["chpasswd"]["list"].push_back(u + ":" + hash);
        }
        write_cloud_dropin(ctx, root, config, 0600);
        ctx.report.info("password of " + std::to_string(users.size()) +
                        " user(s) handed to cloud-init (the drop-in is deleted at first boot)");
    }
    if (!keys.empty()) {
        update_cloud_meta_data(ctx, root, [&](YAML::Node& md) {
            for (const auto& k : keys) {
                bool have = false;
                for (const auto& existing : md["public-keys"]) {
                    have = have || existing.as<std::string>() == k;
                }
                if (!have) {
                    md["public-keys"].push_back(k);
                }
            }
        });
    }
}

void delete_ssh_keys_cloud_init(const TaskContext& ctx) {
    RootDir root = open_mounted_target(ctx);
    YAML::Node config;
    config["ssh_deletekeys"] = true;
    write_cloud_dropin(ctx, root, config);
}

}  // namespace imgdeploy::tasks
