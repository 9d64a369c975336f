// 50ConfigureNetwork: the instance's NICs configured in the image's own
// network stack (tasks/README.md, "Network"). The model is built and every
// file rendered before anything is written, so bad NIC data changes nothing.

#include "common/error.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/net_render.hpp"
#include "tasks/lib/network_apply.hpp"
#include "tasks/lib/network_model.hpp"
#include "tasks/lib/network_stack.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

NetworkSettings network_settings(const TaskEnv& env) {
    NetworkSettings s;
    s.nic_vars = env.nic_vars;
    s.dhcp_tags = env.dhcp_tags.value_or(s.dhcp_tags);
    s.stateful_dhcpv6_tags = env.stateful_dhcpv6_tags.value_or(s.stateful_dhcpv6_tags);
    s.stateless_dhcpv6_tags = env.stateless_dhcpv6_tags.value_or(s.stateless_dhcpv6_tags);
    s.default_nic_config = env.default_nic_config.value_or(s.default_nic_config);
    return s;
}

std::string describe(const Nic& nic, const std::string& ifname) {
    std::string s = "NIC " + std::to_string(nic.index) + " (" + nic.mac + (ifname.empty() ? "" : ", " + ifname) +
                    "): IPv4 " + to_string(nic.ipv4);
    if (nic.ipv4 == Ipv4Mode::manual) {
        s += " " + nic.address + "/" + std::to_string(nic.prefix) + (nic.gateway.empty() ? "" : " via " + nic.gateway);
    }
    s += ", IPv6 " + std::string(to_string(nic.ipv6));
    return s + (nic.default_nic ? " (DEFAULT_NIC_CONFIG)" : "");
}

/// The old content of every netplan file of the image.
std::vector<std::pair<std::string, std::string>> netplan_files(const RootDir& root) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& name : root.list("/etc/netplan")) {
        if (name.ends_with(".yaml")) {
            std::string path = "/etc/netplan/" + name;
            out.emplace_back(path, root.read_file(path).value_or(""));
        }
    }
    return out;
}

/// The native rendering for the chosen stack; interface names in `names`.
Rendering render_native(const TaskContext& ctx, const RootDir& root, const NetworkModel& model,
                        const NetworkProbe& probe, NetRenderer renderer, std::vector<std::string>& names) {
    bool xen = ctx.env.hypervisor == "xen";
    Rendering r;
    switch (renderer) {
        case NetRenderer::ifupdown:
            r = render_ifupdown(model, root.read_file("/etc/network/interfaces"));
            break;
        case NetRenderer::ifcfg:
            r = render_ifcfg(model, root.read_file("/etc/sysconfig/network"));
            break;
        case NetRenderer::network_manager:
            return render_networkmanager(model);
        case NetRenderer::networkd:
            return render_networkd(model);
        case NetRenderer::netplan:
            for (const Nic& nic : model.nics) {
                names[nic.index] = linux_interface_name(nic);
            }
            return render_netplan(model, netplan_files(root));
        case NetRenderer::freebsd:
            names = bsd_interface_names(model, BsdFamily::freebsd, xen);
            return render_freebsd(model, names, root.read_file("/etc/rc.conf").value_or(""));
        case NetRenderer::openbsd:
            names = bsd_interface_names(model, BsdFamily::openbsd, xen);
            return render_openbsd(model, names);
        case NetRenderer::netbsd:
            names = bsd_interface_names(model, BsdFamily::netbsd, xen);
            return render_netbsd(model, names, root.read_file("/etc/rc.conf"));
        case NetRenderer::none:
            return r;
    }
    // ifupdown and ifcfg name the interfaces eth<N>: make it so by MAC.
    for (const Nic& nic : model.nics) {
        names[nic.index] = linux_interface_name(nic);
    }
    if (probe.systemd) {
        r.append(render_link_files(model));
    } else {
        ctx.report.info("no systemd or udev in the image: no .link files; interfaces keep the kernel's eth<N> names");
    }
    return r;
}

}  // namespace

void configure_network(const TaskContext& ctx) {
    NetworkModel model = build_network_model(network_settings(ctx.env));
    if (model.nics.empty()) {
        ctx.report.info("no NIC data (SNF_IMAGE_NIC_COUNT unset or 0): nothing to do");
        return;
    }
    for (const auto& w : model.warnings) {
        ctx.report.warn(w);
    }
    if (!model.any_configured()) {
        ctx.report.info("no NIC has an address or network method to configure (DEFAULT_NIC_CONFIG empty or not "
                        "applicable): the image's network configuration is left alone");
        return;
    }
    RootDir root = open_mounted_target(ctx);
    bool cloud_init = ctx.property_bool("CLOUD_INIT");
    NetworkProbe probe = probe_network_stack(root, ctx.env.os_family(), ctx.property_bool("NM_NETWORKING"));
    NetChoice choice = choose_renderer(probe);
    std::vector<std::string> names(model.nics.size());
    Rendering rendering;
    if (choice.renderer == NetRenderer::none) {
        if (!cloud_init) {
            ctx.report.warn("network not configured: " + choice.why);
            return;
        }
        ctx.report.info("renderer: cloud-init network config v2 (" + choice.why + ")");
        for (const Nic& nic : model.nics) {
            names[nic.index] = linux_interface_name(nic);
        }
        rendering = render_cloud_init(model, probe.cloud_cfg_dir);
    } else {
        ctx.report.info("renderer: " + choice.why);
        if (choice.renderer == NetRenderer::network_manager && !probe.nm_installed) {
            ctx.report.warn("NM_NETWORKING is set, but the image has no NetworkManager program: keyfiles written anyway");
        }
        rendering = render_native(ctx, root, model, probe, choice.renderer, names);
        if (cloud_init || probe.cloud_init) {
            // cloud-init would otherwise write its own network config over ours.
            rendering.append(render_cloud_init_disabled(probe.cloud_cfg_dir));
        }
    }
    for (const auto& w : rendering.warnings) {
        ctx.report.warn(w);
    }
    for (const Nic& nic : model.nics) {
        ctx.report.info(describe(nic, names[nic.index]));
    }
    for (const auto& path : apply_rendering(root, rendering, backup_stamp())) {
        ctx.report.info("wrote " + path);
    }
}

}  // namespace imgdeploy::tasks
