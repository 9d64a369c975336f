#pragma once
// Which network stack the image actually uses, from what is installed and
// enabled in it (not from one marker file): a probe of the image, then a
// pure choice over the probe.

#include "tasks/lib/root_dir.hpp"

#include <string>

namespace imgdeploy::tasks {

enum class NetRenderer { none, ifupdown, ifcfg, network_manager, networkd, netplan, freebsd, openbsd, netbsd };

/// What the image holds, as far as the choice is concerned.
struct NetworkProbe {
    std::string os_family;        // OSFAMILY, lower case
    bool nm_networking = false;   // image property NM_NETWORKING (forces NetworkManager, as in snf-image)
    bool netplan = false;         // /etc/netplan and the netplan program
    bool nm_installed = false;    // the NetworkManager program
    bool nm_enabled = false;      // NetworkManager.service wanted by a target (or OpenRC runlevel)
    bool networkd_enabled = false;  // systemd-networkd.service/.socket wanted by a target
    bool ifupdown = false;        // ifup and /etc/network/interfaces
    bool ifcfg = false;           // /etc/sysconfig/network-scripts with ifcfg-* files or ifup-eth
    bool systemd = false;         // systemd-udevd, udevadm or systemd unit directories: .link files are read
    bool cloud_init = false;      // cloud-init's /etc/cloud/cloud.cfg (or /usr/local/etc/cloud on BSD)
    std::string cloud_cfg_dir;    // where its drop-ins go: /etc/cloud/cloud.cfg.d or /usr/local/etc/cloud/cloud.cfg.d
};

struct NetChoice {
    NetRenderer renderer = NetRenderer::none;
    /// Why, for the task's output: "ifupdown (ifup and /etc/network/interfaces)".
    std::string why;
};

NetworkProbe probe_network_stack(const RootDir& root, const std::string& os_family, bool nm_networking);

/// Linux, in order: NM_NETWORKING; netplan; NetworkManager installed and
/// enabled; systemd-networkd enabled; ifupdown; ifcfg; else none. BSDs by
/// OSFAMILY.
NetChoice choose_renderer(const NetworkProbe& probe);

const char* to_string(NetRenderer renderer);

}  // namespace imgdeploy::tasks
