// In-image task overrides through run_task(): a tmpfs mounted on a temp dir
// plays the mounted image (root needed; skipped otherwise).
#include "tasks/lib/task_runner.hpp"

#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <filesystem>
#include <sys/mount.h>
#include <sys/stat.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;

namespace {

int g_body_runs = 0;
void body(const TaskContext&) { ++g_body_runs; }

struct MountedImage {
    TempDir dir{"/tmp", "imgdeploy-unit-override-"};
    bool mounted = false;
    MountedImage() { mounted = ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=4m") == 0; }
    ~MountedImage() {
        if (mounted) {
            ::umount2(dir.path().c_str(), MNT_DETACH);
        }
    }
    void script(const std::string& rel, const std::string& text, unsigned mode = 0755) const {
        std::string path = dir.path() + rel;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
        sys::write_full(fd.get(), text.data(), text.size(), path);
        ::fchmod(fd.get(), mode);
    }
};

int run(const MountedImage& image, bool allow) {
    std::vector<std::string> vars{"TASKNAME=50ChangeMachineId", "PATH=/usr/bin:/bin",
                                  "SNF_IMAGE_PROPERTY_OSFAMILY=linux", "SNF_IMAGE_TARGET=" + image.dir.path()};
    if (allow) {
        vars.push_back("SNF_IMAGE_PROPERTY_ALLOW_MOUNTED_TASK_OVERWRITING=yes");
    }
    std::vector<char*> envp;
    for (auto& v : vars) {
        envp.push_back(v.data());
    }
    envp.push_back(nullptr);
    char name[] = "50ChangeMachineId";
    char* argv[] = {name, nullptr};
    g_body_runs = 0;
    return run_task(1, argv, envp.data(), {.attributes = excludable | overwritable, .body = body});
}

std::string log_of(const MountedImage& image) {
    auto st = sys::stat_if_exists(image.dir.path() + "/log");
    return st ? sys::read_file(image.dir.path() + "/log") : "";
}

const char* k_logging = "#!/bin/sh\necho \"$1 $OVERWRITTEN_TASK\" >> \"$SNF_IMAGE_TARGET/log\"\n";

}  // namespace

TEST_CASE("overrides: 0 replaces, 101 wraps, other statuses fail the task", "[task_override]") {
    MountedImage image;
    if (!image.mounted) {
        WARN("cannot mount a tmpfs (not root?): override tests skipped");
        return;
    }
    image.script("/root/snf-image/helper/Overwrite_Task_changemachineid", std::string(k_logging) + "exit 0\n");
    CHECK(run(image, false) == 0);
    CHECK(g_body_runs == 1);  // not allowed: the task runs, the script does not
    CHECK(log_of(image).empty());
    CHECK(run(image, true) == 0);
    CHECK(g_body_runs == 0);
    CHECK(log_of(image) == "pre-exec ChangeMachineId\n");
    image.script("/root/snf-image/helper/Overwrite_Task_changemachineid",
                 std::string(k_logging) + "[ \"$1\" = pre-exec ] && exit 101\nexit 0\n");
    CHECK(run(image, true) == 0);
    CHECK(g_body_runs == 1);
    CHECK(log_of(image) == "pre-exec ChangeMachineId\npre-exec ChangeMachineId\npost-exec ChangeMachineId\n");
    image.script("/root/snf-image/helper/Overwrite_Task_changemachineid",
                 std::string(k_logging) + "[ \"$1\" = pre-exec ] && exit 101\nexit 9\n");
    CHECK(run(image, true) == 9);  // post-exec fails
    CHECK(g_body_runs == 1);
    image.script("/root/snf-image/helper/Overwrite_Task_changemachineid", "#!/bin/sh\nexit 42\n");
    CHECK(run(image, true) == 42);
    CHECK(g_body_runs == 0);
}

TEST_CASE("overrides: /root/imgdeploy/helper, and non-executable files are ignored", "[task_override]") {
    MountedImage image;
    if (!image.mounted) {
        return;
    }
    image.script("/root/snf-image/helper/overwrite_task_ChangeMachineId", "#!/bin/sh\nexit 0\n", 0644);
    CHECK(run(image, true) == 0);
    CHECK(g_body_runs == 1);  // not executable: ignored
    image.script("/root/imgdeploy/helper/overwrite_task_ChangeMachineId", std::string(k_logging) + "exit 0\n");
    CHECK(run(image, true) == 0);
    CHECK(g_body_runs == 0);
    CHECK(log_of(image) == "pre-exec ChangeMachineId\n");
}
