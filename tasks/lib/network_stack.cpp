#include "tasks/lib/network_stack.hpp"

#include <algorithm>
#include <initializer_list>

namespace imgdeploy::tasks {

namespace {

bool any_file(const RootDir& root, std::initializer_list<const char*> paths) {
    return std::any_of(paths.begin(), paths.end(), [&](const char* p) { return root.is_file(p); });
}

/// True when one of `units` is wanted or required by a target in
/// /etc/systemd/system (what `systemctl enable` leaves), or aliased there.
bool systemd_enabled(const RootDir& root, std::initializer_list<const char*> units,
                     std::initializer_list<const char*> aliases) {
    const std::string dir = "/etc/systemd/system";
    for (const char* alias : aliases) {
        if (root.lstat(dir + "/" + alias)) {
            return true;
        }
    }
    for (const auto& entry : root.list(dir)) {
        if (!entry.ends_with(".wants") && !entry.ends_with(".requires")) {
            continue;
        }
        for (const char* unit : units) {
            if (root.lstat(dir + "/" + entry + "/" + unit)) {
                return true;
            }
        }
    }
    return false;
}

bool openrc_enabled(const RootDir& root, const char* service) {
    for (const auto& level : root.list("/etc/runlevels")) {
        if (root.lstat("/etc/runlevels/" + level + "/" + service)) {
            return true;
        }
    }
    return false;
}

bool has_ifcfg_scripts(const RootDir& root) {
    const std::string dir = "/etc/sysconfig/network-scripts";
    if (!root.is_dir(dir)) {
        return false;
    }
    if (root.is_file(dir + "/ifup-eth")) {
        return true;
    }
    auto names = root.list(dir);
    return std::any_of(names.begin(), names.end(),
                       [](const std::string& n) { return n.starts_with("ifcfg-") && n != "ifcfg-lo"; });
}

bool is_bsd(const std::string& family) { return family == "freebsd" || family == "openbsd" || family == "netbsd"; }

}  // namespace

NetworkProbe probe_network_stack(const RootDir& root, const std::string& os_family, bool nm_networking) {
    NetworkProbe p;
    p.os_family = os_family;
    p.nm_networking = nm_networking;
    if (root.is_file("/etc/cloud/cloud.cfg")) {
        p.cloud_init = true;
        p.cloud_cfg_dir = "/etc/cloud/cloud.cfg.d";
    } else if (root.is_file("/usr/local/etc/cloud/cloud.cfg")) {
        p.cloud_init = true;
        p.cloud_cfg_dir = "/usr/local/etc/cloud/cloud.cfg.d";
    } else {
        p.cloud_cfg_dir = is_bsd(os_family) ? "/usr/local/etc/cloud/cloud.cfg.d" : "/etc/cloud/cloud.cfg.d";
    }
    if (os_family != "linux") {
        return p;
    }
    p.netplan = root.is_dir("/etc/netplan") &&
                any_file(root, {"/usr/sbin/netplan", "/usr/bin/netplan", "/sbin/netplan", "/lib/netplan/generate",
                                "/usr/lib/netplan/generate", "/usr/libexec/netplan/generate"});
    p.nm_installed = any_file(root, {"/usr/sbin/NetworkManager", "/usr/bin/NetworkManager", "/sbin/NetworkManager"});
    p.nm_enabled = systemd_enabled(root, {"NetworkManager.service"}, {"dbus-org.freedesktop.NetworkManager.service"}) ||
                   openrc_enabled(root, "NetworkManager");
    p.networkd_enabled = systemd_enabled(root, {"systemd-networkd.service", "systemd-networkd.socket"},
                                         {"dbus-org.freedesktop.network1.service"});
    p.ifupdown = any_file(root, {"/sbin/ifup", "/usr/sbin/ifup", "/bin/ifup"}) &&
                 root.is_file("/etc/network/interfaces");
    p.ifcfg = has_ifcfg_scripts(root);
    p.systemd = any_file(root, {"/usr/lib/systemd/systemd-udevd", "/lib/systemd/systemd-udevd", "/usr/bin/udevadm",
                                "/bin/udevadm", "/sbin/udevadm", "/usr/sbin/udevadm"}) ||
                root.is_dir("/etc/systemd/system");
    return p;
}

NetChoice choose_renderer(const NetworkProbe& p) {
    if (p.os_family == "freebsd") {
        return {NetRenderer::freebsd, "FreeBSD rc.conf (OSFAMILY)"};
    }
    if (p.os_family == "openbsd") {
        return {NetRenderer::openbsd, "OpenBSD hostname.if (OSFAMILY)"};
    }
    if (p.os_family == "netbsd") {
        return {NetRenderer::netbsd, "NetBSD ifconfig.if (OSFAMILY)"};
    }
    if (p.os_family != "linux") {
        return {NetRenderer::none, "OSFAMILY '" + p.os_family + "'"};
    }
    if (p.nm_networking) {
        return {NetRenderer::network_manager, "NetworkManager keyfiles (image property NM_NETWORKING)"};
    }
    if (p.netplan) {
        return {NetRenderer::netplan, "netplan (/etc/netplan and the netplan program)"};
    }
    if (p.nm_installed && p.nm_enabled) {
        return {NetRenderer::network_manager, "NetworkManager keyfiles (NetworkManager installed and enabled)"};
    }
    if (p.networkd_enabled) {
        return {NetRenderer::networkd, "systemd-networkd (enabled)"};
    }
    if (p.ifupdown) {
        return {NetRenderer::ifupdown, "ifupdown (ifup and /etc/network/interfaces)"};
    }
    if (p.ifcfg) {
        return {NetRenderer::ifcfg, "ifcfg (/etc/sysconfig/network-scripts)"};
    }
    return {NetRenderer::none,
            "no netplan, enabled NetworkManager or systemd-networkd, ifupdown or network-scripts in the image"};
}

const char* to_string(NetRenderer renderer) {
    switch (renderer) {
        case NetRenderer::ifupdown:
            return "ifupdown";
        case NetRenderer::ifcfg:
            return "ifcfg";
        case NetRenderer::network_manager:
            return "networkmanager";
        case NetRenderer::networkd:
            return "networkd";
        case NetRenderer::netplan:
            return "netplan";
        case NetRenderer::freebsd:
            return "freebsd";
        case NetRenderer::openbsd:
            return "openbsd";
        case NetRenderer::netbsd:
            return "netbsd";
        case NetRenderer::none:
            break;
    }
    return "none";
}

}  // namespace imgdeploy::tasks
