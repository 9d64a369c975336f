// netplan (Ubuntu 18.04 and later, snf-image #109): /etc/netplan/
// 90-imgdeploy.yaml, and the network config version 2 that cloud-init
// shares with it.

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

std::string ethernet(const Nic& nic, const std::string& pad) {
    std::string ifname = linux_interface_name(nic);
    std::string s = pad + ifname + ":\n";
    std::string p = pad + "  ";
    s += p + "match:\n" + p + "  macaddress: \"" + nic.mac + "\"\n";
    s += p + "set-name: " + ifname + "\n";
    s += p + "dhcp4: " + (nic.ipv4 == Ipv4Mode::dhcp ? "true" : "false") + "\n";
    if (nic.ipv4 == Ipv4Mode::manual) {
        s += p + "addresses:\n" + p + "  - " + nic.address + "/" + std::to_string(nic.prefix) + "\n";
        if (!nic.gateway.empty()) {
            // "to: default" needs netplan 0.103; 0.0.0.0/0 works everywhere.
            s += p + "routes:\n" + p + "  - to: 0.0.0.0/0\n" + p + "    via: " + nic.gateway + "\n";
        }
    }
    s += p + "dhcp6: " + (nic.ipv6 == Ipv6Mode::dhcp ? "true" : "false") + "\n";
    if (nic.ipv6 != Ipv6Mode::none) {
        // Router advertisements also start DHCPv6 when their M or O flag says so.
        s += p + "accept-ra: true\n" + p + "ipv6-privacy: false\n";
    }
    return s;
}

}  // namespace

std::string cloud_init_network_v2(const NetworkModel& model, unsigned indent) {
    std::string pad(indent, ' ');
    std::string s = pad + "version: 2\n" + pad + "ethernets:\n";
    for (const Nic& nic : model.nics) {
        if (nic.configured()) {
            s += ethernet(nic, pad + "  ");
        }
    }
    return s;
}

Rendering render_netplan(const NetworkModel& model,
                         const std::vector<std::pair<std::string, std::string>>& existing_netplan_files) {
    Rendering r;
    std::string text = std::string("# ") + k_written_by +
                       ". NICs are matched by MAC; netplan files of the\n"
                       "# image that configured ethernets were moved aside (*.imgdeploy-*.bak).\n"
                       "network:\n" +
                       cloud_init_network_v2(model, 2);
    const std::string ours = "/etc/netplan/90-imgdeploy.yaml";
    for (const auto& [path, content] : existing_netplan_files) {
        // Definitions of other IDs matching the same NIC would compete with
        // ours; a file setting only the renderer (e.g. NetworkManager on
        // desktops) is kept.
        if (path != ours && content.find("ethernets") != std::string::npos) {
            r.move_aside.push_back(path);
        }
    }
    // netplan warns about netplan files readable by others (they may hold secrets).
    r.files.push_back({ours, text, 0600, true});
    return r;
}

}  // namespace imgdeploy::tasks
