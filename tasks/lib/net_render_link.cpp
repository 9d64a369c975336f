// systemd .link files giving the interfaces the eth<N> names that the
// renderers naming interfaces (ifupdown, ifcfg) use, by MAC, whatever the
// image's naming policy (predictable names: snf-image #101).

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

Rendering render_link_files(const NetworkModel& model) {
    Rendering r;
    for (const Nic& nic : model.nics) {
        if (!nic.configured()) {
            continue;
        }
        std::string ifname = linux_interface_name(nic);
        std::string s = std::string("# ") + k_written_by + ": NIC " + std::to_string(nic.index) +
                        " is named " + ifname + ", as its network configuration expects.\n";
        s += "[Match]\nMACAddress=" + nic.mac + "\n\n[Link]\nName=" + ifname + "\n";
        r.files.push_back({"/etc/systemd/network/10-imgdeploy-" + ifname + ".link", s, 0644, true});
    }
    return r;
}

}  // namespace imgdeploy::tasks
