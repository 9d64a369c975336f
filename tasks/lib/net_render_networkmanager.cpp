// NetworkManager keyfiles: /etc/NetworkManager/system-connections/
// imgdeploy-nic<N>.nmconnection, bound to the NIC by mac-address.

#include "common/sha256.hpp"
#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

/// A stable connection uuid per MAC (RFC 9562 version 8, from SHA-256), so
/// redeploying an instance gives its connections the same uuids.
std::string connection_uuid(const std::string& mac) {
    Sha256 h;
    std::string seed = "imgdeploy-nm-connection:" + mac;
    h.update(seed.data(), seed.size());
    std::string x = h.hex_digest().substr(0, 32);
    x[12] = '8';
    static const char variant[] = "89ab";
    x[16] = variant[(x[16] >= 'a' ? x[16] - 'a' + 10 : x[16] - '0') & 3];
    return x.substr(0, 8) + "-" + x.substr(8, 4) + "-" + x.substr(12, 4) + "-" + x.substr(16, 4) + "-" +
           x.substr(20, 12);
}

std::string keyfile(const Nic& nic) {
    std::string n = std::to_string(nic.index);
    std::string s = std::string("# ") + k_written_by + ": NIC " + n + "\n";
    s += "[connection]\nid=imgdeploy nic" + n + "\nuuid=" + connection_uuid(nic.mac) +
         "\ntype=ethernet\nautoconnect=true\nautoconnect-priority=100\n\n";
    s += "[ethernet]\nmac-address=" + nic.mac + "\n\n";
    s += "[ipv4]\n";
    switch (nic.ipv4) {
        case Ipv4Mode::dhcp:
            s += "method=auto\n";
            break;
        case Ipv4Mode::manual:
            s += "method=manual\naddress1=" + nic.address + "/" + std::to_string(nic.prefix);
            s += nic.gateway.empty() ? "\n" : "," + nic.gateway + "\n";
            break;
        case Ipv4Mode::none:
            s += "method=disabled\n";
            break;
    }
    s += "\n[ipv6]\n";
    if (nic.ipv6 == Ipv6Mode::none) {
        s += "method=ignore\n";
    } else {
        // "auto" follows the router's M and O flags: SLAAC, stateless or
        // stateful DHCPv6 as the network announces.
        s += "method=auto\naddr-gen-mode=eui64\nip6-privacy=0\n";
    }
    return s;
}

}  // namespace

Rendering render_networkmanager(const NetworkModel& model) {
    Rendering r;
    for (const Nic& nic : model.nics) {
        if (nic.configured()) {
            r.files.push_back({"/etc/NetworkManager/system-connections/imgdeploy-nic" + std::to_string(nic.index) +
                                   ".nmconnection",
                               keyfile(nic), 0600, true});
        }
    }
    return r;
}

}  // namespace imgdeploy::tasks
