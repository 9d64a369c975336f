#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/shared_libs.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fcntl.h>

using namespace imgdeploy;
using namespace imgdeploy::builder;

TEST_CASE("parse_loader_list keeps the loader and the resolved paths, not the vDSO", "[libs]") {
    std::string text =
        "\tlinux-vdso.so.1 (0x00007ffd6b5f4000)\n"
        "\tlibblkid.so.1 => /lib/x86_64-linux-gnu/libblkid.so.1 (0x00007f0c1c5a0000)\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c1c3bf000)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1c61b000)\n";
    CHECK(parse_loader_list(text, "prog") ==
          std::vector<std::string>{"/lib/x86_64-linux-gnu/libblkid.so.1", "/lib/x86_64-linux-gnu/libc.so.6",
                                   "/lib64/ld-linux-x86-64.so.2"});
    CHECK_THROWS_WITH(parse_loader_list("\tlibgone.so.1 => not found\n", "/usr/bin/prog"),
                      Catch::Contains("/usr/bin/prog needs libgone.so.1"));
}

TEST_CASE("inspect_executable tells ELF programs from scripts and data", "[libs]") {
    TempDir dir("/tmp", "imgdeploy-test-libs.");
    std::string script = dir.path() + "/s";
    {
        UniqueFd fd = sys::open(script, O_WRONLY | O_CREAT, 0755);
        sys::write_full(fd.get(), "#! /bin/sh -e\necho\n", 19, script);
    }
    ExecutableInfo s = inspect_executable(script);
    CHECK(s.kind == ExecutableInfo::Kind::script);
    CHECK(s.interpreter == "/bin/sh");
    ExecutableInfo sh = inspect_executable("/usr/bin/dash");
    CHECK(sh.kind == ExecutableInfo::Kind::elf);
    CHECK(sh.interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(inspect_executable("/etc/passwd").kind == ExecutableInfo::Kind::other);
}

TEST_CASE("shared_libraries asks the host's loader; static programs need none", "[libs][host]") {
    std::vector<std::string> libs = shared_libraries("/usr/bin/ssh-keygen");
    REQUIRE(!libs.empty());
    CHECK(libs[0] == "/lib64/ld-linux-x86-64.so.2");
    auto has = [&](const std::string& name) {
        return std::any_of(libs.begin(), libs.end(), [&](const std::string& l) { return l.find(name) != std::string::npos; });
    };
    CHECK(has("/libc.so.6"));
    CHECK(has("/libcrypto.so."));
    if (sys::stat_if_exists("/bin/busybox") && inspect_executable("/bin/busybox").interpreter.empty()) {
        CHECK(shared_libraries("/bin/busybox").empty());  // busybox-static: the loader would crash on it
    }
}
