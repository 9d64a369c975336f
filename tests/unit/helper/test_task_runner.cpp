// The helper's task runner, on the host: run-parts ordering and naming
// rules, monitor lines, failures with stderr, and the per-task time limit.

#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper/channels.hpp"
#include "helper/task_runner.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>

using namespace imgdeploy;

namespace {

void write_task(const std::string& dir, const std::string& name, const std::string& body,
                unsigned mode = 0755) {
    std::string path = dir + "/" + name;
    auto fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    std::string text = "#!/bin/sh\n" + body + "\n";
    sys::write_full(fd.get(), text.data(), text.size(), path);
    ::chmod(path.c_str(), mode);
}

struct Fixture {
    TempDir dir{"/tmp", "imgdeploy-runner."};
    std::string tasks = dir.path() + "/tasks";
    std::string result = dir.path() + "/result";
    std::string monitor = dir.path() + "/monitor";
    std::string console = dir.path() + "/console";
    Fixture() { ::mkdir(tasks.c_str(), 0755); }

    std::optional<TaskFailure> run(unsigned timeout_s = 20) {
        Channels ch(result, monitor);
        auto console_fd = sys::open(console, O_WRONLY | O_CREAT | O_APPEND, 0600);
        TaskRunOptions o;
        o.tasks_dir = tasks;
        o.env = {{"SNF_IMAGE_HOSTNAME", "node1"}, {"PATH", "/usr/bin:/bin"}};
        o.timeout = std::chrono::seconds(timeout_s);
        o.console_fd = console_fd.get();
        auto failure = run_tasks(o, ch);
        if (!failure) {
            ch.success();
        } else {
            ch.error(failure->message);
        }
        return failure;
    }
    std::string read(const std::string& p) {
        return sys::stat_if_exists(p) ? sys::read_file(p) : std::string();
    }
};

}  // namespace

TEST_CASE("tasks run in lexical order, run-parts names only", "[runner]") {
    Fixture f;
    write_task(f.tasks, "20Second", "echo second >> " + f.dir.path() + "/order");
    write_task(f.tasks, "10First", "echo first-$SNF_IMAGE_HOSTNAME-$TASKNAME >> " + f.dir.path() + "/order");
    write_task(f.tasks, "15Skipped.sh", "echo bad >> " + f.dir.path() + "/order");
    write_task(f.tasks, "16NotExecutable", "echo bad >> " + f.dir.path() + "/order", 0644);
    std::vector<std::string> skipped;
    auto tasks = list_tasks(f.tasks, &skipped);
    CHECK(tasks == std::vector<std::string>{"10First", "20Second"});
    CHECK(skipped.size() == 2);
    REQUIRE_FALSE(f.run());
    CHECK(f.read(f.dir.path() + "/order") == "first-node1-10First\nsecond\n");
    CHECK(f.read(f.result) == "SUCCESS\n");
    CHECK(f.read(f.monitor) == "TASK_START:First\nTASK_END:First\nTASK_START:Second\nTASK_END:Second\n");
}

TEST_CASE("a task's warnings reach the monitor; its output the console", "[runner]") {
    Fixture f;
    write_task(f.tasks, "50Warn", "echo 'WARNING:disk is small' >&3; echo hello");
    REQUIRE_FALSE(f.run());
    CHECK(f.read(f.monitor).find("WARNING:disk is small\n") != std::string::npos);
    CHECK(f.read(f.console).find("50Warn: hello") != std::string::npos);
}

TEST_CASE("a failing task stops the run, its stderr is reported", "[runner]") {
    Fixture f;
    write_task(f.tasks, "10Fails", "echo 'first line' >&2; echo 'the real reason' >&2; exit 3");
    write_task(f.tasks, "20Never", "touch " + f.dir.path() + "/ran");
    auto failure = f.run();
    REQUIRE(failure);
    CHECK(failure->task == "10Fails");
    CHECK(failure->message == "task Fails failed (exited with status 3): the real reason");
    CHECK_FALSE(sys::stat_if_exists(f.dir.path() + "/ran"));
    CHECK(f.read(f.result) == "ERROR: task Fails failed (exited with status 3): the real reason\n");
    CHECK(f.read(f.monitor).find("STDERR:2:first line\nthe real reason\n") != std::string::npos);
    CHECK(f.read(f.monitor).find("TASK_END:Fails") == std::string::npos);
}

TEST_CASE("a task that hangs is killed with its children at the time limit", "[runner]") {
    Fixture f;
    write_task(f.tasks, "30Hangs", "sleep 600 & echo started >&2; sleep 600");
    auto failure = f.run(1);
    REQUIRE(failure);
    CHECK(failure->message == "task Hangs did not finish within 1 s (killed): started");
}
