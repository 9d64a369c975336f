#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/task_set.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <filesystem>

using namespace imgdeploy;
using namespace imgdeploy::builder;

namespace {

void make(const std::string& path, unsigned mode) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    sys::write_full(fd.get(), "#!/bin/sh\n", 10, path);
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

}  // namespace

TEST_CASE("task names follow run-parts' LANANA-like rule with a two-digit prefix", "[tasks]") {
    CHECK(valid_task_name("50FixPartitionTable"));
    CHECK(valid_task_name("00a"));
    CHECK(valid_task_name("99Add_Swap-2"));
    CHECK_FALSE(valid_task_name("50"));
    CHECK_FALSE(valid_task_name("5Task"));
    CHECK_FALSE(valid_task_name("Task50"));
    CHECK_FALSE(valid_task_name("50task.sh"));
    CHECK_FALSE(valid_task_name("50task~"));
    CHECK_FALSE(valid_task_name("50task.dpkg-old"));
    CHECK_FALSE(valid_task_name("50t\xc3\xa4sk"));
}

TEST_CASE("drop-ins replace built-ins of the same name; bad entries are skipped with a reason", "[tasks]") {
    TempDir dir("/tmp", "imgdeploy-test-tasks.");
    std::string builtin = dir.path() + "/builtin";
    std::string dropin = dir.path() + "/dropin";
    std::filesystem::create_directories(builtin);
    std::filesystem::create_directories(dropin + "/40Dir");
    make(builtin + "/10First", 0755);
    make(builtin + "/30Replaced", 0755);
    make(builtin + "/README", 0644);
    make(dropin + "/30Replaced", 0755);
    make(dropin + "/20Added", 0700);
    make(dropin + "/50NotExec", 0644);
    std::filesystem::create_symlink(builtin + "/10First", dropin + "/60Link");
    std::filesystem::create_symlink(dir.path() + "/nowhere", dropin + "/70Dangling");

    TaskSet set = collect_tasks(builtin, dropin);
    std::vector<std::string> names;
    for (const Task& t : set.tasks) {
        names.push_back(t.name);
    }
    CHECK(names == std::vector<std::string>{"10First", "20Added", "30Replaced", "60Link"});
    CHECK_FALSE(set.tasks[0].drop_in);
    CHECK(set.tasks[1].drop_in);
    CHECK_FALSE(set.tasks[1].replaces_builtin);
    CHECK(set.tasks[2].source_path == dropin + "/30Replaced");
    CHECK(set.tasks[2].replaces_builtin);
    REQUIRE(set.skipped.size() == 4);
    CHECK(set.skipped[0].path == builtin + "/README");
    CHECK(set.skipped[1].reason == "not a regular file");  // 40Dir
    CHECK(set.skipped[2].reason == "not executable");      // 50NotExec
    CHECK(set.skipped[3].reason == "dangling symlink");    // 70Dangling
}

TEST_CASE("a missing drop-in directory means none; a missing built-in directory is an error", "[tasks]") {
    TempDir dir("/tmp", "imgdeploy-test-tasks.");
    make(dir.path() + "/10Only", 0755);
    CHECK(collect_tasks(dir.path(), dir.path() + "/none").tasks.size() == 1);
    CHECK(collect_tasks(dir.path(), "").tasks.size() == 1);
    CHECK_THROWS_WITH(collect_tasks(dir.path() + "/none", ""), Catch::Contains("--builtin-tasks"));
}
