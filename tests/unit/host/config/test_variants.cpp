#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "host/config/config.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

using namespace imgdeploy;

namespace {

/// A Config whose variants_dir is a scratch directory.
class VariantsDir {
  public:
    VariantsDir() : m_dir("/tmp", "imgdeploy-variants-test-") {
        m_config.variants_dir = m_dir.path();
    }

    std::string write(const std::string& variant, const std::string& text) {
        std::string path = m_dir.path() + "/" + variant + ".yaml";
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        sys::write_full(fd.get(), text.data(), text.size(), path);
        return path;
    }
    const Config& config() const { return m_config; }
    const std::string& path() const { return m_dir.path(); }

  private:
    TempDir m_dir;
    Config m_config;
};

}  // namespace

TEST_CASE("a variant file sets OS-parameter defaults") {
    VariantsDir dir;
    dir.write(
        "windows",
        "# Windows defaults\n"
        "img_format: ntfsdump\n"
        "img_properties: '{\"OSFAMILY\": \"windows\"}'\n"
        "os_product_key: ABCDE-FGHIJ-KLMNO-PQRST-12345\n"
        "auth_keys: ''\n"
        "img_checksum: sha256:0000000000000000000000000000000000000000000000000000000000000000\n");
    OsParameters p = load_variant_defaults(dir.config(), "windows");
    CHECK(p.values() ==
          std::map<std::string, std::string>{
              {"img_format", "ntfsdump"},
              {"img_properties", "{\"OSFAMILY\": \"windows\"}"},
              {"os_product_key", "ABCDE-FGHIJ-KLMNO-PQRST-12345"},
              {"auth_keys", ""},
              {"img_checksum",
               "sha256:0000000000000000000000000000000000000000000000000000000000000000"}});
}

TEST_CASE("variant values that YAML reads as numbers or booleans stay as written") {
    VariantsDir dir;
    dir.write("v1", "img_passwd: 0123\nimg_id: yes\nconfig_url: 1.50\n");
    OsParameters p = load_variant_defaults(dir.config(), "v1");
    CHECK(p.get("img_passwd") == "0123");
    CHECK(p.get("img_id") == "yes");
    CHECK(p.get("config_url") == "1.50");
}

TEST_CASE("variant files that are empty or only comments give no defaults") {
    VariantsDir dir;
    for (const char* text : {"", "~\n", "# nothing\n"}) {
        dir.write("empty", text);
        CHECK(load_variant_defaults(dir.config(), "empty").values().empty());
    }
}

TEST_CASE("a missing variant file") {
    VariantsDir dir;
    SECTION("is fine for the default variant") {
        CHECK(load_variant_defaults(dir.config(), "default").values().empty());
    }
    SECTION("is an error for any other variant") {
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "minimal"),
                          "variant 'minimal' has no file " + dir.path() + "/minimal.yaml");
    }
}

TEST_CASE("variant names cannot leave variants_dir") {
    VariantsDir dir;
    for (const char* name : {"", ".hidden", "..", "../etc/passwd", "a/b", "a b", "a\nb", "ü"}) {
        INFO(name);
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), name),
                          Catch::Contains("invalid name"));
    }
    dir.write("Ok_1.2-x", "img_format: diskdump\n");
    CHECK(load_variant_defaults(dir.config(), "Ok_1.2-x").get("img_format") == "diskdump");
}

TEST_CASE("variant file errors name the file and line") {
    VariantsDir dir;
    SECTION("unknown OS parameter") {
        std::string path = dir.write("v", "img_format: diskdump\n\nimg_fromat: x\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          path + ":3: unknown OS parameter 'img_fromat'");
    }
    SECTION("names are the lower-case ones of parameters.list") {
        std::string path = dir.write("v", "IMG_FORMAT: diskdump\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          path + ":1: unknown OS parameter 'IMG_FORMAT'");
    }
    SECTION("a value that is not a single scalar, without printing it") {
        std::string path = dir.write("v", "img_passwd:\n  - SeCrEt\n");
        CHECK_THROWS_WITH(
            load_variant_defaults(dir.config(), "v"),
            path + ":2: img_passwd: expected a single value (text or a number), got a list");
        path = dir.write("v", "img_passwd:\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          Catch::StartsWith(path + ":1: img_passwd: expected a single value"));
    }
    SECTION("duplicate parameter") {
        std::string path = dir.write("v", "img_format: diskdump\nimg_format: extdump\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          path + ":2: duplicate key 'img_format'");
    }
    SECTION("not a mapping") {
        std::string path = dir.write("v", "- img_format\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          Catch::StartsWith(path + ":1: expected a mapping"));
    }
    SECTION("YAML syntax error") {
        std::string path = dir.write("v", "img_format: diskdump\nimg_id: [a\n");
        CHECK_THROWS_WITH(load_variant_defaults(dir.config(), "v"),
                          Catch::StartsWith(path + ":") &&
                              Catch::Contains(": YAML syntax error: "));
    }
}

TEST_CASE("the shipped etc/variants/default.yaml gives no defaults") {
    Config config;
    config.variants_dir = std::string(IMGDEPLOY_SOURCE_DIR) + "/etc/variants";
    CHECK(load_variant_defaults(config, "default").values().empty());
}

TEST_CASE("the example in etc/variants/default.yaml is valid once uncommented") {
    std::string text =
        sys::read_file(std::string(IMGDEPLOY_SOURCE_DIR) + "/etc/variants/default.yaml");
    std::string uncommented;
    size_t examples = text.find("# Examples:\n");
    REQUIRE(examples != std::string::npos);
    for (size_t pos = examples + 12; pos < text.size();) {
        size_t end = text.find('\n', pos);
        std::string line = text.substr(pos, end - pos);
        uncommented += (line.starts_with("# ") ? line.substr(2) : line) + "\n";
        pos = end == std::string::npos ? text.size() : end + 1;
    }
    VariantsDir dir;
    dir.write("example", uncommented);
    OsParameters p = load_variant_defaults(dir.config(), "example");
    CHECK(p.get("img_format") == "diskdump");
    p.set("img_id", "debian-12");
    CHECK(validate_os_parameters(p).empty());
}
