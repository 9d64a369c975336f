#include "helper-image-builder/task_set.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <sys/stat.h>

namespace imgdeploy::builder {

namespace {

bool is_directory(const std::string& path) {
    auto st = sys::stat_if_exists(path);
    return st && S_ISDIR(st->st_mode);
}

/// Sorted names in a directory (symlinks not followed for the listing).
std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) {
        throw Error("cannot list " + dir + ": " + ec.message());
    }
    for (const auto& entry : it) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

/// Why a directory entry is not a task, or empty when it is one.
std::string rejection(const std::string& name, const std::string& path) {
    if (!valid_task_name(name)) {
        return "name does not match [0-9][0-9][A-Za-z0-9_-]+";
    }
    auto st = sys::stat_if_exists(path);  // follows symlinks, like run-parts
    if (!st || !S_ISREG(st->st_mode)) {
        return st ? "not a regular file" : "dangling symlink";
    }
    if ((st->st_mode & 0111) == 0) {
        return "not executable";
    }
    return {};
}

void scan(const std::string& dir, bool drop_in, std::map<std::string, Task>& tasks, TaskSet& set) {
    for (const std::string& name : list_dir(dir)) {
        std::string path = dir + "/" + name;
        if (std::string why = rejection(name, path); !why.empty()) {
            set.skipped.push_back({path, why});
            continue;
        }
        Task t{name, path, drop_in, drop_in && tasks.count(name) > 0};
        tasks[name] = t;
    }
}

}  // namespace

bool valid_task_name(const std::string& name) {
    // ASCII only, whatever the locale.
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    auto word = [&](char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; };
    return name.size() >= 3 && digit(name[0]) && digit(name[1]) && std::all_of(name.begin() + 2, name.end(), word);
}

TaskSet collect_tasks(const std::string& builtin_dir, const std::string& dropin_dir) {
    if (!is_directory(builtin_dir)) {
        throw Error("no built-in tasks directory " + builtin_dir +
                    " (is imgdeploy installed? pass --builtin-tasks DIR)");
    }
    TaskSet set;
    std::map<std::string, Task> tasks;
    scan(builtin_dir, false, tasks, set);
    if (!dropin_dir.empty() && is_directory(dropin_dir)) {
        scan(dropin_dir, true, tasks, set);
    }
    for (auto& [name, task] : tasks) {
        set.tasks.push_back(task);
    }
    return set;
}

}  // namespace imgdeploy::builder
