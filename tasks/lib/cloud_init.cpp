#include "tasks/lib/cloud_init.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/target.hpp"

#include <cerrno>
#include <sys/random.h>

namespace imgdeploy::tasks {

namespace {

constexpr FileAttributes k_dir{0755, 0, 0};
constexpr FileAttributes k_secret{0600, 0, 0};
constexpr const char* k_inline_task = "InitializeDatasource";
constexpr const char* k_password_task = "ChangePassword";

std::string seed_file(const char* name) { return std::string(k_nocloud_seed_dir) + "/" + name; }

std::string dropin_for(std::string_view name_without_digits) {
    return std::string(k_cloud_cfg_dir) + "/98_imgdeploy-" + std::string(name_without_digits) + ".cfg";
}

std::string without_digits(std::string_view task_name) {
    size_t i = 0;
    while (i < task_name.size() && i < 2 && task_name[i] >= '0' && task_name[i] <= '9') {
        ++i;
    }
    return std::string(task_name.substr(i));
}

/// True when the bytes can stand in a YAML string: UTF-8 without NUL or
/// other C0 controls but tab, CR and LF (cloud-init accepts gzip'd
/// user-data, which cannot).
bool yaml_safe_text(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f) {
                return false;
            }
            ++i;
            continue;
        }
        size_t len = (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
        if (len == 0 || i + len > s.size()) {
            return false;
        }
        for (size_t k = 1; k < len; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

/// Python logging config for cloud-init: everything at DEBUG into one file.
constexpr const char* k_debug_log_cfg = R"([loggers]
keys=root,cloudinit

[handlers]
keys=imgdeploy

[formatters]
keys=arg0

[logger_root]
level=DEBUG
handlers=imgdeploy

[logger_cloudinit]
level=DEBUG
qualname=cloudinit
handlers=
propagate=1

[handler_imgdeploy]
class=FileHandler
level=DEBUG
formatter=arg0
args=('/var/log/imgdeploy-cloud-init-debug.log', 'a', 'UTF-8')

[formatter_arg0]
format=%(asctime)s - %(filename)s[%(levelname)s]: %(message)s
)";

}  // namespace

bool cloud_init_mode(const TaskContext& ctx) { return ctx.property_bool("CLOUD_INIT"); }

bool cloud_init_debug(const TaskContext& ctx) {
    if (ctx.env.cloud_init_debug && parse_yes_no(to_lower(trim(*ctx.env.cloud_init_debug)))) {
        return true;
    }
    return ctx.property_bool("CLOUD_INIT_DEBUG");
}

std::string cloud_dropin_path(std::string_view task_name) { return dropin_for(without_digits(task_name)); }

std::string emit_yaml(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    if (!out.good()) {
        throw Error("cannot write YAML: " + out.GetLastError());
    }
    return std::string(out.c_str()) + "\n";
}

void write_cloud_dropin(const TaskContext& ctx, const RootDir& root, const YAML::Node& config, unsigned mode) {
    std::string path = cloud_dropin_path(ctx.env.task_name);
    root.make_dirs(k_cloud_cfg_dir, k_dir);
    root.replace_file(path, "# Written by imgdeploy " + ctx.env.task_name + " (cloud-init mode).\n" + emit_yaml(config),
                      {mode, 0, 0});
    ctx.report.info("wrote " + path);
}

std::string random_instance_id() {
    unsigned char id[16];
    if (::getrandom(id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
        throw SystemError("instance-id", "getrandom", errno);
    }
    return "iid-" + to_hex(id, sizeof id);
}

std::optional<CloudSeed> read_cloud_seed(const RootDir& root) {
    auto meta = root.read_file(seed_file("meta-data"), 1u << 20);
    if (!meta) {
        return std::nullopt;
    }
    CloudSeed seed;
    try {
        seed.meta_data = YAML::Load(*meta);
    } catch (const YAML::Exception& e) {
        throw Error(seed_file("meta-data") + " is not valid YAML: " + e.what());
    }
    if (!seed.meta_data.IsMap()) {
        throw Error(seed_file("meta-data") + " is not a YAML map");
    }
    seed.user_data = root.read_file(seed_file("user-data"), 64u << 20).value_or("");
    return seed;
}

std::string inline_datasource_config(const CloudSeed& seed, bool debug) {
    YAML::Node doc;
    YAML::Node list;
    list.push_back("NoCloud");
    list.push_back("None");
    list.SetStyle(YAML::EmitterStyle::Flow);  // ds-identify reads the list from one line
    doc["datasource_list"] = list;
    doc["datasource"]["NoCloud"]["meta-data"] = seed.meta_data;
    // cloud-init takes this copy over the seed file's, so binary (gzip'd)
    // user-data goes in as !!binary (bytes to cloud-init's yaml.safe_load).
    if (yaml_safe_text(seed.user_data)) {
        doc["datasource"]["NoCloud"]["user-data"] = seed.user_data;
    } else {
        YAML::Node bin(
            YAML::Binary(reinterpret_cast<const unsigned char*>(seed.user_data.data()), seed.user_data.size()));
        bin.SetTag("tag:yaml.org,2002:binary");
        doc["datasource"]["NoCloud"]["user-data"] = bin;
    }
    if (debug) {
        YAML::Node cfgs;
        cfgs.push_back(k_debug_log_cfg);
        doc["log_cfgs"].push_back(cfgs);
    }
    return "# Written by imgdeploy 35InitializeDatasource (cloud-init mode): the NoCloud data of this\n"
           "# deployment, also in " +
           std::string(k_nocloud_seed_dir) + "/.\n" + emit_yaml(doc);
}

std::string clear_secrets_script(const CloudSeed& seed, bool debug) {
    CloudSeed cleared{seed.meta_data, ""};
    std::string inline_path = dropin_for(k_inline_task);
    std::string text = "#!/bin/sh\n"
                       "# Written by imgdeploy (cloud-init mode): at the end of the first boot, empty the\n"
                       "# user-data and delete the password drop-in, so no secret stays in the image.\n";
    if (debug) {
        text += "# CLOUD_INIT_DEBUG was set: this script is not executable and does not run.\n";
    }
    text += "set -e\n"
            ": > " + shell_quote(seed_file("user-data")) + "\n" +
            "rm -f " + shell_quote(dropin_for(k_password_task)) + "\n" +
            "cat > " + shell_quote(inline_path + ".new") + " <<'IMGDEPLOY_EOF'\n" +
            inline_datasource_config(cleared, debug) + "IMGDEPLOY_EOF\n" +
            "chmod 0600 " + shell_quote(inline_path + ".new") + "\n" +
            "mv -f " + shell_quote(inline_path + ".new") + " " + shell_quote(inline_path) + "\n";
    return text;
}

void write_cloud_seed(const TaskContext& ctx, const RootDir& root, const CloudSeed& seed) {
    bool debug = cloud_init_debug(ctx);
    root.make_dirs(k_nocloud_seed_dir, k_dir);
    root.replace_file(seed_file("meta-data"), emit_yaml(seed.meta_data), k_secret);
    root.replace_file(seed_file("user-data"), seed.user_data, k_secret);
    root.make_dirs(k_cloud_cfg_dir, k_dir);
    root.replace_file(dropin_for(k_inline_task), inline_datasource_config(seed, debug), k_secret);
    write_per_once_script(root, "imgdeploy-clear-secrets.sh", clear_secrets_script(seed, debug), !debug);
}

void update_cloud_meta_data(const TaskContext& ctx, const RootDir& root,
                            const std::function<void(YAML::Node&)>& change) {
    auto seed = read_cloud_seed(root);
    if (!seed) {
        ctx.report.warn("no NoCloud seed in the image (did 35InitializeDatasource run?): making one");
        seed = CloudSeed{};
        seed->meta_data["instance-id"] = random_instance_id();
    }
    change(seed->meta_data);
    write_cloud_seed(ctx, root, *seed);
    ctx.report.info("updated " + seed_file("meta-data"));
}

void write_per_once_script(const RootDir& root, std::string_view name, std::string_view text, bool executable) {
    root.make_dirs(k_per_once_dir, k_dir);
    root.replace_file(std::string(k_per_once_dir) + "/" + std::string(name), text,
                      {executable ? 0755u : 0644u, 0, 0});
}

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

}  // namespace imgdeploy::tasks
