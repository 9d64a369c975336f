// OpenBSD: /etc/hostname.<if> (0640, as netstart wants) and /etc/mygate.
// No comments in these files: netstart reads every line as configuration.

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

Rendering render_openbsd(const NetworkModel& model, const std::vector<std::string>& names) {
    Rendering r;
    for (size_t i = 0; i < model.nics.size(); ++i) {
        const Nic& nic = model.nics[i];
        if (!nic.configured()) {
            continue;
        }
        const std::string& ifname = names.at(i);
        std::string s;
        if (nic.ipv4 == Ipv4Mode::dhcp) {
            s += "dhcp\n";  // "inet autoconf" since OpenBSD 6.9; "dhcp" works in every version
        } else if (nic.ipv4 == Ipv4Mode::manual) {
            s += "inet " + nic.address + " " + ipv4_netmask(nic.prefix) + " NONE\n";
            if (!nic.gateway.empty()) {
                r.files.push_back({"/etc/mygate", nic.gateway + "\n", 0644, true});
            }
        }
        if (nic.ipv6 != Ipv6Mode::none) {
            s += "inet6 autoconf -temporary\n";  // SLAAC with the stable EUI-64 address only (OpenBSD 6.9+)
        }
        if (nic.ipv6 == Ipv6Mode::dhcp) {
            r.warnings.push_back(ifname + ": stateful DHCPv6 needs a DHCPv6 client from ports, which OpenBSD's "
                                          "base lacks; only SLAAC (slaacd) is configured");
        }
        s += "up\n";
        r.files.push_back({"/etc/hostname." + ifname, s, 0640, true});
    }
    return r;
}

}  // namespace imgdeploy::tasks
