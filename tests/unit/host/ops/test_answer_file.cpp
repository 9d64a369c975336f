#include <catch2/catch.hpp>
#include <fcntl.h>

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "host/ops/answer_file.hpp"

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

std::string write_temp(const TempDir& dir, const std::string& name, const std::string& text) {
    std::string path = dir.path() + "/" + name;
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), text.data(), text.size(), path);
    return path;
}

} // namespace

TEST_CASE("no os_answer_file: no floppy files", "[answer_file]") {
    CHECK(answer_file_floppy_files(Config{}, OsParameters{}).empty());
}

TEST_CASE("a file:// answer file goes on the floppy as unattend.xml and sysprep.inf",
          "[answer_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = write_temp(dir, "a.xml", "<unattend/>");
    OsParameters params;
    params.set("os_answer_file", "file://" + path);
    auto files = answer_file_floppy_files(Config{}, params);
    REQUIRE(files.size() == 2);
    CHECK(files[0].name == "unattend.xml");
    CHECK(files[0].content == "<unattend/>");
    CHECK(files[1].name == "sysprep.inf");
    CHECK(files[1].content == "<unattend/>");
}

TEST_CASE("a missing, empty or huge answer file is one error naming the parameter",
          "[answer_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    OsParameters params;
    params.set("os_answer_file", "file://" + dir.path() + "/missing.xml");
    CHECK_THROWS_WITH(answer_file_floppy_files(Config{}, params),
                      Contains("os_answer_file file://" + dir.path() + "/missing.xml: ") &&
                          Contains("No such file"));
    params.set("os_answer_file", "file://" + write_temp(dir, "empty.xml", ""));
    CHECK_THROWS_WITH(answer_file_floppy_files(Config{}, params),
                      Contains("the answer file is empty"));
    params.set("os_answer_file",
               "file://" + write_temp(dir, "big.xml", std::string(300 << 10, 'x')));
    CHECK_THROWS_WITH(answer_file_floppy_files(Config{}, params), Contains("larger than"));
}
