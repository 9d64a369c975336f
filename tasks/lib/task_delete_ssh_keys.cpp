// 50DeleteSSHKeys: every instance must have its own SSH host keys. Delete
// the image's and generate new ones of the same types with the helper's
// ssh-keygen, writing straight into the image's key directory.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/ssh_host_keys.hpp"
#include "tasks/lib/sshd_config.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/tools.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

struct HostKey {
    std::string path;  // inside the image
    std::string type;
};

void add_key(std::vector<HostKey>& keys, HostKey key) {
    auto same = [&](const HostKey& k) { return k.path == key.path; };
    if (std::find_if(keys.begin(), keys.end(), same) == keys.end()) {
        keys.push_back(std::move(key));
    }
}

/// Deletes /etc/ssh/ssh_host_* and returns the default-named keys found.
std::vector<HostKey> delete_default_keys(const TaskContext& ctx, const RootDir& root) {
    std::vector<HostKey> found;
    for (const auto& name : root.list("/etc/ssh")) {
        if (!name.starts_with("ssh_host_")) {
            continue;
        }
        std::string path = "/etc/ssh/" + name;
        if (auto type = default_host_key_type(name)) {
            add_key(found, {path, *type});
        }
        auto st = root.lstat(path);
        if (st && !S_ISDIR(st->st_mode)) {
            root.remove(path);
            ctx.report.info("deleted " + path);
        }
    }
    return found;
}

/// HostKey files named in sshd_config: their types, then the files deleted.
std::vector<HostKey> delete_configured_keys(const TaskContext& ctx, const RootDir& root, const SshdConfig& config) {
    std::vector<HostKey> found;
    for (const auto& path : config.host_keys) {
        if (path.empty() || path.front() != '/') {
            ctx.report.warn("ignoring HostKey '" + path + "' in sshd_config: not an absolute path");
            continue;
        }
        std::string pub = root.read_file(path + ".pub", 1 << 16).value_or("");
        std::string key = root.is_file(path) ? root.read_file(path, 1 << 20).value_or("") : "";
        auto type = guess_host_key_type(path, pub, key);
        for (const auto& p : {path, path + ".pub", path + "-cert.pub"}) {
            root.remove(p);
        }
        if (!type) {
            ctx.report.warn("HostKey " + path + ": unknown key type, generating an ed25519 key");
        }
        add_key(found, {path, type.value_or("ed25519")});
    }
    return found;
}

/// Installs a key the host generated, when it sent one of this type: RSA
/// key generation takes seconds under TCG and milliseconds on the host.
bool install_host_made_key(const TaskContext& ctx, const RootDir& root, const HostKey& key) {
    if (ctx.env.host_keys_dir.empty()) {
        return false;
    }
    std::string base = ctx.env.host_keys_dir + "/ssh_host_" + key.type + "_key";
    if (!sys::stat_if_exists(base) || !sys::stat_if_exists(base + ".pub")) {
        return false;
    }
    auto [dir, name] = split_parent(key.path);
    root.make_dirs(dir, {0755, 0, 0});
    root.replace_file(key.path, sys::read_file(base), {0600, 0, 0});
    root.replace_file(key.path + ".pub", sys::read_file(base + ".pub"), {0644, 0, 0});
    ctx.report.info("installed a new " + key.type + " host key " + key.path + " (made on the host)");
    return true;
}

void generate_key(const TaskContext& ctx, const RootDir& root, const HostKey& key) {
    if (key.type == "dsa") {
        ctx.report.warn("not generating the obsolete DSA host key " + key.path);
        return;
    }
    if (install_host_made_key(ctx, root, key)) {
        return;
    }
    auto [dir, name] = split_parent(key.path);
    UniqueFd dir_fd = root.make_dirs(dir, {0755, 0, 0});
    for (const auto& n : {name, name + ".pub"}) {
        ::unlinkat(dir_fd.get(), n.c_str(), 0);
    }
    // ssh-keygen writes through our fd of the (already resolved) directory:
    // no path inside the image is looked up again.
    std::string out = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(dir_fd.get()) + "/" + name;
    std::string host = ctx.env.hostname.empty() ? "localhost" : ctx.env.hostname;
    run_tool_checked({"ssh-keygen", "-q", "-t", key.type, "-N", "", "-C", "root@" + host, "-f", out},
                     "generating the " + key.type + " host key " + key.path);
    ctx.report.info("generated " + key.path + " (" + key.type + ")");
}

}  // namespace

void delete_ssh_keys(const TaskContext& ctx) {
    if (cloud_init_mode(ctx)) return delete_ssh_keys_cloud_init(ctx);
    RootDir root = open_mounted_target(ctx);
    auto config_text = root.read_file("/etc/ssh/sshd_config");
    std::vector<HostKey> keys = delete_default_keys(ctx, root);
    if (!config_text) {
        ctx.report.warn("the image has no /etc/ssh/sshd_config: HostKey settings not checked");
    }
    SshdConfig config = parse_sshd_config(config_text.value_or(""));
    for (auto& key : delete_configured_keys(ctx, root, config)) {
        add_key(keys, std::move(key));
    }
    if (keys.empty() && config_text) {
        for (const char* type : {"rsa", "ecdsa", "ed25519"}) {
            keys.push_back({"/etc/ssh/ssh_host_" + std::string(type) + "_key", type});
        }
    }
    for (const auto& key : keys) {
        generate_key(ctx, root, key);
    }
}

}  // namespace imgdeploy::tasks
