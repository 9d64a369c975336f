// FreeBSD: ifconfig_<if>, ifconfig_<if>_ipv6, defaultrouter and
// rtsold_enable in /etc/rc.conf (backed up; our keys replace the old ones).

#include "common/strings.hpp"
#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

/// The old text without a header line of an earlier run.
std::string without_our_header(const std::string& text) {
    std::string out;
    std::vector<std::string> lines = split(text, '\n');
    if (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    for (const auto& line : lines) {
        if (!trim(line).starts_with(std::string("# ") + k_written_by)) {
            out += line + "\n";
        }
    }
    return out;
}

}  // namespace

Rendering render_freebsd(const NetworkModel& model, const std::vector<std::string>& names,
                         const std::string& old_rc_conf) {
    Rendering r;
    std::vector<std::string> keys;
    std::string lines;
    bool rtsold = false;
    for (size_t i = 0; i < model.nics.size(); ++i) {
        const Nic& nic = model.nics[i];
        if (!nic.configured()) {
            continue;
        }
        const std::string& ifname = names.at(i);
        keys.push_back("ifconfig_" + ifname);
        keys.push_back("ifconfig_" + ifname + "_ipv6");
        if (nic.ipv4 == Ipv4Mode::dhcp) {
            lines += "ifconfig_" + ifname + "=\"DHCP\"\n";
        } else if (nic.ipv4 == Ipv4Mode::manual) {
            lines += "ifconfig_" + ifname + "=\"inet " + nic.address + " netmask " + ipv4_netmask(nic.prefix) + "\"\n";
            if (!nic.gateway.empty()) {
                keys.push_back("defaultrouter");
                lines += "defaultrouter=\"" + nic.gateway + "\"\n";
            }
        }
        if (nic.ipv6 != Ipv6Mode::none) {
            lines += "ifconfig_" + ifname + "_ipv6=\"inet6 accept_rtadv\"\n";
            rtsold = true;
        }
        if (nic.ipv6 == Ipv6Mode::dhcp) {
            r.warnings.push_back(ifname + ": stateful DHCPv6 needs a DHCPv6 client from ports, which FreeBSD's "
                                          "base lacks; only SLAAC (rtsold) is configured");
        }
    }
    if (rtsold) {
        keys.push_back("rtsold_enable");
        lines += "rtsold_enable=\"YES\"\n";
    }
    std::string text = without_our_header(drop_assignments(old_rc_conf, keys));
    text += std::string("# ") + k_written_by + "\n" + lines;
    r.files.push_back({"/etc/rc.conf", text, std::nullopt, true});
    return r;
}

}  // namespace imgdeploy::tasks
