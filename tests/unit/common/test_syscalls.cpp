#include "common/syscalls.hpp"

#include "common/error.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

std::string pattern(size_t n, unsigned seed) {
    std::string s(n, '\0');
    uint32_t x = seed * 2654435761u + 1;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    return s;
}

void write_text(const std::string& path, const std::string& text) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    sys::write_full(fd.get(), text.data(), text.size(), path);
}

}  // namespace

TEST_CASE("read_file returns the whole file", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string small = dir.path() + "/small";
    write_text(small, "abc\n");
    CHECK(sys::read_file(small) == "abc\n");

    std::string empty = dir.path() + "/empty";
    write_text(empty, "");
    CHECK(sys::read_file(empty).empty());

    // Larger than read_file's 64 KiB buffer, not a multiple of it.
    std::string big = dir.path() + "/big";
    std::string data = pattern(200001, 1);
    write_text(big, data);
    CHECK(sys::read_file(big) == data);
}

TEST_CASE("read_file of a missing file throws naming the path and errno", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string missing = dir.path() + "/missing";
    try {
        sys::read_file(missing);
        FAIL("no exception");
    } catch (const SystemError& e) {
        CHECK(e.code() == ENOENT);
        CHECK(std::string(e.what()) == missing + ": open: No such file or directory");
    }
}

TEST_CASE("read_file of a directory throws", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    CHECK_THROWS_WITH(sys::read_file(dir.path()), Contains(dir.path()) && Contains("read") &&
                                                       Contains("Is a directory"));
}

TEST_CASE("pwrite_full and pread_full round trip at offsets", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/data";
    UniqueFd fd = sys::open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    std::string a = pattern(5000, 2);
    std::string b = pattern(70000, 3);
    sys::pwrite_full(fd.get(), a.data(), a.size(), 0, path);
    sys::pwrite_full(fd.get(), b.data(), b.size(), 1u << 20, path);
    CHECK(sys::fstat(fd.get(), path).st_size == (1 << 20) + 70000);

    std::string got(b.size(), '\0');
    CHECK(sys::pread_full(fd.get(), got.data(), got.size(), 1u << 20, path) == b.size());
    CHECK(got == b);
    got.assign(a.size(), '\0');
    CHECK(sys::pread_full(fd.get(), got.data(), got.size(), 0, path) == a.size());
    CHECK(got == a);
    // The gap between reads back as zeros.
    std::string gap(1000, 'x');
    CHECK(sys::pread_full(fd.get(), gap.data(), gap.size(), 5000, path) == gap.size());
    CHECK(gap == std::string(1000, '\0'));
    // Reading across the end returns what there is.
    std::string tail(100, '\0');
    CHECK(sys::pread_full(fd.get(), tail.data(), tail.size(), (1u << 20) + 69990, path) == 10);
    CHECK(tail.substr(0, 10) == b.substr(69990));
    CHECK(sys::pread_full(fd.get(), tail.data(), tail.size(), 10u << 20, path) == 0);
    // pwrite does not move the file offset: read_full starts at 0.
    std::string first(5000, '\0');
    CHECK(sys::read_full(fd.get(), first.data(), first.size(), path) == 5000);
    CHECK(first == a);
}

TEST_CASE("pwrite_full and pread_full errors name the call, context and offset", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/ro";
    write_text(path, "0123456789");
    UniqueFd ro = sys::open(path, O_RDONLY);
    try {
        sys::pwrite_full(ro.get(), "x", 1, 4096, "writing " + path);
        FAIL("no exception");
    } catch (const SystemError& e) {
        CHECK(e.code() == EBADF);
        CHECK(std::string(e.what()) ==
              "writing " + path + ": at offset 4096: pwrite: Bad file descriptor");
    }
    UniqueFd wo = sys::open(path, O_WRONLY);
    char buf[4];
    CHECK_THROWS_WITH(sys::pread_full(wo.get(), buf, sizeof buf, 3, "reading"),
                      "reading: at offset 3: pread: Bad file descriptor");
}

TEST_CASE("write_full and read_full through a pipe", "[syscalls]") {
    Pipe p = sys::make_pipe("test pipe");
    CHECK((::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(p.write.get(), F_GETFD) & FD_CLOEXEC) != 0);
    sys::write_full(p.write.get(), "hello", 5, "pipe");
    p.write.reset();
    char buf[16] = {};
    CHECK(sys::read_full(p.read.get(), buf, sizeof buf, "pipe") == 5);
    CHECK(std::string(buf, 5) == "hello");
    CHECK(sys::read_some(p.read.get(), buf, sizeof buf, "pipe") == 0);
}

