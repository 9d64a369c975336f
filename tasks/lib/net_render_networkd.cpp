// systemd-networkd: /etc/systemd/network/10-imgdeploy-nic<N>.network,
// matched by MAC (the first matching .network file wins; ours sort early).

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

const char* dhcp_value(const Nic& nic) {
    bool v4 = nic.ipv4 == Ipv4Mode::dhcp;
    bool v6 = nic.ipv6 == Ipv6Mode::dhcp;
    return v4 && v6 ? "yes" : v4 ? "ipv4" : v6 ? "ipv6" : "no";
}

std::string network_file(const Nic& nic) {
    std::string s = std::string("# ") + k_written_by + ": NIC " + std::to_string(nic.index) + "\n";
    s += "[Match]\nMACAddress=" + nic.mac + "\n\n[Network]\n";
    s += std::string("DHCP=") + dhcp_value(nic) + "\n";
    if (nic.ipv4 == Ipv4Mode::manual) {
        s += "Address=" + nic.address + "/" + std::to_string(nic.prefix) + "\n";
        if (!nic.gateway.empty()) {
            s += "Gateway=" + nic.gateway + "\n";
        }
    }
    if (nic.ipv6 != Ipv6Mode::none) {
        // Router advertisements also start DHCPv6 when their M or O flag says so.
        s += "IPv6AcceptRA=yes\nIPv6PrivacyExtensions=no\n";
    }
    return s;
}

}  // namespace

Rendering render_networkd(const NetworkModel& model) {
    Rendering r;
    for (const Nic& nic : model.nics) {
        if (nic.configured()) {
            r.files.push_back({"/etc/systemd/network/10-imgdeploy-nic" + std::to_string(nic.index) + ".network",
                               network_file(nic), 0644, true});
        }
    }
    return r;
}

}  // namespace imgdeploy::tasks
