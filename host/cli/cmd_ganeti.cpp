// imgdeploy ganeti <script>: the Ganeti OS API entry points, called by the
// shims in ganeti-os/ with Ganeti's environment.

#include "common/error.hpp"
#include "common/log.hpp"
#include "host/cli/cli.hpp"
#include "host/config/config.hpp"
#include "host/ganeti/environment.hpp"
#include "host/ops/deployment.hpp"
#include "host/ops/import_export.hpp"
#include "host/progress/monitor_progress.hpp"

#include <spdlog/spdlog.h>

namespace imgdeploy {

namespace {

Config load_ganeti_config(const CliContext& ctx) {
    ConfigChoice cfg = choose_config("", ctx.env);
    return load_config(cfg.path, cfg.required);
}

int ganeti_create(const CliContext& ctx, const GanetiEnv& env) {
    DeploymentRequest r;
    r.config = load_ganeti_config(ctx);
    MonitorProgress progress(r.config.progress_monitor, env.instance_name);
    r.instance_name = env.instance_name;
    r.variant = env.variant;
    r.params = env.params;
    r.nic_vars = env.nic_vars;
    r.hypervisor = env.hypervisor.empty() ? "kvm" : env.hypervisor;
    r.disk_type = env.disk_type;
    for (const auto& d : env.disks) {
        if (d.path.empty() || (d.uri && d.path == *d.uri)) {
            throw Error("disk " + d.path + ": userspace disk URIs are not supported; give the "
                        "instance a disk with a kernel device path");
        }
        r.disks.push_back(d.path);
    }
    r.progress = &progress;
    r.signals = ctx.signals;
    spdlog::info("create: instance {} variant {}{}", env.instance_name, env.variant,
                 env.reinstall ? " (reinstall)" : "");
    run_deployment(r);
    return 0;
}

int ganeti_verify(const CliContext& ctx, const GanetiEnv& env) {
    Config config = load_ganeti_config(ctx);
    OsParameters params = env.params;
    params.apply_defaults(load_variant_defaults(config, env.variant));
    auto problems = validate_os_parameters(params);
    if (problems.empty()) {
        return 0;
    }
    std::string msg = "invalid OS parameters: ";
    for (size_t i = 0; i < problems.size(); ++i) {
        msg += (i ? "; " : "") + problems[i];
    }
    throw Error(msg);
}

}  // namespace

int cmd_ganeti(CliContext& ctx) {
    if (ctx.args.empty()) {
        throw UsageError("ganeti: expected a script name: create, import, export, rename or verify");
    }
    auto script = parse_ganeti_script(ctx.args[0]);
    if (!script) {
        throw UsageError("ganeti: unknown script '" + ctx.args[0] +
                         "' (expected create, import, export, rename or verify)");
    }
    GanetiEnv env = parse_ganeti_env(*script, ctx.env);
    init_logging(env.debug_level);
    switch (*script) {
    case GanetiScript::create:
        return ganeti_create(ctx, env);
    case GanetiScript::verify:
        return ganeti_verify(ctx, env);
    case GanetiScript::import: {
        NullProgress progress;
        import_disk(env.import_device, 0, progress, ctx.signals);
        return 0;
    }
    case GanetiScript::export_:
        export_disk(env.export_device, 1, env.export_size_fd, ctx.signals);
        return 0;
    case GanetiScript::rename:
        spdlog::info("rename: instance {} is now {}; nothing to change on its disks",
                     env.old_instance_name, env.instance_name);
        return 0;
    }
    return 0;
}

}  // namespace imgdeploy
