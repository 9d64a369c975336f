#include "tasks/lib/network_model.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>

namespace imgdeploy::tasks {

namespace {

constexpr unsigned k_max_nics = 64;

std::string var_name(const std::string& key) { return "SNF_IMAGE_" + key; }

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
    throw Error(var_name(key) + "='" + value + "' " + why);
}

std::optional<uint32_t> parse_ipv4(const std::string& text) {
    in_addr a{};
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1) {
        return std::nullopt;
    }
    return ntohl(a.s_addr);
}

uint32_t mask_of(unsigned prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }

bool valid_mac(const std::string& mac) {
    if (mac.size() != 17) {
        return false;
    }
    for (size_t i = 0; i < mac.size(); ++i) {
        bool colon = i % 3 == 2;
        if (colon ? mac[i] != ':' : !std::isxdigit(static_cast<unsigned char>(mac[i]))) {
            return false;
        }
    }
    return true;
}

struct Subnet4 {
    uint32_t network = 0;
    unsigned prefix = 0;
};

Subnet4 parse_subnet4(const std::string& key, const std::string& text) {
    size_t slash = text.find('/');
    if (slash == std::string::npos) {
        bad(key, text, "is not an IPv4 subnet (address/prefix)");
    }
    auto address = parse_ipv4(text.substr(0, slash));
    if (!address) {
        bad(key, text, "is not an IPv4 subnet (address/prefix)");
    }
    auto prefix = parse_u64(text.substr(slash + 1));
    if (!prefix || *prefix < 1 || *prefix > 32) {
        bad(key, text, "has a bad prefix length (1-32)");
    }
    unsigned p = static_cast<unsigned>(*prefix);
    return {*address & mask_of(p), p};
}

void check_ipv6(const std::string& key, const std::string& text, bool with_prefix) {
    std::string address = text;
    if (with_prefix) {
        size_t slash = text.find('/');
        auto prefix = slash == std::string::npos ? std::nullopt : parse_u64(text.substr(slash + 1));
        if (!prefix || *prefix > 128) {
            bad(key, text, "is not an IPv6 subnet (address/prefix, prefix 0-128)");
        }
        address = text.substr(0, slash);
    }
    in6_addr a{};
    if (::inet_pton(AF_INET6, address.c_str(), &a) != 1) {
        bad(key, text, with_prefix ? "is not an IPv6 subnet (address/prefix)" : "is not an IPv6 address");
    }
}

bool has_tag(const std::vector<std::string>& tags, const std::string& list) {
    auto wanted = split_words(list);
    return std::any_of(tags.begin(), tags.end(), [&](const std::string& t) {
        return std::find(wanted.begin(), wanted.end(), t) != wanted.end();
    });
}

/// The NIC indexes named by NIC_<n>_* variables.
std::set<uint64_t> named_indexes(const std::map<std::string, std::string>& vars, std::string& example) {
    std::set<uint64_t> out;
    for (const auto& [key, value] : vars) {
        if (!key.starts_with("NIC_")) {
            continue;
        }
        size_t end = key.find('_', 4);
        if (end == std::string::npos) {
            continue;  // NIC_COUNT
        }
        auto n = parse_u64(std::string_view(key).substr(4, end - 4));
        if (n) {
            if (out.empty()) {
                example = key;
            }
            out.insert(*n);
        }
    }
    return out;
}

class NicReader {
  public:
    NicReader(const NetworkSettings& s, unsigned index) : m_s(s), m_prefix("NIC_" + std::to_string(index) + "_") {}
    std::string key(const char* field) const { return m_prefix + field; }
    std::string get(const char* field) const {
        auto it = m_s.nic_vars.find(key(field));
        return it == m_s.nic_vars.end() ? "" : std::string(trim(it->second));
    }
    bool has(const char* field) const { return m_s.nic_vars.count(key(field)) != 0; }

  private:
    const NetworkSettings& m_s;
    std::string m_prefix;
};

