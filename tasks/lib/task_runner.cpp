#include "tasks/lib/task_runner.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/custom_task.hpp"
#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/target.hpp"

#include <algorithm>
#include <exception>
#include <functional>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

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

/// An in-image override found for this task: its image path and an O_PATH
/// fd of the file (resolved inside the image once, run through the fd).
struct Override {
    std::string image_path;
    UniqueFd fd;
};

std::optional<Override> find_override(const TaskContext& ctx) {
    if (!ctx.property_bool("ALLOW_MOUNTED_TASK_OVERWRITING") || ctx.env.target.empty()) {
        return std::nullopt;
    }
    std::optional<RootDir> root;
    try {
        root.emplace(open_mounted_target(ctx));
    } catch (const Error&) {
        return std::nullopt;  // nothing mounted: no image to take an override from
    }
    std::string wanted = "overwrite_task_" + std::string(task_display_name(ctx.env.task_name));
    for (const char* dir : k_override_dirs) {
        std::vector<std::string> names = root->list(dir);
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            if (!iequals(name, wanted)) {
                continue;
            }
            std::string path = std::string(dir) + "/" + name;
            int err = 0;
            UniqueFd fd = root->try_open(path, O_PATH | O_CLOEXEC, err);
            struct stat st {};
            if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
                ctx.report.warn("ignoring the task override " + path + ": not an executable regular file");
                continue;
            }
            return Override{path, std::move(fd)};
        }
    }
    return std::nullopt;
}

/// Runs the override with `stage` ("pre-exec" / "post-exec").
ScriptResult run_override(const TaskContext& ctx, const Override& o, const char* stage) {
    std::vector<std::string> env = ctx.env.environment;
    env.push_back("OVERWRITTEN_TASK=" + std::string(task_display_name(ctx.env.task_name)));
    ctx.report.info("running the in-image override " + o.image_path + " " + stage);
    // The fd names exactly the file resolved inside the image; an
    // interpreter (#!) opens the same /proc path while we wait.
    std::string exe = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(o.fd.get());
    return run_script(exe, {stage}, env, ctx.env.monitor_fd);
}

/// ALLOW_MOUNTED_TASK_OVERWRITING (§5.3): the override's pre-exec status
/// 0 replaces the task, 101 runs it and then the override's post-exec,
/// anything else fails the task with that status. nullopt: no override.
std::optional<int> run_overridden(const TaskContext& ctx,
                                  const std::function<void()>& run_original) {
    auto o = find_override(ctx);
    if (!o) {
        return std::nullopt;
    }
    ScriptResult pre = run_override(ctx, *o, "pre-exec");
    if (pre.status.success()) {
        ctx.report.info("replaced by the in-image override " + o->image_path);
        return 0;
    }
    if (pre.status.kind != WaitStatus::Kind::exited || pre.status.code != k_override_run_original) {
        ctx.report.error("in-image override " + o->image_path + " pre-exec " + describe_script_end(pre));
        return pre.exit_code();
    }
    run_original();
    ScriptResult post = run_override(ctx, *o, "post-exec");
    if (!post.status.success()) {
        ctx.report.error("in-image override " + o->image_path + " post-exec " + describe_script_end(post));
        return post.exit_code();
    }
    return 0;
}

/// Runs the body; returns the exit status, reporting any failure once.
int guarded(const TaskContext& ctx, const TaskSpec& spec) {
    try {
        std::string reason = skip_reason(ctx, spec.attributes);
        if (!reason.empty()) {
            ctx.report.warn("skipped: " + reason);
            return 0;
        }
        auto run_original = [&] {
            if (os_supported(ctx, spec.os)) {
                spec.body(ctx);
            }
        };
        if (spec.attributes & overwritable) {
            if (auto rc = run_overridden(ctx, run_original)) {
                return *rc;
            }
        }
        run_original();
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

std::string_view task_display_name(std::string_view task_name) {
    size_t i = 0;
    while (i < task_name.size() && i < 2 && task_name[i] >= '0' && task_name[i] <= '9') {
        ++i;
    }
    return task_name.substr(i);
}

std::string exclusion_name(std::string_view task_name) { return to_upper(task_display_name(task_name)); }

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
