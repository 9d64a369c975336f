#pragma once
// The network renderers: pure functions from the network model (and, where
// a renderer edits a file of the image, that file's old content) to the
// files to write. One implementation file each (net_render_<stack>.cpp);
// network_apply.hpp writes the result into the image. Interfaces are
// matched by MAC wherever the stack allows it, so predictable interface
// names work (snf-image #101, #109).

#include "tasks/lib/network_model.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace imgdeploy::tasks {

struct FileWrite {
    /// Absolute path inside the image.
    std::string path;
    std::string content;
    /// Permission bits; nullopt keeps an existing file's mode and owner
    /// (0644 root for a new file). A given mode comes with owner root.
    std::optional<unsigned> mode;
    /// Keep the image's previous file as <path>.imgdeploy-<stamp>.bak.
    bool backup = false;
};

struct Rendering {
    std::vector<FileWrite> files;
    /// Existing files that would conflict with ours: moved aside as
    /// <path>.imgdeploy-<stamp>.bak, where the stack no longer reads them.
    std::vector<std::string> move_aside;
    /// Things the admin should know (e.g. DHCPv6 without a client in base).
    std::vector<std::string> warnings;

    void append(Rendering other);
};

/// The name the Linux renderers that name interfaces give NIC `index`:
/// eth<index> (with a .link file making it so where udev reads them).
std::string linux_interface_name(const Nic& nic);

// --- Linux -------------------------------------------------------------

/// /etc/network/interfaces (backed up), with the lo stanza of the old file
/// (or the default one) and a stanza per configured NIC, named eth<i>.
Rendering render_ifupdown(const NetworkModel& model, const std::optional<std::string>& old_interfaces);

/// RHEL: /etc/sysconfig/network-scripts/ifcfg-eth<i> (HWADDR match; the
/// old file backed up) and NETWORKING/NETWORKING_IPV6 in /etc/sysconfig/network.
Rendering render_ifcfg(const NetworkModel& model, const std::optional<std::string>& old_sysconfig_network);

/// /etc/NetworkManager/system-connections/imgdeploy-nic<i>.nmconnection,
/// 0600, matched by mac-address; the uuid is derived from the MAC.
Rendering render_networkmanager(const NetworkModel& model);

/// /etc/systemd/network/10-imgdeploy-nic<i>.network, [Match] MACAddress=.
Rendering render_networkd(const NetworkModel& model);

/// /etc/netplan/90-imgdeploy.yaml (match: macaddress + set-name eth<i>).
/// Existing netplan files that define ethernets are moved aside; the others
/// (e.g. a renderer: NetworkManager file) are kept.
Rendering render_netplan(const NetworkModel& model,
                         const std::vector<std::pair<std::string, std::string>>& existing_netplan_files);

/// /etc/systemd/network/10-imgdeploy-eth<i>.link: [Match] MACAddress=,
/// [Link] Name=eth<i>, for the renderers that name interfaces.
Rendering render_link_files(const NetworkModel& model);

// --- cloud-init ----------------------------------------------------------

/// Network config version 2 (match: macaddress, set-name eth<i>), each line
/// indented by `indent` spaces, starting with "version: 2".
std::string cloud_init_network_v2(const NetworkModel& model, unsigned indent);

/// With no native renderer: `network:` in the drop-in <cfg_dir>/98_imgdeploy-
/// ConfigureNetwork.cfg and the NoCloud seed network-config.
Rendering render_cloud_init(const NetworkModel& model, const std::string& cfg_dir);

/// With a native renderer: the drop-in with `network: {config: disabled}`.
Rendering render_cloud_init_disabled(const std::string& cfg_dir);

// --- BSD -----------------------------------------------------------------

enum class BsdFamily { freebsd, openbsd, netbsd };

/// The BSD interface name of every NIC of the model (index = position):
/// the driver of its frontend type plus its index among the NICs of that
/// driver. Xen PV NICs (no FRONTEND_TYPE, or paravirtual, under Xen) get
/// the netfront driver. Throws Error naming NIC_<i>_FRONTEND_TYPE when a
/// configured NIC's type is unknown.
std::vector<std::string> bsd_interface_names(const NetworkModel& model, BsdFamily family, bool xen);

/// FreeBSD /etc/rc.conf (backed up): ifconfig_<if>, ifconfig_<if>_ipv6,
/// defaultrouter, rtsold_enable; the old lines for these keys are replaced.
Rendering render_freebsd(const NetworkModel& model, const std::vector<std::string>& names,
                         const std::string& old_rc_conf);

/// OpenBSD /etc/hostname.<if> (0640) and /etc/mygate.
Rendering render_openbsd(const NetworkModel& model, const std::vector<std::string>& names);

/// NetBSD /etc/ifconfig.<if> and defaultroute / ip6mode in /etc/rc.conf
/// (backed up; never created); DHCP and SLAAC through dhcpcd (NetBSD 7
/// and later).
Rendering render_netbsd(const NetworkModel& model, const std::vector<std::string>& names,
                        const std::optional<std::string>& old_rc_conf);

// --- helpers shared by the renderers -----------------------------------

/// The first line of every file we write.
constexpr const char* k_written_by = "Written by imgdeploy (50ConfigureNetwork)";

/// Lines of `text` whose "KEY=" (after leading blanks) is in `keys`
/// removed; `text` ends with a newline afterwards unless empty.
std::string drop_assignments(const std::string& text, const std::vector<std::string>& keys);

}  // namespace imgdeploy::tasks