void read_ipv4(const NicReader& r, const std::vector<std::string>& tags, const NetworkSettings& s, Nic& nic) {
    std::string ip = r.get("IP");
    std::string subnet = r.get("NETWORK_SUBNET");
    std::string gateway = r.get("NETWORK_GATEWAY");
    std::optional<uint32_t> address;
    if (!ip.empty() && !(address = parse_ipv4(ip))) {
        bad(r.key("IP"), ip, "is not an IPv4 address");
    }
    std::optional<Subnet4> net;
    if (!subnet.empty()) {
        net = parse_subnet4(r.key("NETWORK_SUBNET"), subnet);
    }
    std::optional<uint32_t> gw;
    if (!gateway.empty() && !(gw = parse_ipv4(gateway))) {
        bad(r.key("NETWORK_GATEWAY"), gateway, "is not an IPv4 address");
    }
    if (!address) {
        return;
    }
    if (!net || has_tag(tags, s.dhcp_tags)) {
        nic.ipv4 = Ipv4Mode::dhcp;
        return;
    }
    uint32_t mask = mask_of(net->prefix);
    if ((*address & mask) != net->network) {
        bad(r.key("IP"), ip, "is not in " + var_name(r.key("NETWORK_SUBNET")) + "=" + subnet);
    }
    if (gw && (*gw & mask) != net->network) {
        bad(r.key("NETWORK_GATEWAY"), gateway, "is not in " + var_name(r.key("NETWORK_SUBNET")) + "=" + subnet);
    }
    if (gw && *gw == *address) {
        bad(r.key("NETWORK_GATEWAY"), gateway, "is the NIC's own address");
    }
    nic.ipv4 = Ipv4Mode::manual;
    nic.address = ip;
    nic.prefix = net->prefix;
    nic.gateway = gateway;
}

void read_ipv6(const NicReader& r, const std::vector<std::string>& tags, const NetworkSettings& s, Nic& nic) {
    std::string subnet6 = r.get("NETWORK_SUBNET6");
    std::string gateway6 = r.get("NETWORK_GATEWAY6");
    if (!subnet6.empty()) {
        check_ipv6(r.key("NETWORK_SUBNET6"), subnet6, true);
    }
    if (gateway6.empty()) {
        return;
    }
    check_ipv6(r.key("NETWORK_GATEWAY6"), gateway6, false);
    if (has_tag(tags, s.stateful_dhcpv6_tags)) {
        nic.ipv6 = Ipv6Mode::dhcp;
    } else if (has_tag(tags, s.stateless_dhcpv6_tags)) {
        nic.ipv6 = Ipv6Mode::slaac_dhcp;
    } else {
        nic.ipv6 = Ipv6Mode::slaac;
    }
}

/// DEFAULT_NIC_CONFIG: "[dhcp][+]<IPv6 method>", IPv4 first.
void apply_default_nic_config(const std::string& config, Nic& nic) {
    std::string text(trim(config));
    if (text.empty()) {
        return;
    }
    std::string v4 = text;
    std::string v6;
    if (size_t plus = text.find('+'); plus != std::string::npos) {
        v4 = text.substr(0, plus);
        v6 = text.substr(plus + 1);
        if (v4 != "dhcp" || v6.empty()) {
            bad("DEFAULT_NIC_CONFIG", config, "is not dhcp+<dhcpv6|slaac|slaac_dhcp>");
        }
    } else if (v4 != "dhcp") {
        v6 = v4;
        v4.clear();
    }
    Nic out = nic;
    out.ipv4 = v4 == "dhcp" ? Ipv4Mode::dhcp : Ipv4Mode::none;
    if (v6 == "dhcpv6") {
        out.ipv6 = Ipv6Mode::dhcp;
    } else if (v6 == "slaac") {
        out.ipv6 = Ipv6Mode::slaac;
    } else if (v6 == "slaac_dhcp") {
        out.ipv6 = Ipv6Mode::slaac_dhcp;
    } else if (!v6.empty()) {
        bad("DEFAULT_NIC_CONFIG", config,
            "is not one of dhcp, dhcpv6, slaac, slaac_dhcp or dhcp+<one of the IPv6 methods>");
    }
    out.default_nic = true;
    nic = out;
}

}  // namespace

