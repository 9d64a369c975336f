// 60EnforcePersonality: inject the files of the personality parameter,
// with the owner, group and mode asked for, names resolved in the image's
// own account databases. Runs last among the mounted tasks so its files win.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"
#include "tasks/lib/personality.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

FileAttributes resolve_owner(const PersonalityFile& f, const std::string& passwd, const std::string& group) {
    std::string ref = "personality entry " + std::to_string(f.index) + " (" + f.path + ")";
    auto user = find_user(passwd, f.owner);
    if (!user && f.owner != "root") {
        throw Error(ref + ": owner '" + f.owner + "' is not in the image's /etc/passwd");
    }
    auto gid = find_group(group, f.group);
    if (!gid && f.group != "root") {
        throw Error(ref + ": group '" + f.group + "' is not in the image's /etc/group");
    }
    return {f.mode, user ? user->uid : 0, gid.value_or(0)};
}

void inject(const RootDir& root, const PersonalityFile& f, const FileAttributes& attributes) {
    try {
        FileAttributes dir_attributes{0750, attributes.uid, attributes.gid};
        root.make_dirs(split_parent(f.path).first, dir_attributes);
        root.replace_file(f.path, f.contents, attributes);
    } catch (const Error& e) {
        throw Error("personality entry " + std::to_string(f.index) + " (" + f.path + "): " + e.what());
    }
}

}  // namespace

void enforce_personality(const TaskContext& ctx) {
    if (windows::is_windows(ctx)) return windows::enforce_personality_windows(ctx);
    if (cloud_init_mode(ctx)) return enforce_personality_cloud_init(ctx);
    if (!ctx.env.personality || trim(*ctx.env.personality).empty()) {
        ctx.report.info("no personality given: nothing to inject");
        return;
    }
    std::vector<PersonalityFile> files = parse_personality(*ctx.env.personality);
    RootDir root = open_mounted_target(ctx);
    std::string passwd = root.read_file("/etc/passwd").value_or("");
    std::string group = root.read_file("/etc/group").value_or("");
    std::vector<FileAttributes> attributes;
    for (const auto& f : files) {
        attributes.push_back(resolve_owner(f, passwd, group));
    }
    for (size_t i = 0; i < files.size(); ++i) {
        inject(root, files[i], attributes[i]);
        ctx.report.info("injected " + files[i].path);
    }
}

}  // namespace imgdeploy::tasks
