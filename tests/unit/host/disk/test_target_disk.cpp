#include "host/disk/target_disk.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "disk_test_util.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>

using namespace imgdeploy;
using namespace imgdeploy::test;
using Catch::Matchers::Contains;

namespace {

int access_mode(int fd) { return ::fcntl(fd, F_GETFL) & O_ACCMODE; }

}  // namespace

TEST_CASE("TargetDisk on a regular file", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/disk";
    make_disk_file(path, (3u << 20) + 512, 'x');
    TargetDisk disk(path, TargetDisk::Access::read_write);
    CHECK(disk.path() == path);
    CHECK(disk.size() == (3u << 20) + 512);
    CHECK(disk.alignment() == 4096);
    CHECK_FALSE(disk.is_block_device());
    REQUIRE(disk.direct_fd() >= 0);
    REQUIRE(disk.buffered_fd() >= 0);
    CHECK(disk.direct_fd() != disk.buffered_fd());
    CHECK(access_mode(disk.direct_fd()) == O_RDWR);
    CHECK(access_mode(disk.buffered_fd()) == O_RDWR);
    CHECK((::fcntl(disk.buffered_fd(), F_GETFL) & O_DIRECT) == 0);
    CHECK((::fcntl(disk.direct_fd(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(disk.buffered_fd(), F_GETFD) & FD_CLOEXEC) != 0);
    struct statfs fs {};
    REQUIRE(::statfs(path.c_str(), &fs) == 0);
    if (fs.f_type != TMPFS_MAGIC) {
        CHECK((::fcntl(disk.direct_fd(), F_GETFL) & O_DIRECT) != 0);
    }
}

TEST_CASE("TargetDisk read-only opens both fds read-only", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/disk";
    make_disk_file(path, 8192, 'x');
    TargetDisk disk(path, TargetDisk::Access::read_only);
    CHECK(access_mode(disk.direct_fd()) == O_RDONLY);
    CHECK(access_mode(disk.buffered_fd()) == O_RDONLY);
    CHECK(disk.size() == 8192);
}

TEST_CASE("TargetDisk of a missing path", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/missing";
    CHECK_THROWS_WITH(TargetDisk(path, TargetDisk::Access::read_write),
                      "disk " + path + " does not exist");
    CHECK_THROWS_WITH(TargetDisk(path + "/below", TargetDisk::Access::read_only),
                      Contains("does not exist"));
}

TEST_CASE("TargetDisk of a directory or a character device", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    CHECK_THROWS_WITH(TargetDisk(dir.path(), TargetDisk::Access::read_write),
                      "disk " + dir.path() + " is neither a block device nor a regular file");
    CHECK_THROWS_WITH(TargetDisk("/dev/null", TargetDisk::Access::read_only),
                      Contains("neither a block device nor a regular file"));
}

TEST_CASE("TargetDisk on a file is exclusive between writers", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/disk";
    make_disk_file(path, 4096, 'x');
    {
        TargetDisk first(path, TargetDisk::Access::read_write);
        CHECK_THROWS_WITH(TargetDisk(path, TargetDisk::Access::read_write),
                          "disk " + path + " is in use (another deployment is writing it)");
        // Readers do not take the lock.
        TargetDisk reader(path, TargetDisk::Access::read_only);
        CHECK(reader.size() == 4096);
    }
    // The lock goes with the first writer.
    TargetDisk again(path, TargetDisk::Access::read_write);
    CHECK(again.size() == 4096);
}

TEST_CASE("TargetDisk respects a lock held by another process's open file", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/disk";
    make_disk_file(path, 4096, 'x');
    UniqueFd other = sys::open(path, O_RDONLY);
    REQUIRE(::flock(other.get(), LOCK_EX | LOCK_NB) == 0);
    CHECK_THROWS_WITH(TargetDisk(path, TargetDisk::Access::read_write), Contains("is in use"));
    REQUIRE(::flock(other.get(), LOCK_UN) == 0);
    CHECK_NOTHROW(TargetDisk(path, TargetDisk::Access::read_write));
}

TEST_CASE("TargetDisk follows a symlink to a file", "[target_disk]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/disk";
    make_disk_file(path, 12288, 'x');
    std::string link = dir.path() + "/link";
    REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
    TargetDisk disk(link, TargetDisk::Access::read_write);
    CHECK(disk.size() == 12288);
    CHECK(disk.path() == link);
    CHECK_THROWS_WITH(TargetDisk(path, TargetDisk::Access::read_write), Contains("in use"));
}
