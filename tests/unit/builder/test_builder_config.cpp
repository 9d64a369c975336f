#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/builder_config.hpp"
#include "helper-image-builder/cli.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace imgdeploy;
using namespace imgdeploy::builder;

namespace {

std::string write_config(const TempDir& dir, const std::string& text) {
    std::string path = dir.path() + "/imgdeploy.yaml";
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), text.data(), text.size(), path);
    return path;
}

}  // namespace

TEST_CASE("helper.dir comes from the config, with the documented default", "[config]") {
    TempDir dir("/tmp", "imgdeploy-test-cfg.");
    CHECK(helper_dir_from_config(write_config(dir, "image_dir: /x\nhelper:\n  dir: /srv/helper\n  accel: tcg\n"), true) ==
          "/srv/helper");
    CHECK(helper_dir_from_config(write_config(dir, "image_dir: /x\n"), true) == k_default_helper_dir);
    CHECK(helper_dir_from_config(write_config(dir, ""), true) == k_default_helper_dir);
    CHECK(helper_dir_from_config(dir.path() + "/missing.yaml", false) == k_default_helper_dir);
    CHECK_THROWS_WITH(helper_dir_from_config(dir.path() + "/missing.yaml", true), Catch::Contains("does not exist"));
    CHECK_THROWS_WITH(helper_dir_from_config(write_config(dir, "helper:\n  dir: relative\n"), true),
                      Catch::Contains("imgdeploy.yaml:2: helper.dir: expected an absolute path"));
    CHECK_THROWS_WITH(helper_dir_from_config(write_config(dir, "helper: [1\n"), true), Catch::Contains("imgdeploy.yaml:"));
}

TEST_CASE("the command line: --output wins, else the config named by --config or $IMGDEPLOY_CONFIG", "[cli]") {
    TempDir dir("/tmp", "imgdeploy-test-cfg.");
    std::string cfg = write_config(dir, "helper:\n  dir: /from/config\n");
    CommandLine c = parse_command_line({"--output", "/o", "--kernel", "6.1.0-56-amd64", "-v"}, {});
    CHECK(c.build.output_dir == "/o");
    CHECK(c.build.kernel == "6.1.0-56-amd64");
    CHECK(c.verbosity == 1);
    CHECK(c.build.builtin_tasks_dir == "/usr/lib/imgdeploy/tasks");
    CHECK(c.build.tasks_dir == "/etc/imgdeploy/tasks.d");
    CHECK(c.build.helper_binary == "/usr/lib/imgdeploy/imgdeploy-helper");
    CHECK_FALSE(c.build.source_date_epoch);

    CHECK(parse_command_line({"--config", cfg}, {}).build.output_dir == "/from/config");
    CHECK(parse_command_line({}, {{"IMGDEPLOY_CONFIG", cfg}}).build.output_dir == "/from/config");
    CHECK(parse_command_line({"-o", "/a", "-o", "/b"}, {}).build.output_dir == "/b");  // the last one wins
    CHECK(parse_command_line({"-o", "/a"}, {{"SOURCE_DATE_EPOCH", "1700000000"}}).build.source_date_epoch == 1700000000u);

    CHECK_THROWS_AS(parse_command_line({"--frobnicate"}, {}), UsageError);
    CHECK_THROWS_AS(parse_command_line({"--output"}, {}), UsageError);
    CHECK_THROWS_AS(parse_command_line({"-o", "/a"}, {{"SOURCE_DATE_EPOCH", "yesterday"}}), UsageError);
    CHECK_THROWS_WITH(parse_command_line({"--config", dir.path() + "/none.yaml"}, {}), Catch::Contains("does not exist"));
}
