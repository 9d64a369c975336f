// BSD interface names: driver of the NIC's frontend type (Ganeti's
// nic_type) plus the NIC's index among those of the same driver.

#include "common/error.hpp"
#include "tasks/lib/net_render.hpp"

#include <map>

namespace imgdeploy::tasks {

namespace {

struct Drivers {
    const char* freebsd;
    const char* openbsd;
    const char* netbsd;
};

/// The emulated NICs of Ganeti's KVM and Xen HVM. QEMU's rtl8139 is an
/// 8139C+ (PCI revision 0x20), which every BSD drives with re(4).
const std::map<std::string, Drivers>& driver_table() {
    static const std::map<std::string, Drivers> table = {
        {"paravirtual", {"vtnet", "vio", "vioif"}}, {"e1000", {"em", "em", "wm"}},
        {"rtl8139", {"re", "re", "re"}},            {"ne2k_pci", {"ed", "ne", "ne"}},
        {"ne2k_isa", {"ed", "ne", "ne"}},           {"i82551", {"fxp", "fxp", "fxp"}},
        {"i82557b", {"fxp", "fxp", "fxp"}},         {"i82559er", {"fxp", "fxp", "fxp"}},
        {"pcnet", {"pcn", "pcn", "pcn"}},
    };
    return table;
}

const char* pick(const Drivers& d, BsdFamily family) {
    switch (family) {
        case BsdFamily::freebsd:
            return d.freebsd;
        case BsdFamily::openbsd:
            return d.openbsd;
        case BsdFamily::netbsd:
            break;
    }
    return d.netbsd;
}

}  // namespace

std::vector<std::string> bsd_interface_names(const NetworkModel& model, BsdFamily family, bool xen) {
    static const Drivers xen_netfront{"xn", "xnf", "xennet"};
    std::map<std::string, unsigned> next_index;
    std::vector<std::string> names;
    for (const Nic& nic : model.nics) {
        const Drivers* drivers = nullptr;
        if (xen && (nic.frontend_type.empty() || nic.frontend_type == "paravirtual")) {
            drivers = &xen_netfront;
        } else if (auto it = driver_table().find(nic.frontend_type); it != driver_table().end()) {
            drivers = &it->second;
        }
        if (!drivers) {
            if (nic.configured()) {
                std::string var = "SNF_IMAGE_NIC_" + std::to_string(nic.index) + "_FRONTEND_TYPE";
                throw Error(var + "='" + nic.frontend_type +
                            "' is not a NIC type this task can name on BSD (paravirtual, e1000, rtl8139, "
                            "ne2k_pci, ne2k_isa, i82551, i82557b, i82559er, pcnet)");
            }
            names.emplace_back();
            continue;
        }
        std::string driver = pick(*drivers, family);
        names.push_back(driver + std::to_string(next_index[driver]++));
    }
    return names;
}

}  // namespace imgdeploy::tasks
