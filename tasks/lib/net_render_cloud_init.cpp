// cloud-init: network config version 2 where the image has no network
// stack we render natively, and `network: {config: disabled}` where it has
// one, so cloud-init leaves our files alone.

#include "tasks/lib/net_render.hpp"

namespace imgdeploy::tasks {

namespace {

std::string dropin_path(const std::string& cfg_dir) { return cfg_dir + "/98_imgdeploy-ConfigureNetwork.cfg"; }

}  // namespace

Rendering render_cloud_init(const NetworkModel& model, const std::string& cfg_dir) {
    Rendering r;
    std::string header = std::string("# ") + k_written_by + "\n";
    // System config: read even when /var is a separate file system that
    // is not mounted yet when cloud-init looks for the network config.
    r.files.push_back({dropin_path(cfg_dir), header + "network:\n" + cloud_init_network_v2(model, 2), 0644, true});
    // NoCloud seed, for cloud-init versions and tools that read it there.
    r.files.push_back(
        {"/var/lib/cloud/seed/nocloud-net/network-config", header + cloud_init_network_v2(model, 0), 0644, true});
    return r;
}

Rendering render_cloud_init_disabled(const std::string& cfg_dir) {
    Rendering r;
    r.files.push_back({dropin_path(cfg_dir),
                       std::string("# ") + k_written_by +
                           ": the network is configured natively.\nnetwork: {config: disabled}\n",
                       0644, true});
    return r;
}

}  // namespace imgdeploy::tasks
