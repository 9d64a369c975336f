#include "tasks/lib/network_apply.hpp"

#include "common/error.hpp"

#include <ctime>
#include <sys/stat.h>

namespace imgdeploy::tasks {

namespace {

/// A backup name that does not exist yet.
std::string free_backup_name(const RootDir& root, const std::string& path, const std::string& stamp) {
    std::string base = path + ".imgdeploy-" + stamp;
    std::string name = base + ".bak";
    for (int n = 1; root.lstat(name); ++n) {
        name = base + "-" + std::to_string(n) + ".bak";
    }
    return name;
}

/// Copies an existing regular file (followed inside the image) to a backup
/// name; returns that name, or "" when there is nothing to keep.
std::string back_up(const RootDir& root, const std::string& path, const std::string& stamp,
                    const std::string* new_content) {
    auto st = root.lstat(path);
    if (!st || !(S_ISREG(st->st_mode) || S_ISLNK(st->st_mode)) || !root.is_file(path)) {
        return "";
    }
    auto old = root.read_file(path);
    if (!old || (new_content && *old == *new_content)) {
        return "";
    }
    std::string name = free_backup_name(root, path, stamp);
    root.replace_file(name, *old, root.attributes_or(path, {0644, 0, 0}));
    return name;
}

}  // namespace

std::vector<std::string> apply_rendering(const RootDir& root, const Rendering& rendering, const std::string& stamp) {
    std::vector<std::string> done;
    for (const auto& path : rendering.move_aside) {
        std::string kept = back_up(root, path, stamp, nullptr);
        if (!kept.empty()) {
            root.remove(path);
            done.push_back(path + " -> " + kept);
        }
    }
    for (const FileWrite& f : rendering.files) {
        auto [parent, name] = split_parent(f.path);
        root.make_dirs(parent, {0755, 0, 0});
        if (f.backup) {
            std::string kept = back_up(root, f.path, stamp, &f.content);
            if (!kept.empty()) {
                done.push_back(f.path + " (old one kept as " + kept + ")");
            } else {
                done.push_back(f.path);
            }
        } else {
            done.push_back(f.path);
        }
        FileAttributes attributes = f.mode ? FileAttributes{*f.mode, 0, 0} : root.attributes_or(f.path, {0644, 0, 0});
        root.replace_file(f.path, f.content, attributes);
    }
    return done;
}

std::string backup_stamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

}  // namespace imgdeploy::tasks
