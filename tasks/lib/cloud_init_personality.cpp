// 60EnforcePersonality in cloud-init mode (SNF-IMAGE-REFERENCE §5.5): the
// files are not written in place now but installed at the end of the first
// boot by a per-once script, after cloud-init has created the users its
// user-data asks for. The decoded files wait in
// /var/lib/cloud/imgdeploy-personality/ (0700, root) and the script
// deletes them once installed.

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/personality.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

namespace {

constexpr const char* k_payload_dir = "/var/lib/cloud/imgdeploy-personality";

std::string octal(unsigned mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode);
    return buf;
}

}  // namespace

void enforce_personality_cloud_init(const TaskContext& ctx) {
    if (!ctx.env.personality || trim(*ctx.env.personality).empty()) {
        ctx.report.info("no personality given: nothing to inject");
        return;
    }
    std::vector<PersonalityFile> files = parse_personality(*ctx.env.personality);
    RootDir root = open_mounted_target(ctx);
    root.make_dirs("/var/lib/cloud", {0755, 0, 0});
    root.make_dirs(k_payload_dir, {0700, 0, 0});
    std::string script = "#!/bin/sh\n"
                         "# Written by imgdeploy 60EnforcePersonality (cloud-init mode): install the\n"
                         "# personality files at the end of the first boot, then delete their copies.\n"
                         "set -e\n";
    for (const auto& f : files) {
        std::string payload = std::string(k_payload_dir) + "/" + std::to_string(f.index);
        root.replace_file(payload, f.contents, {0600, 0, 0});
        std::string owner = shell_quote(f.owner);
        std::string group = shell_quote(f.group);
        std::string dir = shell_quote(split_parent(f.path).first.empty() ? "/" : split_parent(f.path).first);
        script += "[ -d " + dir + " ] || install -d -m 0750 -o " + owner + " -g " + group + " " + dir + "\n";
        script += "install -o " + owner + " -g " + group + " -m " + octal(f.mode) + " " + shell_quote(payload) + " " +
                  shell_quote(f.path) + "\n";
    }
    script += "rm -rf " + shell_quote(k_payload_dir) + "\n";
    write_per_once_script(root, "imgdeploy-personality.sh", script, true);
    ctx.report.info(std::to_string(files.size()) + " personality file(s) will be installed at first boot by " +
                    std::string(k_per_once_dir) + "/imgdeploy-personality.sh");
}

}  // namespace imgdeploy::tasks
