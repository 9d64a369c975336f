#include "common/temp_file.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

bool exists(const std::string& path) { return sys::stat_if_exists(path).has_value(); }

void write_text(const std::string& path, const std::string& text) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    sys::write_full(fd.get(), text.data(), text.size(), path);
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

TEST_CASE("TempFile is created with the prefix, mode 0600, and an open fd", "[temp_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    TempFile f(dir.path(), "probe-");
    CHECK(f.path().rfind(dir.path() + "/probe-", 0) == 0);
    CHECK(base_name(f.path()).size() == std::string("probe-XXXXXX").size());
    auto st = sys::stat_if_exists(f.path());
    REQUIRE(st);
    CHECK(S_ISREG(st->st_mode));
    CHECK((st->st_mode & 07777) == 0600);
    REQUIRE(f.fd() >= 0);
    CHECK((::fcntl(f.fd(), F_GETFD) & FD_CLOEXEC) != 0);
    sys::write_full(f.fd(), "hello", 5, f.path());
    CHECK(sys::read_file(f.path()) == "hello");
}

TEST_CASE("TempFile is removed on destruction", "[temp_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path;
    {
        TempFile f(dir.path(), "gone-");
        path = f.path();
        REQUIRE(exists(path));
    }
    CHECK_FALSE(exists(path));
}

TEST_CASE("TempFile release keeps the file", "[temp_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string kept;
    {
        TempFile f(dir.path(), "kept-");
        kept = f.release();
        CHECK(f.path().empty());
        CHECK(f.fd() == -1);
    }
    CHECK(exists(kept));
}

TEST_CASE("A moved-from TempFile deletes nothing; the new owner does", "[temp_file]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string path;
    {
        TempFile a(dir.path(), "moved-");
        path = a.path();
        {
            TempFile b(std::move(a));
            CHECK(b.path() == path);
            CHECK(a.path().empty());
            CHECK(exists(path));
        }
        CHECK_FALSE(exists(path));
    }
}

TEST_CASE("TempFile in a missing directory throws naming the template", "[temp_file]") {
    CHECK_THROWS_WITH(TempFile("/nonexistent-imgdeploy-dir", "x-"),
                      Contains("/nonexistent-imgdeploy-dir/x-XXXXXX") && Contains("mkostemp") &&
                          Contains("No such file or directory"));
}

TEST_CASE("TempDir is created with mode 0700 and removed with its contents", "[temp_file]") {
    std::string path;
    {
        TempDir dir("/tmp", "imgdeploy-unit-");
        path = dir.path();
        CHECK(path.rfind("/tmp/imgdeploy-unit-", 0) == 0);
        auto st = sys::stat_if_exists(path);
        REQUIRE(st);
        CHECK(S_ISDIR(st->st_mode));
        CHECK((st->st_mode & 07777) == 0700);
        REQUIRE(::mkdir((path + "/sub").c_str(), 0755) == 0);
        write_text(path + "/sub/file", "x");
        write_text(path + "/top", "y");
        REQUIRE(::symlink("/etc", (path + "/link").c_str()) == 0);
    }
    CHECK_FALSE(exists(path));
    // The symlink was removed, not followed.
    CHECK(exists("/etc"));
}

TEST_CASE("TempDir release keeps the directory", "[temp_file]") {
    std::string kept;
    {
        TempDir dir("/tmp", "imgdeploy-unit-");
        kept = dir.release();
        CHECK(dir.path().empty());
    }
    TempDir cleanup_parent("/tmp", "imgdeploy-unit-");
    REQUIRE(exists(kept));
    // Move it under a TempDir so the test leaves nothing behind.
    REQUIRE(::rename(kept.c_str(), (cleanup_parent.path() + "/kept").c_str()) == 0);
}

TEST_CASE("A moved-from TempDir deletes nothing; the new owner does", "[temp_file]") {
    std::string path;
    {
        TempDir a("/tmp", "imgdeploy-unit-");
        path = a.path();
        {
            TempDir b(std::move(a));
            CHECK(b.path() == path);
            CHECK(a.path().empty());
        }
        CHECK_FALSE(exists(path));
    }
}

TEST_CASE("TempDir in a missing directory throws naming the template", "[temp_file]") {
    CHECK_THROWS_WITH(TempDir("/nonexistent-imgdeploy-dir", "d-"),
                      Contains("/nonexistent-imgdeploy-dir/d-XXXXXX") && Contains("mkdtemp"));
}
