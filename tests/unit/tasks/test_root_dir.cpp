#include "tasks/lib/root_dir.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

void write_text(const std::string& path, const std::string& text) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), text.data(), text.size(), path);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

/// A host directory `outside` with a file, and an image root `root` whose
/// symlinks all point at the outside by absolute and relative paths.
struct HostileTree {
    TempDir dir{"/tmp", "imgdeploy-unit-root-"};
    std::string outside = dir.path() + "/outside";
    std::string root = dir.path() + "/root";

    HostileTree() {
        ::mkdir(outside.c_str(), 0755);
        ::mkdir(root.c_str(), 0755);
        ::mkdir((root + "/etc").c_str(), 0755);
        write_text(outside + "/secret", "host secret\n");
        write_text(root + "/etc/hostname", "image\n");
        REQUIRE(::symlink(outside.c_str(), (root + "/abs").c_str()) == 0);
        REQUIRE(::symlink("../outside", (root + "/rel").c_str()) == 0);
        REQUIRE(::symlink((outside + "/secret").c_str(), (root + "/etc/shadow").c_str()) == 0);
        REQUIRE(::symlink("/etc", (root + "/etc-link").c_str()) == 0);
    }
};

}  // namespace

TEST_CASE("reads resolve inside the root", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    CHECK(root.read_file("/etc/hostname") == "image\n");
    CHECK(root.read_file("etc/hostname") == "image\n");
    CHECK(root.read_file("/../../etc/hostname") == "image\n");
    CHECK(root.read_file("/etc-link/hostname") == "image\n");
    CHECK_FALSE(root.read_file("/missing"));
}

TEST_CASE("absolute and relative symlinks out of the root stay inside", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    // /abs -> <host>/outside resolves to <root><host>/outside, which is missing.
    CHECK_FALSE(root.read_file("/abs/secret"));
    // /rel -> ../outside climbs to the root and no further.
    CHECK_FALSE(root.read_file("/rel/secret"));
    // /etc/shadow -> <host>/outside/secret: not the host's file.
    CHECK_FALSE(root.read_file("/etc/shadow"));
    CHECK_FALSE(root.is_dir("/abs"));
}

TEST_CASE("writes through symlinks land inside the root, never outside", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    // Where the image has the symlink's target, it is the image's directory.
    std::string inside = t.root + t.outside;
    std::filesystem::create_directories(inside);
    std::filesystem::create_directories(t.root + "/outside");
    root.make_dirs("/abs/sub", {0755, ::getuid(), ::getgid()});
    root.replace_file("/abs/sub/planted", "x", {0600, ::getuid(), ::getgid()});
    root.replace_file("/rel/planted", "y", {0600, ::getuid(), ::getgid()});
    CHECK(sys::read_file(inside + "/sub/planted") == "x");
    CHECK(sys::read_file(t.root + "/outside/planted") == "y");
    CHECK_FALSE(exists(t.outside + "/sub"));
    CHECK_FALSE(exists(t.outside + "/planted"));
}

TEST_CASE("replace_file replaces a final symlink instead of writing through it", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    root.replace_file("/etc/shadow", "new\n", {0640, ::getuid(), ::getgid()});
    CHECK(sys::read_file(t.outside + "/secret") == "host secret\n");
    struct stat st {};
    REQUIRE(::lstat((t.root + "/etc/shadow").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(sys::read_file(t.root + "/etc/shadow") == "new\n");
}

TEST_CASE("replace_file keeps no temporary files and refuses directories", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    root.replace_file("/etc/hostname", "a\n", root.attributes_or("/etc/hostname", {0600, 0, 0}));
    CHECK(root.list("/etc").size() == 2);
    CHECK_THROWS_WITH(root.replace_file("/etc", "x", {}), Contains("is a directory"));
    CHECK_THROWS_AS(root.replace_file("/etc/..", "x", {}), Error);
}

TEST_CASE("attributes_or reports an existing file's mode and owner", "[root_dir]") {
    HostileTree t;
    ::chmod((t.root + "/etc/hostname").c_str(), 0604);
    RootDir root(t.root);
    FileAttributes a = root.attributes_or("/etc/hostname", {0700, 5, 5});
    CHECK(a.mode == 0604);
    CHECK(a.uid == ::getuid());
    CHECK(root.attributes_or("/etc/none", {0700, 5, 5}).mode == 0700);
}

TEST_CASE("Resolve::no_symlinks refuses any symlink and climbing out", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    int err = 0;
    CHECK_FALSE(root.try_open("/etc-link/hostname", O_RDONLY, err, 0, Resolve::no_symlinks));
    CHECK(err == ELOOP);
    CHECK_FALSE(root.try_open("../root/etc/hostname", O_RDONLY, err, 0, Resolve::no_symlinks));
    CHECK(err == EXDEV);
    CHECK(root.try_open("etc/hostname", O_RDONLY, err, 0, Resolve::no_symlinks));
}

TEST_CASE("make_dirs creates missing levels with the attributes and refuses '..'", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    UniqueFd fd = root.make_dirs("/a/b/c", {0750, ::getuid(), ::getgid()});
    CHECK(fd.valid());
    struct stat st {};
    REQUIRE(::stat((t.root + "/a/b").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0750);
    CHECK_THROWS_WITH(root.make_dirs("/a/../x", {}), Contains("'..'"));
}

TEST_CASE("make_dirs names a dangling symlink", "[root_dir]") {
    HostileTree t;
    REQUIRE(::symlink("/nowhere", (t.root + "/dangling").c_str()) == 0);
    RootDir root(t.root);
    CHECK_THROWS_WITH(root.make_dirs("/dangling/x", {}), Contains("symlink to a missing directory"));
    CHECK_FALSE(exists("/nowhere"));
}

TEST_CASE("subdir roots confine to themselves and keep image paths in messages", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    RootDir etc = root.subdir("/etc");
    CHECK(etc.read_file("hostname") == "image\n");
    CHECK_THROWS_WITH(etc.open("missing", O_RDONLY), Contains("image path /etc/missing"));
}

TEST_CASE("remove and lstat do not follow the final symlink", "[root_dir]") {
    HostileTree t;
    RootDir root(t.root);
    auto st = root.lstat("/abs");
    REQUIRE(st);
    CHECK(S_ISLNK(st->st_mode));
    CHECK(root.remove("/abs"));
    CHECK_FALSE(root.remove("/abs"));
    CHECK(exists(t.outside + "/secret"));
}

TEST_CASE("path helpers", "[root_dir]") {
    CHECK(path_components("//a/./b//c/") == std::vector<std::string>{"a", "b", "c"});
    CHECK(split_parent("/etc/ssh/key") == std::pair<std::string, std::string>{"/etc/ssh", "key"});
    CHECK(split_parent("file") == std::pair<std::string, std::string>{"/", "file"});
    CHECK_THROWS_AS(split_parent("/"), Error);
    CHECK_THROWS_AS(split_parent("/a/.."), Error);
    CHECK(RootDir::image_path("etc//x/") == "/etc/x");
    CHECK(fd_path(7) == "/proc/self/fd/7");
}
