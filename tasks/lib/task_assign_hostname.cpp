// 50AssignHostname: the instance name becomes the image's host name
// (SNF-IMAGE-REFERENCE §5.5): /etc/hostname, the distribution's legacy file
// where it has one, and the 127.0.1.1 line of /etc/hosts.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"
#include "tasks/lib/hostname.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

constexpr FileAttributes k_config_file{0644, 0, 0};

/// Sets KEY=value in a shell-style file (redhat sysconfig/network, gentoo
/// conf.d/hostname), replacing an existing assignment or appending one.
std::string set_assignment(std::string_view text, std::string_view key, const std::string& value) {
    auto lines = split(text, '\n');
    if (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    bool found = false;
    for (auto& line : lines) {
        std::string_view l = trim(line);
        if (l.starts_with(std::string(key) + "=")) {
            line = std::string(key) + "=" + value;
            found = true;
        }
    }
    if (!found) {
        lines.push_back(std::string(key) + "=" + value);
    }
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
    }
    return out;
}

void write_file(const TaskContext& ctx, const RootDir& root, const std::string& path, const std::string& text) {
    root.replace_file(path, text, root.attributes_or(path, k_config_file));
    ctx.report.info("wrote " + path);
}

void update_assignment(const TaskContext& ctx, const RootDir& root, const std::string& path, std::string_view key,
                       const std::string& value) {
    write_file(ctx, root, path, set_assignment(root.read_file(path).value_or(""), key, value));
}

/// Writes the name where this distribution reads it; false when unknown.
bool write_hostname_files(const TaskContext& ctx, const RootDir& root, Distro distro, const std::string& name) {
    bool has_etc_hostname = root.lstat("/etc/hostname").has_value();
    bool systemd_era = root.lstat("/etc/os-release") || root.lstat("/usr/lib/os-release");
    bool wrote = false;
    if (has_etc_hostname || distro == Distro::debian || distro == Distro::arch || distro == Distro::coreos ||
        systemd_era) {
        write_file(ctx, root, "/etc/hostname", name + "\n");
        wrote = true;
    }
    if (distro == Distro::redhat && (root.is_file("/etc/sysconfig/network") || !wrote)) {
        update_assignment(ctx, root, "/etc/sysconfig/network", "HOSTNAME", name);
        wrote = true;
    }
    if ((distro == Distro::suse || distro == Distro::slackware) && (root.is_file("/etc/HOSTNAME") || !wrote)) {
        write_file(ctx, root, "/etc/HOSTNAME", name + "\n");
        wrote = true;
    }
    if (distro == Distro::gentoo && (root.is_file("/etc/conf.d/hostname") || !wrote)) {
        update_assignment(ctx, root, "/etc/conf.d/hostname", "hostname", "\"" + name + "\"");
        wrote = true;
    }
    return wrote;
}

}  // namespace

void assign_hostname(const TaskContext& ctx) {
    if (windows::is_windows(ctx)) return windows::assign_hostname_windows(ctx);
    if (bsd::is_bsd(ctx)) return bsd::assign_hostname_bsd(ctx);
    if (cloud_init_mode(ctx)) return assign_hostname_cloud_init(ctx);
    const std::string& name = ctx.env.hostname;
    if (auto problem = hostname_problem(name)) {
        throw Error("SNF_IMAGE_HOSTNAME '" + name + "' is not a valid host name: " + *problem);
    }
    RootDir root = open_mounted_target(ctx);
    Distro distro = detect_distro(root);
    if (!write_hostname_files(ctx, root, distro, name)) {
        throw Error("cannot tell where this image keeps its host name (no /etc/hostname, no /etc/os-release, "
                    "distribution not recognised)");
    }
    auto hosts = root.read_file("/etc/hosts");
    if (!hosts) {
        ctx.report.warn("the image has no /etc/hosts: no 127.0.1.1 entry for " + name);
        return;
    }
    std::string updated = set_loopback_hosts_entry(*hosts, name, distro == Distro::debian);
    if (updated != *hosts) {
        write_file(ctx, root, "/etc/hosts", updated);
    }
}

}  // namespace imgdeploy::tasks
