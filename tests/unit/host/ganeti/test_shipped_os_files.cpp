// The OS definition files shipped in ganeti-os/ agree with the code.

#include "common/syscalls.hpp"
#include "host/ganeti/os_parameters.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;

namespace {

std::string shipped(const std::string& relative) {
    return sys::read_file(std::string(IMGDEPLOY_SOURCE_DIR) + "/" + relative);
}

}  // namespace

TEST_CASE("ganeti-os/parameters.list matches os_parameter_specs() exactly") {
    std::string expected;
    for (const OsParameterSpec& spec : os_parameter_specs()) {
        expected += std::string(spec.name) + " " + spec.description + "\n";
    }
    CHECK(shipped("ganeti-os/parameters.list") == expected);
}

TEST_CASE("ganeti-os/variants.list and ganeti_api_version") {
    CHECK(shipped("ganeti-os/variants.list") == "default\n");
    // Highest first: Ganeti picks the highest version both sides know.
    CHECK(shipped("ganeti-os/ganeti_api_version") == "20\n15\n10\n");
}
