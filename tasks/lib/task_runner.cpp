#include "tasks/lib/task_runner.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <exception>
#include <iostream>

namespace imgdeploy::tasks {

namespace {

bool os_supported(const TaskContext& ctx, OsSupport os) {
    if (os == OsSupport::any) {
        return true;
    }
    std::string family = ctx.env.os_family();
    bool is_linux = family == "linux";
    bool is_bsd = family == "freebsd" || family == "openbsd" || family == "netbsd";
    bool is_windows = family == "windows" || family == "windows-legacy";
    bool ok = os == OsSupport::linux_only      ? is_linux
              : os == OsSupport::linux_bsd     ? is_linux || is_bsd
              : os == OsSupport::linux_windows ? is_linux || is_windows
              : os == OsSupport::windows_only  ? is_windows
                                               : is_linux || is_bsd || is_windows;
    if (!ok) {
        ctx.report.warn("skipped: OSFAMILY '" + family + "' is not handled by this task");
    }
    return ok;
}

/// Runs the body; returns the exit status, reporting any failure once.
int guarded(const TaskContext& ctx, const TaskSpec& spec) {
    try {
        std::string reason = skip_reason(ctx, spec.attributes);
        if (!reason.empty()) {
            ctx.report.warn("skipped: " + reason);
            return 0;
        }
        if (!os_supported(ctx, spec.os)) {
            return 0;
        }
        // Hook point for "overwritable" (in-image task overrides, §5.3).
        spec.body(ctx);
        return 0;
    } catch (const Error& e) {
        ctx.report.error(e.what());
    } catch (const std::exception& e) {
        ctx.report.error(std::string("internal error: ") + e.what());
    }
    return static_cast<int>(ExitCode::failure);
}

}  // namespace

bool TaskContext::property_bool(std::string_view key) const {
    auto value = env.property(key);
    if (!value) {
        return false;
    }
    std::string lower = to_lower(trim(*value));
    if (lower.empty()) {
        report.warn("property " + std::string(key) + " is empty; taken as false");
        return false;
    }
    static const char* const known[] = {"yes", "true", "on", "1", "set", "no", "false", "off", "0", "unset"};
    bool recognised = false;
    for (const char* k : known) {
        recognised = recognised || lower == k;
    }
    if (!recognised) {
        report.warn("property " + std::string(key) + "='" + *value + "' is not a boolean; taken as true");
    }
    return parse_yes_no(lower);
}

std::string exclusion_name(std::string_view task_name) {
    size_t i = 0;
    while (i < task_name.size() && i < 2 && task_name[i] >= '0' && task_name[i] <= '9') {
        ++i;
    }
    return to_upper(task_name.substr(i));
}

std::string skip_reason(const TaskContext& ctx, unsigned attributes) {
    std::string own = "EXCLUDE_TASK_" + exclusion_name(ctx.env.task_name);
    if ((attributes & excludable) && ctx.property_bool(own)) {
        return own;
    }
    if ((attributes & mounted_excludable) && ctx.property_bool("EXCLUDE_MOUNTED_TASKS")) {
        return "EXCLUDE_MOUNTED_TASKS";
    }
    if ((attributes & fs_resize_excludable) && ctx.property_bool("EXCLUDE_FILESYSTEMRESIZE_TASKS")) {
        return "EXCLUDE_FILESYSTEMRESIZE_TASKS";
    }
    if ((attributes & cloudinit_excludable) && ctx.property_bool("CLOUD_INIT")) {
        return "CLOUD_INIT";
    }
    return "";
}

int run_task(int argc, char** argv, char** envp, const TaskSpec& spec) {
    TaskEnv env = parse_task_env(environment_strings(envp), argc > 0 ? argv[0] : "task");
    Reporter report(env.task_name, env.monitor_fd);
    TaskContext ctx{env, report};
    return guarded(ctx, spec);
}

}  // namespace imgdeploy::tasks
