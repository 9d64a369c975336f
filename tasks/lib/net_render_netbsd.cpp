// NetBSD: /etc/ifconfig.<if> and defaultroute in /etc/rc.conf (backed up).
// DHCP and router advertisements through dhcpcd(8), in base since NetBSD 7
// (rtsol and dhclient are gone).

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

/// The dhcpcd line for a NIC, "" when it needs none.
std::string dhcpcd_line(const Nic& nic) {
    bool v4 = nic.ipv4 == Ipv4Mode::dhcp;
    bool v6 = nic.ipv6 != Ipv6Mode::none;
    if (!v4 && !v6) {
        return "";
    }
    // $int is set by /etc/rc.d/network for "!" lines.
    return std::string("!dhcpcd -q -b") + (v4 && !v6 ? " -4" : !v4 ? " -6" : "") + " $int\n";
}

}  // namespace

Rendering render_netbsd(const NetworkModel& model, const std::vector<std::string>& names,
                        const std::optional<std::string>& old_rc_conf) {
    Rendering r;
    std::string gateway;
    for (size_t i = 0; i < model.nics.size(); ++i) {
        const Nic& nic = model.nics[i];
        if (!nic.configured()) {
            continue;
        }
        std::string s = "up\n";
        if (nic.ipv4 == Ipv4Mode::manual) {
            s += "inet " + nic.address + " netmask " + ipv4_netmask(nic.prefix) + "\n";
            if (!nic.gateway.empty()) {
                gateway = nic.gateway;
            }
        }
        s += dhcpcd_line(nic);
        r.files.push_back({"/etc/ifconfig." + names.at(i), s, 0644, true});
    }
    if (!gateway.empty() && !old_rc_conf) {
        // A new rc.conf without rc_configured=YES would stop the boot in single user mode.
        r.warnings.push_back("no /etc/rc.conf in the image: defaultroute=" + gateway + " not set");
    } else if (!gateway.empty()) {
        std::string text = drop_assignments(*old_rc_conf, {"defaultroute"});
        text += "defaultroute=" + gateway + "  # " + k_written_by + "\n";
        r.files.push_back({"/etc/rc.conf", text, std::nullopt, true});
    }
    return r;
}

}  // namespace imgdeploy::tasks
