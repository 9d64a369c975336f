#include "host/vm/floppy.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

using namespace imgdeploy;

namespace {

std::string mtype(const std::string& image, const std::string& name) {
    return run_capture({"env", "MTOOLS_SKIP_CHECK=1", "mtype", "-i", image, "::/" + name});
}

}  // namespace

TEST_CASE("floppy: params.json and extra files read back with mtype") {
    TempDir dir("/tmp", "imgdeploy-floppy-test.");
    std::string params = R"({"version":1,"hostname":"inst1","optional":{"PASSWD":"s3cret"}})";
    std::string path;
    {
        FloppySpec spec;
        spec.tmp_dir = dir.path();
        spec.params_json = params;
        spec.extra = {{"unattend.xml", "<unattend/>\n"}};
        spec.source_date_epoch = "0";
        ParameterFloppy floppy(spec);
        path = floppy.path();
        auto st = sys::stat_if_exists(path);
        REQUIRE(st);
        CHECK((st->st_mode & 07777) == 0600);
        CHECK(static_cast<uint64_t>(st->st_size) == ParameterFloppy::k_size);
        CHECK(path.rfind(dir.path() + "/", 0) == 0);
        CHECK(mtype(path, "params.json") == params);
        CHECK(mtype(path, "unattend.xml") == "<unattend/>\n");
        // The fd for qemu is read-only.
        int flags = ::fcntl(floppy.read_only_fd(), F_GETFL);
        CHECK((flags & O_ACCMODE) == O_RDONLY);
    }
    CHECK_FALSE(sys::stat_if_exists(path));  // removed with the object
}

TEST_CASE("floppy: a file larger than the floppy fails clearly and leaves nothing") {
    TempDir dir("/tmp", "imgdeploy-floppy-test.");
    FloppySpec spec;
    spec.tmp_dir = dir.path();
    spec.params_json = std::string(2 * 1024 * 1024, 'x');
    CHECK_THROWS_WITH(ParameterFloppy(spec),
                      Catch::Matchers::Contains("making the parameter floppy: mcopy"));
    CHECK(run_capture({"ls", "-A", dir.path()}).empty());
}

TEST_CASE("floppy: a bad file name is refused") {
    TempDir dir("/tmp", "imgdeploy-floppy-test.");
    FloppySpec spec;
    spec.tmp_dir = dir.path();
    spec.params_json = "{}";
    spec.extra = {{"../x", "y"}};
    CHECK_THROWS_AS(ParameterFloppy(spec), Error);
}
