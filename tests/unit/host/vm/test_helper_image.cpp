#include "host/vm/helper_image.hpp"

#include "common/error.hpp"
#include "common/helper_protocol.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <nlohmann/json.hpp>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

void write(const std::string& path, const std::string& text) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), text.data(), text.size(), path);
}

nlohmann::json manifest(int protocol = k_helper_protocol_version) {
    return {{"imgdeploy_version", "0.1.0"},
            {"protocol_version", protocol},
            {"kernel_version", "6.1.0-56-amd64"},
            {"kernel_format", "pvh-elf"},
            {"files", {{"kernel", "ab"}, {"initramfs", "cd"}}}};
}

}  // namespace

TEST_CASE("helper image: a complete one loads") {
    TempDir dir("/tmp", "imgdeploy-helper-test.");
    write(dir.path() + "/manifest.json", manifest().dump());
    write(dir.path() + "/kernel", "k");
    write(dir.path() + "/initramfs", "i");
    HelperImage image = load_helper_image(dir.path());
    CHECK(image.kernel == dir.path() + "/kernel");
    CHECK(image.initramfs == dir.path() + "/initramfs");
    CHECK(image.kernel_format == KernelFormat::pvh_elf);
    CHECK(image.kernel_version == "6.1.0-56-amd64");
    CHECK(image.protocol_version == k_helper_protocol_version);
}

TEST_CASE("helper image: missing, stale or broken ones say to rebuild") {
    TempDir dir("/tmp", "imgdeploy-helper-test.");
    CHECK_THROWS_WITH(load_helper_image(dir.path()),
                      "the helper image is not installed (no " + dir.path() +
                          "/manifest.json); run imgdeploy-build-helper");
    write(dir.path() + "/manifest.json", manifest(k_helper_protocol_version + 1).dump());
    CHECK_THROWS_WITH(load_helper_image(dir.path()),
                      "the helper image in " + dir.path() + " was built for helper protocol " +
                          std::to_string(k_helper_protocol_version + 1) +
                          ", this imgdeploy speaks " + std::to_string(k_helper_protocol_version) +
                          "; run imgdeploy-build-helper");
    write(dir.path() + "/manifest.json", "{not json");
    CHECK_THROWS_WITH(load_helper_image(dir.path()), Contains("not valid JSON"));
    auto m = manifest();
    m["kernel_format"] = "elf";
    write(dir.path() + "/manifest.json", m.dump());
    CHECK_THROWS_WITH(load_helper_image(dir.path()), Contains("unknown kernel_format 'elf'"));
    write(dir.path() + "/manifest.json", manifest().dump());
    CHECK_THROWS_WITH(load_helper_image(dir.path()),
                      Contains(dir.path() + "/kernel is missing; run imgdeploy-build-helper"));
}