bool NetworkModel::any_configured() const {
    return std::any_of(nics.begin(), nics.end(), [](const Nic& n) { return n.configured(); });
}

NetworkModel build_network_model(const NetworkSettings& s) {
    std::string example;
    std::set<uint64_t> indexes = named_indexes(s.nic_vars, example);
    auto count_it = s.nic_vars.find("NIC_COUNT");
    if (count_it == s.nic_vars.end()) {
        if (!indexes.empty()) {
            throw Error("SNF_IMAGE_NIC_COUNT is not set, but " + var_name(example) + " is");
        }
        return {};
    }
    auto count = parse_u64(trim(count_it->second));
    if (!count || *count > k_max_nics) {
        bad("NIC_COUNT", count_it->second, "is not a NIC count (0-" + std::to_string(k_max_nics) + ")");
    }
    if (!indexes.empty() && *indexes.rbegin() >= *count) {
        throw Error("SNF_IMAGE_NIC_" + std::to_string(*indexes.rbegin()) + "_* is set, but SNF_IMAGE_NIC_COUNT=" +
                    std::to_string(*count));
    }
    NetworkModel model;
    for (unsigned i = 0; i < *count; ++i) {
        NicReader r(s, i);
        Nic nic;
        nic.index = i;
        nic.mac = to_lower(r.get("MAC"));
        if (!r.has("MAC")) {
            throw Error(var_name(r.key("MAC")) + " is not set (SNF_IMAGE_NIC_COUNT=" + std::to_string(*count) + ")");
        }
        if (!valid_mac(nic.mac)) {
            bad(r.key("MAC"), r.get("MAC"), "is not a MAC address (six hex pairs separated by ':')");
        }
        nic.frontend_type = r.get("FRONTEND_TYPE");
        std::vector<std::string> tags = split_words(r.get("NETWORK_TAGS"));
        read_ipv4(r, tags, s, nic);
        read_ipv6(r, tags, s, nic);
        model.nics.push_back(nic);
    }
    const Nic* routed = nullptr;
    for (Nic& nic : model.nics) {
        if (nic.gateway.empty()) {
            continue;
        }
        if (!routed) {
            routed = &nic;
            continue;
        }
        model.warnings.push_back("NIC " + std::to_string(nic.index) + ": gateway " + nic.gateway +
                                 " not used; the default route goes through NIC " +
                                 std::to_string(routed->index) + " (" + routed->gateway + ")");
        nic.gateway.clear();
    }
    // Ganeti's "default NIC": the only NIC, with no address information.
    // (IPv4 needs IP, IPv6 needs NETWORK_GATEWAY6: neither is set.)
    if (model.nics.size() == 1 && !model.nics[0].configured()) {
        apply_default_nic_config(s.default_nic_config, model.nics[0]);
    }
    return model;
}

std::string ipv4_netmask(unsigned prefix) {
    uint32_t m = mask_of(std::min(prefix, 32u));
    return std::to_string(m >> 24) + "." + std::to_string((m >> 16) & 255) + "." + std::to_string((m >> 8) & 255) +
           "." + std::to_string(m & 255);
}

const char* to_string(Ipv4Mode mode) {
    switch (mode) {
        case Ipv4Mode::dhcp:
            return "dhcp";
        case Ipv4Mode::manual:
            return "static";
        case Ipv4Mode::none:
            break;
    }
    return "none";
}

const char* to_string(Ipv6Mode mode) {
    switch (mode) {
        case Ipv6Mode::dhcp:
            return "dhcp";
        case Ipv6Mode::slaac:
            return "slaac";
        case Ipv6Mode::slaac_dhcp:
            return "slaac_dhcp";
        case Ipv6Mode::none:
            break;
    }
    return "none";
}

}  // namespace imgdeploy::tasks
