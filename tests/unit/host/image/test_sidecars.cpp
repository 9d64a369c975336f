#include "host/image/sidecars.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::string k_digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A directory with an image file; sidecars are written beside it.
class SidecarDir {
  public:
    SidecarDir() : m_dir("/tmp", "imgdeploy-unit-"), m_image(m_dir.path() + "/debian.img") {
        write(m_image, "image bytes");
    }
    const std::string& image() const { return m_image; }
    void meta(const std::string& text) const { write(m_image + ".meta", text); }
    void sha256(const std::string& text) const { write(m_image + ".sha256", text); }

  private:
    static void write(const std::string& path, const std::string& text) {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        sys::write_full(fd.get(), text.data(), text.size(), path);
    }
    TempDir m_dir;
    std::string m_image;
};

}  // namespace

TEST_CASE("no .meta file gives no properties", "[sidecars]") {
    SidecarDir d;
    json p = read_meta_properties(d.image());
    CHECK(p.is_object());
    CHECK(p.empty());
}

TEST_CASE(".meta as a flat object", "[sidecars]") {
    SidecarDir d;
    d.meta(R"({"OSFAMILY": "linux", "ROOT_PARTITION": "1", "size": 5})");
    json p = read_meta_properties(d.image());
    CHECK(p == json{{"OSFAMILY", "linux"}, {"ROOT_PARTITION", "1"}, {"size", 5}});
}

TEST_CASE(".meta with a properties object (snf-image-creator)", "[sidecars]") {
    SidecarDir d;
    d.meta(R"({"name": "Debian", "version": 12,
               "properties": {"OSFAMILY": "linux", "USERS": "root user"}})");
    json p = read_meta_properties(d.image());
    CHECK(p == json{{"OSFAMILY", "linux"}, {"USERS", "root user"}});
}

TEST_CASE(".meta with an empty properties object", "[sidecars]") {
    SidecarDir d;
    d.meta(R"({"properties": {}, "OSFAMILY": "ignored"})");
    json p = read_meta_properties(d.image());
    CHECK(p.is_object());
    CHECK(p.empty());
}

TEST_CASE(".meta that is not JSON is an error naming the file", "[sidecars]") {
    SidecarDir d;
    d.meta("{\"OSFAMILY\": linux}");
    CHECK_THROWS_WITH(read_meta_properties(d.image()),
                      Contains(d.image() + ".meta: not valid JSON"));
    d.meta("");
    CHECK_THROWS_WITH(read_meta_properties(d.image()), Contains("not valid JSON"));
}

TEST_CASE(".meta that is not an object is an error", "[sidecars]") {
    SidecarDir d;
    d.meta(R"(["OSFAMILY", "linux"])");
    CHECK_THROWS_WITH(read_meta_properties(d.image()),
                      d.image() + ".meta: expected a JSON object");
    d.meta("\"linux\"");
    CHECK_THROWS_WITH(read_meta_properties(d.image()), Contains("expected a JSON object"));
}

TEST_CASE(".meta whose properties is not an object is an error", "[sidecars]") {
    SidecarDir d;
    d.meta(R"({"properties": ["OSFAMILY"]})");
    CHECK_THROWS_WITH(read_meta_properties(d.image()),
                      d.image() + ".meta: \"properties\" must be a JSON object");
    d.meta(R"({"properties": null})");
    CHECK_THROWS_WITH(read_meta_properties(d.image()), Contains("must be a JSON object"));
}

TEST_CASE("no .sha256 file gives no digest", "[sidecars]") {
    SidecarDir d;
    CHECK(read_sha256_sidecar(d.image()) == std::nullopt);
}

TEST_CASE(".sha256 in sha256sum's format", "[sidecars]") {
    SidecarDir d;
    d.sha256(k_digest + "  debian.img\n");
    CHECK(read_sha256_sidecar(d.image()) == k_digest);
    d.sha256(k_digest + " *debian.img\n");
    CHECK(read_sha256_sidecar(d.image()) == k_digest);
}

TEST_CASE(".sha256 as a bare digest, any case, any blanks", "[sidecars]") {
    SidecarDir d;
    d.sha256(k_digest);
    CHECK(read_sha256_sidecar(d.image()) == k_digest);
    std::string upper = k_digest;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    d.sha256("\n  " + upper + "\t\n");
    CHECK(read_sha256_sidecar(d.image()) == k_digest);
}

TEST_CASE(".sha256 without a valid digest first is an error", "[sidecars]") {
    SidecarDir d;
    for (const std::string& bad :
         {std::string(""), std::string("\n"), k_digest.substr(1), k_digest + "0",
          "g" + k_digest.substr(1), "debian.img  " + k_digest, "sha256:" + k_digest}) {
        INFO("sidecar: '" << bad << "'");
        d.sha256(bad);
        CHECK_THROWS_WITH(read_sha256_sidecar(d.image()),
                          d.image() + ".sha256: expected a sha256 digest (64 hex digits) as the "
                                      "first word");
    }
}
