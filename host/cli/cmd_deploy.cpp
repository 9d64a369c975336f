// imgdeploy deploy: the create pipeline driven from flags.

#include "common/error.hpp"
#include "common/log.hpp"
#include "host/cli/cli.hpp"
#include "host/config/config.hpp"
#include "host/ops/deployment.hpp"
#include "host/progress/monitor_progress.hpp"
#include "host/progress/terminal_progress.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace po = boost::program_options;

namespace imgdeploy {

namespace {

struct DeployOptions {
    std::string disk;
    std::string name;
    std::string image;
    std::string variant = "default";
    std::vector<std::string> params;
    bool no_customize = false;
    std::string progress = "auto";
    std::string config;
    bool verbose = false;
};

po::options_description deploy_options(DeployOptions& o) {
    po::options_description d("imgdeploy deploy --disk PATH [-O key=value ...] [options]");
    d.add_options()
        ("disk", po::value(&o.disk)->required(), "target block device or disk file")
        ("image", po::value(&o.image), "image id (same as -O img_id=...)")
        ("os-parameter,O", po::value(&o.params)->composing(),
         "an OS parameter, key=value (repeatable; the value may contain commas)")
        ("name", po::value(&o.name), "instance name (hostname); default: the disk's file name")
        ("variant", po::value(&o.variant), "variant whose OS-parameter defaults apply")
        ("no-customize", po::bool_switch(&o.no_customize),
         "copy only, start no helper VM (same as EXCLUDE_ALL_TASKS=yes)")
        ("progress", po::value(&o.progress), "auto, bar, json or none")
        ("config", po::value(&o.config), "config file (default $IMGDEPLOY_CONFIG or /etc/imgdeploy/imgdeploy.yaml)")
        ("verbose,v", po::bool_switch(&o.verbose), "debug logging")
        ("help,h", "show this help");
    return d;
}

OsParameters parse_params(const DeployOptions& o) {
    OsParameters params;
    for (const auto& kv : o.params) {
        auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw UsageError("deploy: -O expects key=value, got '" + kv.substr(0, 40) + "'");
        }
        std::string key = kv.substr(0, eq);
        if (find_os_parameter(key) == nullptr) {
            throw UsageError("deploy: unknown OS parameter '" + key + "'");
        }
        params.set(key, kv.substr(eq + 1));
    }
    if (!o.image.empty()) {
        params.set("img_id", o.image);
    }
    // Without Ganeti the common case needs no ceremony: raw whole-disk images.
    if (!params.has("img_format")) {
        params.set("img_format", "diskdump");
    }
    return params;
}

std::unique_ptr<ProgressSink> make_progress(const std::string& mode) {
    if (mode == "bar" || (mode == "auto" && ::isatty(2))) {
        return std::make_unique<TerminalProgress>();
    }
    if (mode == "json") {
        return std::make_unique<MonitorProgress>(MonitorProgress::Destination::stdout_lines);
    }
    if (mode == "none" || mode == "auto") {
        return std::make_unique<NullProgress>();
    }
    throw UsageError("deploy: --progress must be auto, bar, json or none, not '" + mode + "'");
}

std::string default_name(const std::string& disk) {
    auto slash = disk.find_last_of('/');
    return slash == std::string::npos ? disk : disk.substr(slash + 1);
}

}  // namespace

int cmd_deploy(CliContext& ctx) {
    DeployOptions o;
    auto desc = deploy_options(o);
    po::variables_map vm;
    po::store(po::command_line_parser(ctx.args).options(desc).run(), vm);
    if (vm.count("help")) {
        std::cout << desc << "\n";
        return 0;
    }
    po::notify(vm);
    init_logging(o.verbose ? 1 : 0);
    auto progress = make_progress(o.progress);
    ConfigChoice cfg = choose_config(o.config, ctx.env);
    DeploymentRequest r;
    r.config = load_config(cfg.path, cfg.required);
    r.instance_name = o.name.empty() ? default_name(o.disk) : o.name;
    r.disks = {o.disk};
    r.variant = o.variant;
    r.params = parse_params(o);
    r.customize = !o.no_customize;
    // Without Ganeti: no NICs to configure, a KVM-style guest, virtio-blk.
    r.nic_vars = {};
    r.hypervisor = "kvm";
    r.disk_type = "paravirtual";
    r.progress = progress.get();
    r.signals = ctx.signals;
    run_deployment(r);
    return 0;
}

}  // namespace imgdeploy
