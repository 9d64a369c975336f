// 50SELinuxAutorelabel: files the tasks wrote carry no SELinux label, so an
// enforcing RHEL-family system must relabel at first boot: /.autorelabel.
// When: the image's /etc/selinux/config says SELINUX=enforcing or
// permissive (anything but disabled); without that file, only on a
// RHEL-family image (marker files or os-release ID/ID_LIKE rhel, fedora,
// centos), as snf-image did for every redhat-based image.

#include "common/strings.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

/// The value of SELINUX= in selinux/config text, lower case ("" when unset).
std::string selinux_mode(std::string_view config) {
    std::string mode;
    for (const auto& line : split(config, '\n')) {
        std::string_view l = trim(line);
        if (l.starts_with("SELINUX=")) {
            std::string v(trim(l.substr(8)));
            std::erase(v, '"');
            std::erase(v, '\'');
            mode = to_lower(v);
        }
    }
    return mode;
}

}  // namespace

void selinux_autorelabel(const TaskContext& ctx) {
    RootDir root = open_mounted_target(ctx);
    auto config = root.read_file("/etc/selinux/config", 1u << 20);
    if (config) {
        std::string mode = selinux_mode(*config);
        if (mode == "disabled") {
            ctx.report.info("SELinux is disabled in /etc/selinux/config: no relabel needed");
            return;
        }
        ctx.report.info("SELinux mode '" + (mode.empty() ? std::string("unset") : mode) +
                        "' in /etc/selinux/config: relabelling at first boot");
    } else if (detect_distro(root) != Distro::redhat) {
        ctx.report.info("no /etc/selinux/config and not a RHEL-family image: no relabel needed");
        return;
    } else {
        ctx.report.info("RHEL-family image without /etc/selinux/config: relabelling at first boot anyway");
    }
    root.replace_file("/.autorelabel", "", {0644, 0, 0});
    ctx.report.info("created /.autorelabel");
}

}  // namespace imgdeploy::tasks
