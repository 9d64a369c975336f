#pragma once
// Runs the customization tasks like `run-parts --exit-on-error`: every
// executable regular file of the tasks directory whose name matches
// ^[A-Za-z0-9_-]+$, in lexical (C locale) order, each in its own process
// group with its own time limit. The runner sends TASK_START/TASK_END,
// copies the task's output to the console prefixed with its name, forwards
// the WARNING:/ERROR: lines the task writes to fd IMGDEPLOY_MONITOR_FD, and
// on failure reports the task's last stderr lines.

#include "helper/channels.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

/// The runnable task file names, sorted; `skipped` gets the others.
std::vector<std::string> list_tasks(const std::string& dir, std::vector<std::string>* skipped);

/// "50ChangePassword" -> "ChangePassword" (snf-image's task names).
std::string task_display_name(const std::string& file_name);

struct TaskRunOptions {
    std::string tasks_dir;
    std::map<std::string, std::string> env;
    std::chrono::seconds timeout{60};
    /// Where task output lines go (the console); default stdout.
    int console_fd = 1;
};

struct TaskFailure {
    std::string task;
    std::string message;  // "task ChangePassword failed (exit status 1): <last stderr line>"
};

/// Runs every task; stops at the first failure and returns it.
std::optional<TaskFailure> run_tasks(const TaskRunOptions& options, Channels& channels);

}  // namespace imgdeploy
