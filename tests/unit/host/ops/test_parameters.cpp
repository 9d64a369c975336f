#include "host/ops/parameters.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::string k_sum_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string k_sum_b = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An image_dir holding debian.img, with optional sidecars.
class ImageDir {
  public:
    ImageDir() : m_dir("/tmp", "imgdeploy-unit-") {
        write("debian.img", "image");
        m_config.image_dir = m_dir.path();
    }
    void write(const std::string& name, const std::string& text) const {
        std::string path = m_dir.path() + "/" + name;
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        sys::write_full(fd.get(), text.data(), text.size(), path);
    }
    const Config& config() const { return m_config; }
    std::string image_path() const { return sys::realpath(m_dir.path()) + "/debian.img"; }

  private:
    TempDir m_dir;
    Config m_config;
};

OsParameters params_with(std::initializer_list<std::pair<const char*, std::string>> values) {
    OsParameters p;
    for (const auto& [name, value] : values) {
        p.set(name, value);
    }
    return p;
}

}  // namespace

TEST_CASE("make_image_request for a local image", "[parameters]") {
    ImageDir dir;
    ImageRequest r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"}}));
    CHECK(r.id.kind == ImageIdKind::local);
    CHECK(r.id.location == "debian.img");
    CHECK(r.format == ImageFormat::diskdump);
    CHECK(r.local_path == dir.image_path());
    CHECK_FALSE(r.expected_sha256);
    CHECK(r.checksum_origin.empty());
    CHECK(r.properties == json::object());
}

TEST_CASE("make_image_request reads the format", "[parameters]") {
    ImageDir dir;
    auto r = make_image_request(dir.config(), params_with({{"img_id", "local://debian.img"},
                                                           {"img_format", "ntfsdump"}}));
    CHECK(r.format == ImageFormat::ntfsdump);
    r = make_image_request(dir.config(),
                           params_with({{"img_id", "debian.img"}, {"img_format", "extdump"}}));
    CHECK(r.format == ImageFormat::extdump);
}

TEST_CASE("make_image_request merges .meta < img_properties < inst_properties",
          "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.meta",
              R"({"properties": {"osfamily": "linux", "Root_Partition": "1", "USERS": "root",
                                 "SWAP": "2:512", "size": 5, "kernel": null, "flag": true}})");
    auto r = make_image_request(
        dir.config(),
        params_with({{"img_id", "debian.img"},
                     {"img_properties", R"({"root_partition": "2", "swap": "2:1024", "extra": 7})"},
                     {"inst_properties", R"({"SWAP": "3:2048", "Password_Change": "yes"})"}}));
    json want = {
        {"OSFAMILY", "linux"},        // .meta only, key upper-cased
        {"ROOT_PARTITION", "2"},      // img_properties over .meta
        {"USERS", "root"},            // .meta only
        {"SWAP", "3:2048"},           // inst_properties over both
        {"SIZE", "5"},                // numbers become text
        {"KERNEL", "null"},           // so does null
        {"FLAG", "true"},             // and booleans
        {"EXTRA", "7"},               // img_properties only
        {"PASSWORD_CHANGE", "yes"},   // inst_properties only
    };
    CHECK(r.properties == want);
}

TEST_CASE("make_image_request accepts a flat .meta", "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.meta", R"({"OSFAMILY": "windows"})");
    auto r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"}}));
    CHECK(r.properties == json{{"OSFAMILY", "windows"}});
}

TEST_CASE("make_image_request treats blank property parameters as none", "[parameters]") {
    ImageDir dir;
    auto r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"},
                                                           {"img_properties", ""},
                                                           {"inst_properties", "  \n"}}));
    CHECK(r.properties == json::object());
}

TEST_CASE("make_image_request reports a bad .meta", "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.meta", "{not json");
    CHECK_THROWS_WITH(make_image_request(dir.config(), params_with({{"img_id", "debian.img"}})),
                      Contains("debian.img.meta: not valid JSON"));
}

TEST_CASE("make_image_request takes the checksum from img_checksum", "[parameters]") {
    ImageDir dir;
    std::string upper = k_sum_b;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    auto r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"},
                                                           {"img_checksum", "sha256:" + upper}}));
    CHECK(r.expected_sha256 == k_sum_b);
    CHECK(r.checksum_origin == "img_checksum");
    r = make_image_request(dir.config(),
                           params_with({{"img_id", "debian.img"}, {"img_checksum", k_sum_b}}));
    CHECK(r.expected_sha256 == k_sum_b);
}

