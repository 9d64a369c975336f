#pragma once
// run_task(): the frame every built-in task runs in (snf-image task_init_as,
// SNF-IMAGE-REFERENCE §5.3). It parses the environment, applies the task's
// declared attributes (exclusion properties), checks the OS family, runs the
// body and turns an exception into one clear line on stderr, an ERROR monitor
// line and exit status 1.

#include "tasks/lib/reporter.hpp"
#include "tasks/lib/task_env.hpp"

#include <string_view>

namespace imgdeploy::tasks {

/// Task attributes, combined with |.
enum TaskAttribute : unsigned {
    /// Skipped when property EXCLUDE_TASK_<NAME> is true (NAME: the task
    /// name without its numeric prefix, upper case).
    excludable = 1u << 0,
    /// Skipped when EXCLUDE_MOUNTED_TASKS is true.
    mounted_excludable = 1u << 1,
    /// Skipped when EXCLUDE_FILESYSTEMRESIZE_TASKS is true.
    fs_resize_excludable = 1u << 2,
    /// Skipped when CLOUD_INIT is true (cloud-init does the job at first boot).
    cloudinit_excludable = 1u << 3,
    /// May be replaced by an in-image script when
    /// ALLOW_MOUNTED_TASK_OVERWRITING is true (§5.3): an executable regular
    /// file overwrite_task_<Name> (name matched case-insensitively) in
    /// /root/snf-image/helper/ or /root/imgdeploy/helper/ of the mounted
    /// image, run with "pre-exec": status 0 replaces the task, 101 runs the
    /// task and then the script with "post-exec", anything else fails the
    /// task with that status.
    overwritable = 1u << 4,
};

/// Where run_task() looks for in-image overrides, in this order.
inline constexpr const char* k_override_dirs[] = {"/root/snf-image/helper", "/root/imgdeploy/helper"};
/// The pre-exec status that means "run the original task, then post-exec".
inline constexpr int k_override_run_original = 101;

/// Which OSFAMILY values a task handles; for the others it warns and exits 0.
enum class OsSupport {
    any,            // every family (the body decides)
    linux_only,     // "linux"
    linux_bsd,      // linux, freebsd, openbsd, netbsd
    linux_windows,  // linux, windows, windows-legacy
    windows_only,   // windows, windows-legacy
    known,          // every family of SNF-IMAGE-REFERENCE §5.7 (the body dispatches)
};

/// What a running task gets.
struct TaskContext {
    const TaskEnv& env;
    const Reporter& report;
    /// property_bool("EXCLUDE_MOUNTED_TASKS"): snf-image check_yes_no, with
    /// the same warnings for an empty or unrecognised value.
    bool property_bool(std::string_view key) const;
};

using TaskBody = void (*)(const TaskContext&);

struct TaskSpec {
    unsigned attributes = 0;
    OsSupport os = OsSupport::linux_only;
    TaskBody body = nullptr;
};

/// The whole life of a task; returns its exit status.
int run_task(int argc, char** argv, char** envp, const TaskSpec& spec);

/// The task name without its two-digit prefix ("50ChangePassword" ->
/// "ChangePassword").
std::string_view task_display_name(std::string_view task_name);

/// The task name without its two-digit prefix, upper case
/// ("50ChangePassword" -> "CHANGEPASSWORD").
std::string exclusion_name(std::string_view task_name);

/// The reason a task with these attributes is skipped, e.g.
/// "EXCLUDE_TASK_CHANGEPASSWORD", or "" when it runs.
std::string skip_reason(const TaskContext& ctx, unsigned attributes);

}  // namespace imgdeploy::tasks
