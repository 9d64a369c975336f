#pragma once
// The network model of 50ConfigureNetwork: what each NIC of the instance
// should get, decided once from the NIC_* data Ganeti exported and the tag
// lists of the configuration (SNF-IMAGE-REFERENCE §5.8). The renderers
// (net_render.hpp) turn it into the files of one network stack; nothing
// here knows about files.

#include <map>
#include <string>
#include <vector>

namespace imgdeploy::tasks {

enum class Ipv4Mode { none, dhcp, manual };
enum class Ipv6Mode { none, dhcp, slaac, slaac_dhcp };

struct Nic {
    /// Ganeti's NIC index (NIC_<index>_*): the order of the NICs on the bus.
    unsigned index = 0;
    /// NIC_<i>_MAC, lower case "aa:bb:cc:dd:ee:ff".
    std::string mac;
    /// NIC_<i>_FRONTEND_TYPE, e.g. "paravirtual", "e1000" ("" when unset).
    std::string frontend_type;
    Ipv4Mode ipv4 = Ipv4Mode::none;
    /// For Ipv4Mode::manual: the address, the prefix length of
    /// NETWORK_SUBNET and NETWORK_GATEWAY ("" when the network has none).
    /// Only one NIC carries a gateway: the default route goes through the
    /// first static NIC whose network has one.
    std::string address;
    unsigned prefix = 0;
    std::string gateway;
    Ipv6Mode ipv6 = Ipv6Mode::none;
    /// True when DEFAULT_NIC_CONFIG decided this NIC's configuration.
    bool default_nic = false;

    bool configured() const { return ipv4 != Ipv4Mode::none || ipv6 != Ipv6Mode::none; }
};

struct NetworkModel {
    /// Every NIC of the instance, by index (configured or not: the unconfigured
    /// ones still take a place on the bus, which the BSD names count).
    std::vector<Nic> nics;
    /// Things the admin should know about the data (e.g. a second gateway
    /// that was not used).
    std::vector<std::string> warnings;

    bool any_configured() const;
};

/// What the helper exports for the network (the SNF_IMAGE_ prefix removed).
struct NetworkSettings {
    /// "NIC_COUNT", "NIC_0_MAC", "NIC_0_IP", ...
    std::map<std::string, std::string> nic_vars;
    /// Space-separated Ganeti network tags (snf-image's defaults).
    std::string dhcp_tags = "auto dhcp nfdhcpd";
    std::string stateful_dhcpv6_tags = "dhcpv6 stateful_dhcpv6";
    std::string stateless_dhcpv6_tags = "nfdhcpd stateless_dhcpv6";
    /// "", "dhcp", "dhcpv6", "slaac", "slaac_dhcp" or "dhcp+<IPv6 method>".
    std::string default_nic_config = "dhcp";
};

/// Builds the model; throws Error naming the variable and its value for
/// malformed data (bad MAC, address or prefix, address outside its subnet,
/// a missing NIC index, an unknown DEFAULT_NIC_CONFIG). No NIC data at all
/// gives an empty model.
NetworkModel build_network_model(const NetworkSettings& settings);

/// "255.255.255.0" for 24.
std::string ipv4_netmask(unsigned prefix);

/// "dhcp", "static", "none"; "dhcp", "slaac", "slaac_dhcp", "none".
const char* to_string(Ipv4Mode mode);
const char* to_string(Ipv6Mode mode);

}  // namespace imgdeploy::tasks
