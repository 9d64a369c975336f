#include "common/child_process.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/cpio_writer.hpp"
#include "helper-image-builder/initramfs_tree.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace imgdeploy;
using namespace imgdeploy::builder;

namespace {

/// One member of a newc archive, as read back.
struct Member {
    uint32_t ino = 0;
    uint32_t mode = 0;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t mtime = 0;
    uint32_t rdev_major = 0;
    uint32_t rdev_minor = 0;
    std::string name;
    std::string data;
};

uint32_t hex_field(const std::string& s, size_t at) { return static_cast<uint32_t>(std::stoul(s.substr(at, 8), nullptr, 16)); }

size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

/// An independent newc reader (the format in the kernel's buffer-format.rst).
std::vector<Member> parse_newc(const std::string& archive) {
    std::vector<Member> out;
    size_t pos = 0;
    for (;;) {
        REQUIRE(pos + 110 <= archive.size());
        REQUIRE(archive.substr(pos, 6) == "070701");
        Member m;
        m.ino = hex_field(archive, pos + 6);
        m.mode = hex_field(archive, pos + 14);
        m.uid = hex_field(archive, pos + 22);
        m.gid = hex_field(archive, pos + 30);
        m.mtime = hex_field(archive, pos + 46);
        uint32_t size = hex_field(archive, pos + 54);
        m.rdev_major = hex_field(archive, pos + 78);
        m.rdev_minor = hex_field(archive, pos + 86);
        uint32_t namesize = hex_field(archive, pos + 94);
        m.name = archive.substr(pos + 110, namesize - 1);
        REQUIRE(archive[pos + 110 + namesize - 1] == '\0');
        pos = align4(pos + 110 + namesize);
        m.data = archive.substr(pos, size);
        pos = align4(pos + size);
        if (m.name == "TRAILER!!!") {
            CHECK(archive.size() % 512 == 0);
            CHECK(archive.find_first_not_of('\0', pos) == std::string::npos);
            return out;
        }
        out.push_back(m);
    }
}

InitramfsTree sample_tree(const std::string& host_file) {
    InitramfsTree t;
    t.add_file("/init", 0755, "#!/bin/sh\necho hi\n");
    t.add_symlink("/bin", "usr/bin");
    t.add_host_file("/usr/bin/tool", 0755, host_file);
    t.add_symlink("/usr/bin/sh", "/usr/bin/tool");
    t.add_char_device("/dev/console", 0600, 5, 1);
    t.add_directory("/tmp", 01777);
    t.add_file("/etc/odd-size", 0644, "abcde");  // body needs padding
    return t;
}

std::string write_tree(const InitramfsTree& t, const std::string& path, uint32_t mtime) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    t.write(fd.get(), path, mtime);
    return sys::read_file(path);
}

}  // namespace

TEST_CASE("the initramfs is a newc archive with sorted paths, parents first, sequential inodes", "[cpio]") {
    TempDir dir("/tmp", "imgdeploy-test-cpio.");
    std::string host = dir.path() + "/tool";
    {
        UniqueFd fd = sys::open(host, O_WRONLY | O_CREAT, 0755);
        sys::write_full(fd.get(), "TOOL", 4, host);
    }
    std::string archive = write_tree(sample_tree(host), dir.path() + "/initramfs", 1234);
    std::vector<Member> members = parse_newc(archive);

    std::vector<std::string> names;
    for (const Member& m : members) {
        names.push_back(m.name);
    }
    CHECK(names == std::vector<std::string>{"bin", "dev", "dev/console", "etc", "etc/odd-size", "init", "tmp", "usr",
                                            "usr/bin", "usr/bin/sh", "usr/bin/tool"});
    for (size_t i = 0; i < members.size(); ++i) {
        INFO(members[i].name);
        CHECK(members[i].ino == i + 1);
        CHECK(members[i].uid == 0);
        CHECK(members[i].gid == 0);
        CHECK(members[i].mtime == 1234);
    }
    CHECK(members[0].mode == (S_IFLNK | 0777));
    CHECK(members[0].data == "usr/bin");
    CHECK(members[2].mode == (S_IFCHR | 0600));
    CHECK(members[2].rdev_major == 5);
    CHECK(members[2].rdev_minor == 1);
    CHECK(members[4].data == "abcde");
    CHECK(members[5].mode == (S_IFREG | 0755));
    CHECK(members[5].data == "#!/bin/sh\necho hi\n");
    CHECK(members[6].mode == (S_IFDIR | 01777));
    CHECK(members[7].mode == (S_IFDIR | 0755));  // created as a parent
    CHECK(members[10].data == "TOOL");
}

TEST_CASE("the same tree gives the same bytes; the mtime is the only clock", "[cpio]") {
    TempDir dir("/tmp", "imgdeploy-test-cpio.");
    std::string host = dir.path() + "/tool";
    {
        UniqueFd fd = sys::open(host, O_WRONLY | O_CREAT, 0755);
        sys::write_full(fd.get(), "TOOL", 4, host);
    }
    std::string a = write_tree(sample_tree(host), dir.path() + "/a", 0);
    std::string b = write_tree(sample_tree(host), dir.path() + "/b", 0);
    std::string c = write_tree(sample_tree(host), dir.path() + "/c", 99);
    CHECK(a == b);
    CHECK(a != c);
}

TEST_CASE("GNU cpio lists and extracts what CpioWriter wrote", "[cpio]") {
    if (!sys::stat_if_exists("/usr/bin/cpio")) {
        WARN("no /usr/bin/cpio (package cpio): skipped");
        return;
    }
    TempDir dir("/tmp", "imgdeploy-test-cpio.");
    std::string host = dir.path() + "/tool";
    {
        UniqueFd fd = sys::open(host, O_WRONLY | O_CREAT, 0755);
        sys::write_full(fd.get(), "TOOL", 4, host);
    }
    std::string path = dir.path() + "/initramfs";
    write_tree(sample_tree(host), path, 0);
    std::string listing = run_capture({"cpio", "-t", "--quiet", "-F", path});
    CHECK(listing == "bin\ndev\ndev/console\netc\netc/odd-size\ninit\ntmp\nusr\nusr/bin\nusr/bin/sh\nusr/bin/tool\n");

    std::string out = dir.path() + "/out";
    std::filesystem::create_directory(out);
    run_capture({"cpio", "-i", "-d", "--quiet", "--no-absolute-filenames", "-D", out, "-F", path, "init", "usr/bin/tool",
                 "usr/bin/sh", "etc/odd-size"});
    CHECK(sys::read_file(out + "/init") == "#!/bin/sh\necho hi\n");
    CHECK(sys::read_file(out + "/usr/bin/tool") == "TOOL");
    CHECK(sys::read_file(out + "/etc/odd-size") == "abcde");
}

TEST_CASE("CpioWriter counts entries and hashes exactly what it wrote", "[cpio]") {
    TempDir dir("/tmp", "imgdeploy-test-cpio.");
    std::string path = dir.path() + "/a.cpio";
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT, 0644);
    CpioWriter w(fd.get(), path);
    CpioEntry e;
    e.name = "hello";
    e.mode = S_IFREG | 0644;
    w.add(e, "world");
    w.finish();
    CHECK(w.entries() == 1);
    CHECK(w.bytes_written() == 512);
    std::string digest = w.sha256();
    std::string data = sys::read_file(path);
    CHECK(data.size() == 512);
    Sha256 h;
    h.update(data.data(), data.size());
    CHECK(h.hex_digest() == digest);
}
