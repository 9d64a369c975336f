// ifupdown (Debian, Ubuntu before netplan): /etc/network/interfaces.

#include "common/strings.hpp"
#include "tasks/lib/net_render.hpp"

#include <algorithm>

namespace imgdeploy::tasks {

namespace {

bool is_stanza_keyword(const std::string& word) {
    static const char* const keywords[] = {"iface",  "mapping",  "auto", "source", "source-directory",
                                           "rename", "no-auto-down", "no-scripts"};
    return word.starts_with("allow-") ||
           std::any_of(std::begin(keywords), std::end(keywords), [&](const char* k) { return word == k; });
}

/// The old file's loopback configuration: its "auto lo" and "iface lo ..."
/// stanzas with their option lines, or the default one.
std::string loopback_stanzas(const std::optional<std::string>& old) {
    std::string out;
    bool in_lo = false;
    for (const auto& line : split(old.value_or(""), '\n')) {
        auto words = split_words(line);
        if (words.empty() || words[0].starts_with("#")) {
            continue;
        }
        if (!is_stanza_keyword(words[0])) {
            if (in_lo) {
                out += "    " + std::string(trim(line)) + "\n";
            }
            continue;
        }
        in_lo = words[0] == "iface" && words.size() >= 2 && words[1] == "lo";
        if (in_lo) {
            out += std::string(trim(line)) + "\n";
        } else if ((words[0] == "auto" || words[0] == "allow-auto") &&
                   std::find(words.begin() + 1, words.end(), "lo") != words.end()) {
            out += words[0] + " lo\n";
        }
    }
    if (out.find("iface lo") == std::string::npos) {
        return "auto lo\niface lo inet loopback\n";
    }
    return out;
}

std::string nic_stanzas(const Nic& nic) {
    std::string ifname = linux_interface_name(nic);
    std::string s = "# NIC " + std::to_string(nic.index) + ", " + nic.mac + "\n";
    s += "auto " + ifname + "\nallow-hotplug " + ifname + "\n";
    if (nic.ipv4 == Ipv4Mode::dhcp) {
        s += "iface " + ifname + " inet dhcp\n";
    } else if (nic.ipv4 == Ipv4Mode::manual) {
        s += "iface " + ifname + " inet static\n";
        s += "    address " + nic.address + "\n";
        s += "    netmask " + ipv4_netmask(nic.prefix) + "\n";
        if (!nic.gateway.empty()) {
            s += "    gateway " + nic.gateway + "\n";
        }
    }
    switch (nic.ipv6) {
        case Ipv6Mode::dhcp:
            s += "iface " + ifname + " inet6 dhcp\n";
            break;
        case Ipv6Mode::slaac:
        case Ipv6Mode::slaac_dhcp:
            s += "iface " + ifname + " inet6 auto\n    privext 0\n";
            if (nic.ipv6 == Ipv6Mode::slaac_dhcp) {
                s += "    dhcp 1\n";
            }
            break;
        case Ipv6Mode::none:
            break;
    }
    return s;
}

}  // namespace

Rendering render_ifupdown(const NetworkModel& model, const std::optional<std::string>& old_interfaces) {
    std::string text = std::string("# ") + k_written_by +
                       ".\n"
                       "# The image's previous file is kept beside it (interfaces.imgdeploy-*.bak).\n"
                       "# NICs are named eth<N> in Ganeti's order, by MAC in\n"
                       "# /etc/systemd/network/10-imgdeploy-eth<N>.link where udev reads it.\n\n";
    text += loopback_stanzas(old_interfaces);
    for (const Nic& nic : model.nics) {
        if (nic.configured()) {
            text += "\n" + nic_stanzas(nic);
        }
    }
    Rendering r;
    r.files.push_back({"/etc/network/interfaces", text, std::nullopt, true});
    return r;
}

}  // namespace imgdeploy::tasks
