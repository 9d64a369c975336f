// ifcfg (RHEL family network-scripts, also read by NetworkManager's
// ifcfg-rh plugin): /etc/sysconfig/network-scripts/ifcfg-eth<N>.

#include "common/strings.hpp"
#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

std::string ifcfg_file(const Nic& nic) {
    std::string ifname = linux_interface_name(nic);
    std::string s = std::string("# ") + k_written_by + ": NIC " + std::to_string(nic.index) + "\n";
    s += "DEVICE=" + ifname + "\n";
    s += "HWADDR=" + to_upper(nic.mac) + "\n";
    s += "TYPE=Ethernet\nONBOOT=yes\nNM_CONTROLLED=yes\n";
    switch (nic.ipv4) {
        case Ipv4Mode::dhcp:
            s += "BOOTPROTO=dhcp\n";
            break;
        case Ipv4Mode::manual:
            s += "BOOTPROTO=none\n";
            s += "IPADDR=" + nic.address + "\n";
            s += "PREFIX=" + std::to_string(nic.prefix) + "\n";
            s += "NETMASK=" + ipv4_netmask(nic.prefix) + "\n";
            if (!nic.gateway.empty()) {
                s += "GATEWAY=" + nic.gateway + "\nDEFROUTE=yes\n";
            }
            break;
        case Ipv4Mode::none:
            s += "BOOTPROTO=none\nIPV4_FAILURE_FATAL=no\n";
            break;
    }
    switch (nic.ipv6) {
        case Ipv6Mode::dhcp:
            s += "IPV6INIT=yes\nIPV6_AUTOCONF=yes\nDHCPV6C=yes\n";
            break;
        case Ipv6Mode::slaac:
            s += "IPV6INIT=yes\nIPV6_AUTOCONF=yes\n";
            break;
        case Ipv6Mode::slaac_dhcp:
            s += "IPV6INIT=yes\nIPV6_AUTOCONF=yes\nDHCPV6C=yes\nDHCPV6C_OPTIONS=\"-S\"\n";
            break;
        case Ipv6Mode::none:
            s += "IPV6INIT=no\n";
            break;
    }
    if (nic.ipv6 != Ipv6Mode::none) {
        s += "IPV6_FAILURE_FATAL=no\n";
    }
    return s;
}

}  // namespace

Rendering render_ifcfg(const NetworkModel& model, const std::optional<std::string>& old_sysconfig_network) {
    Rendering r;
    bool ipv6 = false;
    for (const Nic& nic : model.nics) {
        if (!nic.configured()) {
            continue;
        }
        ipv6 = ipv6 || nic.ipv6 != Ipv6Mode::none;
        r.files.push_back({"/etc/sysconfig/network-scripts/ifcfg-" + linux_interface_name(nic), ifcfg_file(nic),
                           0644, true});
    }
    // The gateway is per interface now: a global GATEWAY/GATEWAYDEV of the
    // template would override it.
    std::string network = drop_assignments(old_sysconfig_network.value_or(""),
                                           {"NETWORKING", "NETWORKING_IPV6", "GATEWAY", "GATEWAYDEV"});
    network += "NETWORKING=yes\n";
    if (ipv6) {
        network += "NETWORKING_IPV6=yes\n";
    }
    r.files.push_back({"/etc/sysconfig/network", network, std::nullopt, false});
    return r;
}

}  // namespace imgdeploy::tasks
