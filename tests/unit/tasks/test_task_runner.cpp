#include "tasks/lib/mounts.hpp"
#include "tasks/lib/task_runner.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy::tasks;

namespace {

TaskEnv env_of(std::vector<std::string> vars) { return parse_task_env(vars, "/usr/lib/imgdeploy/tasks/50X"); }

}  // namespace

TEST_CASE("parse_task_env reads the contract", "[task_runner]") {
    TaskEnv env = env_of({"TASKNAME=50ChangePassword", "SNF_IMAGE_DEV=/dev/vda", "SNF_IMAGE_DEV_COUNT=2",
                          "SNF_IMAGE_DEV_0=/dev/vda", "SNF_IMAGE_DEV_1=/dev/vdb", "SNF_IMAGE_TARGET=/tmp/t",
                          "SNF_IMAGE_RESIZE_PART=5", "SNF_IMAGE_PROPERTY_osfamily=Linux",
                          "SNF_IMAGE_PROPERTY_ROOT_PARTITION=2", "SNF_IMAGE_PASSWD=", "IMGDEPLOY_MONITOR_FD=3"});
    CHECK(env.task_name == "50ChangePassword");
    CHECK(env.devices == std::vector<std::string>{"/dev/vda", "/dev/vdb"});
    CHECK(env.require_resize_part() == 5);
    CHECK(env.require_root_partition() == 2);
    CHECK(env.os_family() == "linux");
    CHECK(env.passwd == "");
    CHECK_FALSE(env.passwd_hash);
    CHECK(env.monitor_fd == 3);
}

TEST_CASE("TASKNAME defaults to the program name; bad numbers are reported", "[task_runner]") {
    TaskEnv env = env_of({"SNF_IMAGE_RESIZE_PART=x", "SNF_IMAGE_TARGET=relative"});
    CHECK(env.task_name == "50X");
    CHECK_THROWS(env.require_resize_part());
    CHECK_THROWS(env.require_target());
    CHECK_THROWS(env.require_root_partition());
    CHECK(env.monitor_fd == -1);
}

TEST_CASE("exclusion names drop the numeric prefix", "[task_runner]") {
    CHECK(exclusion_name("50ChangePassword") == "CHANGEPASSWORD");
    CHECK(exclusion_name("10FixPartitionTable") == "FIXPARTITIONTABLE");
    CHECK(exclusion_name("Custom") == "CUSTOM");
}

TEST_CASE("skip_reason follows the declared attributes and check_yes_no", "[task_runner]") {
    TaskEnv env = env_of({"TASKNAME=50ChangeMachineId", "SNF_IMAGE_PROPERTY_EXCLUDE_TASK_CHANGEMACHINEID=Yes",
                          "SNF_IMAGE_PROPERTY_EXCLUDE_MOUNTED_TASKS=off", "SNF_IMAGE_PROPERTY_CLOUD_INIT=1"});
    Reporter report("50ChangeMachineId", -1);
    TaskContext ctx{env, report};
    CHECK(skip_reason(ctx, excludable) == "EXCLUDE_TASK_CHANGEMACHINEID");
    CHECK(skip_reason(ctx, mounted_excludable) == "");
    CHECK(skip_reason(ctx, mounted_excludable | cloudinit_excludable) == "CLOUD_INIT");
    CHECK(skip_reason(ctx, fs_resize_excludable | overwritable) == "");
}

TEST_CASE("parse_mountinfo decodes mount points and finds the fields after '-'", "[mounts]") {
    auto m = parse_mountinfo("36 35 98:0 / /mnt/my\\040disk rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
                             "40 36 0:45 / /mnt/my\\040disk/b rw shared:2 master:3 - btrfs /dev/vda2 rw\n"
                             "garbage\n");
    REQUIRE(m.size() == 2);
    CHECK(m[0].major == 98);
    CHECK(m[0].mount_point == "/mnt/my disk");
    CHECK(m[0].type == "ext3");
    CHECK(m[1].source == "/dev/vda2");
    CHECK(mounts_under(m, "/mnt/my disk/").size() == 2);
    CHECK(mounts_under(m, "/mnt/my").empty());
    CHECK(path_is_under("/a/b", "/a"));
    CHECK(path_is_under("/a", "/a"));
    CHECK_FALSE(path_is_under("/ab", "/a"));
}
