#include "common/error.hpp"
#include "helper-image-builder/initramfs_tree.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::builder;

TEST_CASE("resolve follows relative and absolute symlinks in every component", "[initramfs]") {
    InitramfsTree t;
    t.add_symlink("/lib64", "usr/lib64");
    t.add_symlink("/lib", "usr/lib");
    t.add_symlink("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    t.add_file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 0755, "ELF");
    t.add_symlink("/usr/sbin/mkfs.ext4", "mke2fs");
    t.add_file("/usr/sbin/mke2fs", 0755, "ELF");
    t.add_symlink("/loop", "loop");

    CHECK(t.resolve("/lib64/ld-linux-x86-64.so.2") == "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    CHECK(t.resolve("/usr/sbin/mkfs.ext4") == "/usr/sbin/mke2fs");
    CHECK(t.resolve("/usr/sbin/../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") ==
          "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    CHECK_FALSE(t.resolve("/usr/sbin/nothing"));
    CHECK_FALSE(t.resolve("/loop"));
}

TEST_CASE("adding the same entry twice is harmless, a different one is an error", "[initramfs]") {
    InitramfsTree t;
    t.add_file("/etc/passwd", 0644, "root");
    t.add_file("/etc/passwd", 0644, "root");
    CHECK_THROWS_AS(t.add_file("/etc/passwd", 0644, "other"), Error);
    CHECK_THROWS_AS(t.add_directory("/etc/passwd"), Error);
    t.add_symlink("/bin", "usr/bin");
    // Below a symlink: the caller must use the real path (/usr/bin/sh).
    CHECK_THROWS_AS(t.add_file("/bin/sh", 0755, "x"), Error);
    CHECK_THROWS_AS(t.add_file("relative", 0644, "x"), Error);
    CHECK_THROWS_AS(t.add_file("/a/../b", 0644, "x"), Error);
    CHECK(t.count(InitramfsTree::Node::Type::file) == 1);
    CHECK(t.count(InitramfsTree::Node::Type::directory) == 1);  // /etc
    CHECK(t.file_bytes() == 4);
}
