#include "host/image/image_id.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

/// <tmp>/images is image_dir; <tmp>/outside.img lies beside it.
class ImageDirFixture {
  public:
    ImageDirFixture()
        : m_root("/tmp", "imgdeploy-unit-"), m_real_root(sys::realpath(m_root.path())),
          m_images(m_root.path() + "/images") {
        REQUIRE(::mkdir(m_images.c_str(), 0755) == 0);
        write(m_root.path() + "/outside.img", "outside");
    }
    const std::string& images() const { return m_images; }
    std::string real_images() const { return m_real_root + "/images"; }
    const std::string& root() const { return m_root.path(); }
    const std::string& real_root() const { return m_real_root; }

    static void write(const std::string& path, const std::string& text) {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        sys::write_full(fd.get(), text.data(), text.size(), path);
    }
    void link(const std::string& target, const std::string& name) const {
        REQUIRE(::symlink(target.c_str(), (m_images + "/" + name).c_str()) == 0);
    }

  private:
    TempDir m_root;
    std::string m_real_root;
    std::string m_images;
};

}  // namespace

TEST_CASE("resolve_local_image: a file inside image_dir", "[image_id]") {
    ImageDirFixture f;
    ImageDirFixture::write(f.images() + "/debian.img", "x");
    CHECK(resolve_local_image(f.images(), "debian.img") == f.real_images() + "/debian.img");
    REQUIRE(::mkdir((f.images() + "/sub").c_str(), 0755) == 0);
    ImageDirFixture::write(f.images() + "/sub/ubuntu.img", "y");
    CHECK(resolve_local_image(f.images(), "sub/ubuntu.img") == f.real_images() + "/sub/ubuntu.img");
}

TEST_CASE("resolve_local_image: a symlink staying inside is followed", "[image_id]") {
    ImageDirFixture f;
    ImageDirFixture::write(f.images() + "/debian-12.img", "x");
    f.link("debian-12.img", "debian-latest.img");
    CHECK(resolve_local_image(f.images(), "debian-latest.img") ==
          f.real_images() + "/debian-12.img");
}

TEST_CASE("resolve_local_image: image_dir given through a symlink", "[image_id]") {
    ImageDirFixture f;
    ImageDirFixture::write(f.images() + "/a.img", "x");
    std::string alias = f.root() + "/alias";
    REQUIRE(::symlink(f.images().c_str(), alias.c_str()) == 0);
    CHECK(resolve_local_image(alias, "a.img") == f.real_images() + "/a.img");
    CHECK(resolve_local_image(f.images() + "/", "a.img") == f.real_images() + "/a.img");
}

TEST_CASE("resolve_local_image: '..' through a symlink is refused", "[image_id]") {
    ImageDirFixture f;
    f.link("..", "up");
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "up/outside.img"),
                      Contains("outside image_dir") && Contains("refused") &&
                          Contains(f.real_root() + "/outside.img"));
}

TEST_CASE("resolve_local_image: a plain '..' is refused", "[image_id]") {
    ImageDirFixture f;
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "../outside.img"),
                      Contains("outside image_dir") && Contains("refused"));
}

TEST_CASE("resolve_local_image: a symlink to a file outside is refused", "[image_id]") {
    ImageDirFixture f;
    f.link(f.root() + "/outside.img", "escape.img");
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "escape.img"),
                      Contains("image 'escape.img'") && Contains("outside image_dir") &&
                          Contains("refused"));
    f.link("/etc/passwd", "passwd.img");
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "passwd.img"), Contains("refused"));
}

TEST_CASE("resolve_local_image: a sibling directory sharing the prefix is outside", "[image_id]") {
    ImageDirFixture f;
    // <tmp>/images2 starts with "<tmp>/images" but is not inside it.
    REQUIRE(::mkdir((f.root() + "/images2").c_str(), 0755) == 0);
    ImageDirFixture::write(f.root() + "/images2/x.img", "x");
    f.link(f.root() + "/images2/x.img", "x.img");
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "x.img"), Contains("refused"));
}

TEST_CASE("resolve_local_image: a directory is refused", "[image_id]") {
    ImageDirFixture f;
    REQUIRE(::mkdir((f.images() + "/dir.img").c_str(), 0755) == 0);
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "dir.img"),
                      Contains("is not a regular file"));
    // image_dir itself is not an image either.
    CHECK_THROWS_AS(resolve_local_image(f.images(), "."), Error);
}

TEST_CASE("resolve_local_image: a special file is refused", "[image_id]") {
    ImageDirFixture f;
    // A FIFO inside image_dir stands for every special file.
    REQUIRE(::mkfifo((f.images() + "/fifo.img").c_str(), 0600) == 0);
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "fifo.img"),
                      Contains("is not a regular file"));
}

TEST_CASE("resolve_local_image: a missing image is 'not found'", "[image_id]") {
    ImageDirFixture f;
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "nope.img"),
                      Contains("image 'nope.img' not found") &&
                          Contains(f.real_images() + "/nope.img"));
    // A dangling symlink is missing too.
    f.link("gone.img", "dangling.img");
    CHECK_THROWS_WITH(resolve_local_image(f.images(), "dangling.img"), Contains("not found"));
}

TEST_CASE("resolve_local_image: a missing image_dir is not usable", "[image_id]") {
    ImageDirFixture f;
    CHECK_THROWS_WITH(resolve_local_image(f.root() + "/no-such-dir", "a.img"),
                      Contains("image_dir " + f.root() + "/no-such-dir is not usable"));
}

// BUG: with image_dir "/", dir + "/" is "//", which no canonical path starts
// with, so every image is refused as "outside image_dir /".
TEST_CASE("resolve_local_image: image_dir '/' accepts files below it", "[image_id]") {
    ImageDirFixture f;
    ImageDirFixture::write(f.images() + "/root.img", "x");
    std::string relative = f.real_images().substr(1) + "/root.img";
    CHECK(resolve_local_image("/", relative) == f.real_images() + "/root.img");
}

TEST_CASE("open_image_source: null and local images", "[image_id]") {
    ImageDirFixture f;
    ImageDirFixture::write(f.images() + "/a.img", "0123456789");
    HttpOptions http{};

    auto null = open_image_source(ImageId{ImageIdKind::null, "", false}, f.images(), http);
    CHECK(null->describe() == "null");
    CHECK(null->size() == uint64_t{0});
    char buf[16];
    CHECK(null->read(buf, sizeof buf) == 0);

    auto local = open_image_source(ImageId{ImageIdKind::local, "a.img", false}, f.images(), http);
    CHECK(local->describe() == f.real_images() + "/a.img");
    CHECK(local->size() == uint64_t{10});
    CHECK(local->read(buf, sizeof buf) == 10);
    CHECK(std::string(buf, 10) == "0123456789");

    CHECK_THROWS_WITH(
        open_image_source(ImageId{ImageIdKind::local, "../outside.img", false}, f.images(), http),
        Contains("refused"));
}