TEST_CASE("make_image_request falls back to the .sha256 sidecar", "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.sha256", k_sum_a + "  debian.img\n");
    auto r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"}}));
    CHECK(r.expected_sha256 == k_sum_a);
    CHECK(r.checksum_origin == dir.image_path() + ".sha256");
    // An empty img_checksum does not count.
    r = make_image_request(dir.config(),
                           params_with({{"img_id", "debian.img"}, {"img_checksum", ""}}));
    CHECK(r.expected_sha256 == k_sum_a);
    // img_checksum wins over the sidecar.
    r = make_image_request(dir.config(), params_with({{"img_id", "debian.img"},
                                                      {"img_checksum", "sha256:" + k_sum_b}}));
    CHECK(r.expected_sha256 == k_sum_b);
    CHECK(r.checksum_origin == "img_checksum");
}

TEST_CASE("make_image_request reports a bad .sha256 sidecar", "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.sha256", "not a digest\n");
    CHECK_THROWS_WITH(make_image_request(dir.config(), params_with({{"img_id", "debian.img"}})),
                      Contains("debian.img.sha256: expected a sha256 digest"));
}

TEST_CASE("make_image_request for null and URL images reads no sidecars", "[parameters]") {
    ImageDir dir;
    dir.write("debian.img.meta", R"({"OSFAMILY": "linux"})");
    dir.write("debian.img.sha256", k_sum_a);
    auto r = make_image_request(dir.config(),
                                params_with({{"img_id", "null"},
                                             {"img_properties", R"({"a": "b"})"}}));
    CHECK(r.id.kind == ImageIdKind::null);
    CHECK_FALSE(r.local_path);
    CHECK_FALSE(r.expected_sha256);
    CHECK(r.properties == json{{"A", "b"}});

    r = make_image_request(dir.config(),
                           params_with({{"img_id", "http://127.0.0.1:9/debian.img"}}));
    CHECK(r.id.kind == ImageIdKind::url);
    CHECK(r.id.location == "http://127.0.0.1:9/debian.img");
    CHECK_FALSE(r.local_path);
    CHECK_FALSE(r.expected_sha256);
    CHECK(r.properties == json::object());
}

TEST_CASE("make_image_request for a missing or escaping local image", "[parameters]") {
    ImageDir dir;
    CHECK_THROWS_WITH(make_image_request(dir.config(), params_with({{"img_id", "nope.img"}})),
                      Contains("image 'nope.img' not found"));
    CHECK_THROWS_AS(make_image_request(dir.config(), params_with({{"img_id", "../x.img"}})),
                    Error);
}

TEST_CASE("make_image_request marks the deprecated file:// form", "[parameters]") {
    ImageDir dir;
    auto r = make_image_request(dir.config(), params_with({{"img_id", "file://debian.img"}}));
    CHECK(r.id.deprecated_file_scheme);
    CHECK(r.local_path == dir.image_path());
}

TEST_CASE("property_is_true", "[parameters]") {
    json props = {{"EXCLUDE_ALL_TASKS", "yes"}, {"NO", "no"},        {"EMPTY", ""},
                  {"ZERO", "0"},                 {"OFF", "Off"},      {"BOOL_TRUE", true},
                  {"BOOL_FALSE", false},         {"NUMBER_ONE", 1},   {"NUMBER_ZERO", 0},
                  {"OTHER", "whatever"}};
    CHECK(property_is_true(props, "EXCLUDE_ALL_TASKS"));
    CHECK(property_is_true(props, "exclude_all_tasks"));  // looked up upper-cased
    CHECK_FALSE(property_is_true(props, "NO"));
    CHECK_FALSE(property_is_true(props, "EMPTY"));
    CHECK_FALSE(property_is_true(props, "ZERO"));
    CHECK_FALSE(property_is_true(props, "OFF"));
    CHECK(property_is_true(props, "BOOL_TRUE"));
    CHECK_FALSE(property_is_true(props, "BOOL_FALSE"));
    CHECK(property_is_true(props, "NUMBER_ONE"));
    CHECK_FALSE(property_is_true(props, "NUMBER_ZERO"));
    CHECK(property_is_true(props, "OTHER"));
    CHECK_FALSE(property_is_true(props, "MISSING"));
    CHECK_FALSE(property_is_true(json::object(), "ANY"));
}