TEST_CASE("open adds O_CLOEXEC; try_open reports errno instead of throwing", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/f";
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT, 0640);
    CHECK((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    struct stat st = sys::fstat(fd.get(), path);
    CHECK(S_ISREG(st.st_mode));

    int err = 0;
    UniqueFd ok = sys::try_open(path, O_RDONLY, err);
    CHECK(ok.valid());
    CHECK(err == 0);
    UniqueFd missing = sys::try_open(dir.path() + "/nope", O_RDONLY, err);
    CHECK_FALSE(missing.valid());
    CHECK(err == ENOENT);
    UniqueFd exclusive = sys::try_open(path, O_WRONLY | O_CREAT | O_EXCL, err, 0600);
    CHECK_FALSE(exclusive.valid());
    CHECK(err == EEXIST);
    CHECK_THROWS_WITH(sys::open(dir.path() + "/nope", O_RDONLY),
                      dir.path() + "/nope: open: No such file or directory");
}

TEST_CASE("stat_if_exists tells missing from present", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string file = dir.path() + "/file";
    write_text(file, "12345");
    auto st = sys::stat_if_exists(file);
    REQUIRE(st);
    CHECK(st->st_size == 5);
    CHECK_FALSE(sys::stat_if_exists(dir.path() + "/missing"));
    // A path through a regular file (ENOTDIR) is also just missing.
    CHECK_FALSE(sys::stat_if_exists(file + "/below"));
    auto d = sys::stat_if_exists(dir.path());
    REQUIRE(d);
    CHECK(S_ISDIR(d->st_mode));
}

TEST_CASE("realpath resolves symlinks and throws for missing paths", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string real_dir = sys::realpath(dir.path());
    std::string file = dir.path() + "/file";
    write_text(file, "x");
    REQUIRE(::symlink("file", (dir.path() + "/link").c_str()) == 0);
    CHECK(sys::realpath(dir.path() + "/link") == real_dir + "/file");
    CHECK(sys::realpath(dir.path() + "/./file") == real_dir + "/file");
    try {
        sys::realpath(dir.path() + "/missing");
        FAIL("no exception");
    } catch (const SystemError& e) {
        CHECK(e.code() == ENOENT);
        CHECK_THAT(e.what(), Contains("realpath"));
    }
}

TEST_CASE("try_fallocate punches a hole that reads back as zeros", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/f";
    std::string data(1u << 20, 'z');
    write_text(path, data);
    UniqueFd fd = sys::open(path, O_RDWR);
    int err = sys::try_fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536,
                                 131072);
    if (err == EOPNOTSUPP) {
        WARN("the file system under /tmp cannot punch holes");
        return;
    }
    REQUIRE(err == 0);
    std::string got = sys::read_file(path);
    REQUIRE(got.size() == data.size());
    CHECK(got.substr(0, 65536) == std::string(65536, 'z'));
    CHECK(got.substr(65536, 131072) == std::string(131072, '\0'));
    CHECK(got.substr(196608) == std::string(data.size() - 196608, 'z'));
    // A bad mode is reported, not thrown.
    CHECK(sys::try_fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE, 0, 4096) == EOPNOTSUPP);
}

TEST_CASE("block device ioctls on a regular file throw naming the ioctl", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/f";
    write_text(path, "x");
    UniqueFd fd = sys::open(path, O_RDONLY);
    CHECK_THROWS_WITH(sys::block_device_size(fd.get(), path),
                      Contains(path) && Contains("ioctl(BLKGETSIZE64)"));
    CHECK_THROWS_WITH(sys::block_device_sector_size(fd.get(), path),
                      Contains(path) && Contains("ioctl(BLKSSZGET)"));
}

TEST_CASE("UniqueFd closes, releases and moves", "[syscalls]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path = dir.path() + "/f";
    int raw = -1;
    {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT, 0600);
        raw = fd.get();
        UniqueFd moved(std::move(fd));
        CHECK_FALSE(fd.valid());
        CHECK(moved.get() == raw);
    }
    CHECK(::fcntl(raw, F_GETFD) == -1);
    UniqueFd fd = sys::open(path, O_RDONLY);
    int kept = fd.release();
    CHECK_FALSE(fd);
    CHECK(::fcntl(kept, F_GETFD) != -1);
    ::close(kept);
}
