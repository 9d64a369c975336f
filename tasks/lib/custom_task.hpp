#pragma once
// Scripts a task runs with the whole task environment: the CUSTOM_TASK
// property (70RunCustomTask) and in-image task overrides (run_task()).
// Their stdout goes to the task's stdout, their stderr to the task's
// stderr (the console log), and the last stderr lines are kept for the
// error message; the monitor fd is handed over as the task got it.

#include "common/child_process.hpp"
#include "tasks/lib/task_runner.hpp"

#include <string>
#include <vector>

namespace imgdeploy::tasks {

struct ScriptResult {
    WaitStatus status;
    std::vector<std::string> stderr_tail;  // the last (up to 10) non-empty stderr lines
    /// The exit status to pass on: the script's, or 128 + signal.
    int exit_code() const;
};

/// Runs `path` with `args` and exactly `env`; waits for it.
ScriptResult run_script(const std::string& path, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, int monitor_fd);

/// "exited with status 3 (last stderr line: '...')".
std::string describe_script_end(const ScriptResult& result);

/// 70RunCustomTask's body: base64-decodes the property CUSTOM_TASK into a
/// 0700 file in a private temp dir of the helper and runs it with the task
/// environment (the image is mounted at SNF_IMAGE_TARGET).
void run_custom_task(const TaskContext& ctx);

}  // namespace imgdeploy::tasks
