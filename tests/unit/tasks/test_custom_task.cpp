#include "tasks/lib/custom_task.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

struct Run {
    TaskEnv env;
    Reporter report{"70RunCustomTask", -1};
    explicit Run(std::vector<std::string> vars) : env(parse_task_env(vars, "70RunCustomTask")) {}
    void operator()() {
        TaskContext ctx{env, report};
        run_custom_task(ctx);
    }
};

}  // namespace

TEST_CASE("CUSTOM_TASK runs with the task environment", "[custom_task]") {
    TempDir dir("/tmp", "imgdeploy-unit-custom-");
    std::string out = dir.path() + "/out";
    std::string script = "#!/bin/sh\necho \"$SNF_IMAGE_HOSTNAME $SNF_IMAGE_TARGET $0\" > " + out + "\n";
    Run run({"SNF_IMAGE_HOSTNAME=web1", "SNF_IMAGE_TARGET=/mnt/t", "PATH=/usr/bin:/bin",
             "SNF_IMAGE_PROPERTY_CUSTOM_TASK=" + base64_encode(script)});
    run();
    std::string text = sys::read_file(out);
    CHECK_THAT(text, Contains("web1 /mnt/t /tmp/imgdeploy-custom-task."));
    // The temp dir of the script is gone.
    std::string path = text.substr(text.find("/tmp/"));
    path.pop_back();
    CHECK_FALSE(sys::stat_if_exists(path));
}

TEST_CASE("a failing CUSTOM_TASK names its status and last stderr line", "[custom_task]") {
    std::string script = "#!/bin/sh\necho first >&2\necho 'custom boom' >&2\nexit 3\n";
    Run run({"PATH=/usr/bin:/bin", "SNF_IMAGE_PROPERTY_CUSTOM_TASK=" + base64_encode(script)});
    CHECK_THROWS_WITH(run(), Contains("CUSTOM_TASK script exited with status 3") &&
                                 Contains("last stderr line: 'custom boom'"));
}

TEST_CASE("CUSTOM_TASK that is not base64, or empty, is an error naming the property", "[custom_task]") {
    Run bad({"SNF_IMAGE_PROPERTY_CUSTOM_TASK=#!/bin/sh echo hi"});
    CHECK_THROWS_WITH(bad(), Contains("property CUSTOM_TASK is not valid base64"));
    Run none({});
    CHECK_NOTHROW(none());
}

TEST_CASE("run_script keeps the last stderr lines and the exit code", "[custom_task]") {
    ScriptResult r = run_script("/bin/sh", {"-c", "for i in $(seq 1 15); do echo line$i >&2; done; kill -TERM $$"},
                                {"PATH=/usr/bin:/bin"}, -1);
    CHECK(r.status.kind == WaitStatus::Kind::signaled);
    CHECK(r.exit_code() == 128 + 15);
    REQUIRE(r.stderr_tail.size() == 10);
    CHECK(r.stderr_tail.front() == "line6");
    CHECK(r.stderr_tail.back() == "line15");
    CHECK(task_display_name("50ChangePassword") == "ChangePassword");
}
