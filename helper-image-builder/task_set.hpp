#pragma once
// The tasks the helper runs: the built-in ones (/usr/lib/imgdeploy/tasks)
// plus the administrator's drop-ins (/etc/imgdeploy/tasks.d), where a
// drop-in replaces the built-in task of the same name. Like run-parts, only
// executable regular files with a valid name count; anything else is
// skipped with a reason.

#include <string>
#include <vector>

namespace imgdeploy::builder {

struct Task {
    std::string name;         // e.g. "50FixPartitionTable"
    std::string source_path;  // the host file
    bool drop_in = false;     // from the drop-in directory
    bool replaces_builtin = false;
};

struct SkippedTask {
    std::string path;
    std::string reason;
};

struct TaskSet {
    std::vector<Task> tasks;  // sorted by name: the order the helper runs them in
    std::vector<SkippedTask> skipped;
};

/// True for names matching ^[0-9]{2}[A-Za-z0-9_-]+$.
bool valid_task_name(const std::string& name);

/// Reads both directories. The built-in directory must exist (Error
/// otherwise); a missing drop-in directory means no drop-ins.
TaskSet collect_tasks(const std::string& builtin_dir, const std::string& dropin_dir);

}  // namespace imgdeploy::builder
