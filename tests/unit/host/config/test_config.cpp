#include "host/config/config.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

using namespace imgdeploy;

namespace {

/// A scratch directory holding one config file.
class ConfigDir {
  public:
    ConfigDir() : m_dir("/tmp", "imgdeploy-config-test-") {}

    /// Writes `text` to <dir>/<name> and returns its path.
    std::string write(const std::string& name, const std::string& text) {
        std::string path = m_dir.path() + "/" + name;
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        sys::write_full(fd.get(), text.data(), text.size(), path);
        return path;
    }
    const std::string& path() const { return m_dir.path(); }

  private:
    TempDir m_dir;
};

/// The message of the Error load_config throws for `text`, with the file's
/// path replaced by FILE.
std::string config_error(const std::string& text) {
    ConfigDir dir;
    std::string path = dir.write("imgdeploy.yaml", text);
    try {
        load_config(path, true);
    } catch (const Error& e) {
        std::string message = e.what();
        if (message.starts_with(path)) {
            message.replace(0, path.size(), "FILE");
        }
        return message;
    }
    FAIL("load_config did not throw for:\n" << text);
    return "";
}

void check_defaults(const Config& c) {
    Config d;
    CHECK(c.image_dir == "/var/lib/imgdeploy/images");
    CHECK(c.image_dir == d.image_dir);
    CHECK(c.progress_monitor.empty());
    CHECK(c.variants_dir == "/etc/imgdeploy/variants");
    CHECK(c.tmp_dir == "/tmp");
    CHECK(c.http.connect_timeout_s == 30);
    CHECK(c.http.low_speed_timeout_s == 60);
    CHECK(c.http.retries == 3);
    CHECK(c.helper.dir == "/var/lib/imgdeploy/helper");
    CHECK(c.helper.accel == Accel::auto_);
    CHECK(c.helper.memory_mib == 512);
    CHECK(c.helper.soft_timeout_s == 120);
    CHECK(c.helper.hard_timeout_s == 5);
    CHECK(c.helper.user == "nobody");
}

}  // namespace

TEST_CASE("accel names") {
    CHECK(parse_accel("auto") == Accel::auto_);
    CHECK(parse_accel("kvm") == Accel::kvm);
    CHECK(parse_accel("tcg") == Accel::tcg);
    CHECK_FALSE(parse_accel("KVM"));
    CHECK_FALSE(parse_accel(""));
    for (Accel a : {Accel::auto_, Accel::kvm, Accel::tcg}) {
        CHECK(parse_accel(to_string(a)) == a);
    }
}

TEST_CASE("a missing config file") {
    ConfigDir dir;
    std::string path = dir.path() + "/absent.yaml";
    SECTION("gives the defaults when not required") {
        Config c = load_config(path, false);
        check_defaults(c);
        CHECK(c.source_path.empty());
    }
    SECTION("is an error when required") {
        CHECK_THROWS_WITH(load_config(path, true),
                          path + ": cannot read config: No such file or directory");
    }
}

TEST_CASE("an unreadable config file is an error even when not required") {
    ConfigDir dir;
    CHECK_THROWS_WITH(load_config(dir.path(), false),
                      dir.path() + ": cannot read config: Is a directory");
}

TEST_CASE("empty files give the defaults") {
    for (const char* text : {"", "~\n", "# only a comment\n", "---\n", "null\n"}) {
        INFO(text);
        ConfigDir dir;
        std::string path = dir.write("imgdeploy.yaml", text);
        Config c = load_config(path, true);
        check_defaults(c);
        CHECK(c.source_path == path);
    }
}

TEST_CASE("every key is read") {
    ConfigDir dir;
    std::string path = dir.write("imgdeploy.yaml", R"(
image_dir: /srv/images
progress_monitor: /usr/bin/snf-progress-monitor --flag
variants_dir: /srv/variants
tmp_dir: /var/tmp
http:
  connect_timeout_s: 1
  low_speed_timeout_s: 86400
  retries: 0
helper:
  dir: /srv/helper
  accel: tcg
  memory_mib: 65536
  soft_timeout_s: 600
  hard_timeout_s: 3600
  user: imgdeploy-helper
)");
    Config c = load_config(path, true);
    CHECK(c.image_dir == "/srv/images");
    CHECK(c.progress_monitor == "/usr/bin/snf-progress-monitor --flag");
    CHECK(c.variants_dir == "/srv/variants");
    CHECK(c.tmp_dir == "/var/tmp");
    CHECK(c.http.connect_timeout_s == 1);
    CHECK(c.http.low_speed_timeout_s == 86400);
    CHECK(c.http.retries == 0);
    CHECK(c.helper.dir == "/srv/helper");
    CHECK(c.helper.accel == Accel::tcg);
    CHECK(c.helper.memory_mib == 65536);
    CHECK(c.helper.soft_timeout_s == 600);
    CHECK(c.helper.hard_timeout_s == 3600);
    CHECK(c.helper.user == "imgdeploy-helper");
    CHECK(c.source_path == path);
}

TEST_CASE("partial sections keep the other defaults") {
    ConfigDir dir;
    std::string path =
        dir.write("imgdeploy.yaml", "http:\n  retries: 7\nhelper:\nprogress_monitor:\n");
    Config c = load_config(path, true);
    CHECK(c.http.retries == 7);
    CHECK(c.http.connect_timeout_s == 30);
    CHECK(c.helper.memory_mib == 512);
    CHECK(c.progress_monitor.empty());
}

TEST_CASE("unknown keys name the file, the line and the section") {
    CHECK(config_error("image_dir: /x\nimage_dri: /y\n") == "FILE:2: unknown key 'image_dri'");
    CHECK(config_error("# comment\n\nhttp:\n  retries: 1\n  xyz: 2\n") ==
          "FILE:5: unknown key 'xyz' in section 'http'");
    CHECK(config_error("helper:\n  dir: /a\n\n\n  memory: 1\n") ==
          "FILE:5: unknown key 'memory' in section 'helper'");
}

TEST_CASE("duplicate keys are errors") {
    CHECK(config_error("tmp_dir: /a\ntmp_dir: /b\n") == "FILE:2: duplicate key 'tmp_dir'");
    CHECK(config_error("http:\n  retries: 1\n  retries: 2\n") ==
          "FILE:3: duplicate key 'retries' in section 'http'");
}

TEST_CASE("bad values name the key, the range and the value") {
    CHECK(config_error("http:\n  retries: many\n") ==
          "FILE:2: http.retries: expected a whole number from 0 to 100, got 'many'");
    CHECK(config_error("http:\n  retries: 101\n") ==
          "FILE:2: http.retries: expected a whole number from 0 to 100, got '101'");
    CHECK(config_error("http:\n  retries: -1\n") ==
          "FILE:2: http.retries: expected a whole number from 0 to 100, got '-1'");
    CHECK(config_error("http:\n  connect_timeout_s: 0\n") ==
          "FILE:2: http.connect_timeout_s: expected a whole number from 1 to 3600, got '0'");
    CHECK(config_error("http:\n  connect_timeout_s: 3601\n") ==
          "FILE:2: http.connect_timeout_s: expected a whole number from 1 to 3600, got '3601'");
    CHECK(config_error("http:\n  low_speed_timeout_s: 86401\n") ==
          "FILE:2: http.low_speed_timeout_s: expected a whole number from 1 to 86400, got '86401'");
    CHECK(config_error("helper:\n  memory_mib: 63\n") ==
          "FILE:2: helper.memory_mib: expected a whole number from 64 to 65536, got '63'");
    CHECK(config_error("helper:\n  memory_mib: 512M\n") ==
          "FILE:2: helper.memory_mib: expected a whole number from 64 to 65536, got '512M'");
    CHECK(config_error("helper:\n  soft_timeout_s: 0\n") ==
          "FILE:2: helper.soft_timeout_s: expected a whole number from 1 to 86400, got '0'");
    CHECK(config_error("helper:\n  hard_timeout_s: 3601\n") ==
          "FILE:2: helper.hard_timeout_s: expected a whole number from 1 to 3600, got '3601'");
    CHECK(config_error("helper:\n  accel: xen\n") ==
          "FILE:2: helper.accel: expected auto, kvm or tcg, got 'xen'");
    CHECK(config_error("helper:\n  user: ''\n") ==
          "FILE:2: helper.user: expected a user name, got ''");
    CHECK(config_error("helper:\n  user:\n") ==
          "FILE:2: helper.user: expected a user name, got nothing");
    CHECK(config_error("helper:\n  user:\n\n  dir: /x\n") ==
          "FILE:2: helper.user: expected a user name, got nothing");
    CHECK(config_error("helper:\n  dir: helper\n") ==
          "FILE:2: helper.dir: expected an absolute path, got 'helper'");
    CHECK(config_error("image_dir: images\n") ==
          "FILE:1: image_dir: expected an absolute path, got 'images'");
    CHECK(config_error("variants_dir: ''\n") ==
          "FILE:1: variants_dir: expected an absolute path, got ''");
    CHECK(config_error("tmp_dir:\n") == "FILE:1: tmp_dir: expected an absolute path, got nothing");
    CHECK(config_error("tmp_dir: [/a, /b]\n") ==
          "FILE:1: tmp_dir: expected an absolute path, got a list");
    CHECK(config_error("progress_monitor: {a: b}\n") ==
          "FILE:1: progress_monitor: expected a string, got a mapping");
}

TEST_CASE("sections and the top level must be mappings") {
    CHECK(config_error("http: 5\n") == "FILE:1: http: expected a mapping of settings (key: value)");
    CHECK(config_error("\nhelper:\n  - a\n") ==
          "FILE:3: helper: expected a mapping of settings (key: value)");
    CHECK(config_error("just text\n") ==
          "FILE:1: expected a mapping of settings (key: value) at the top level");
    CHECK(config_error("- a\n- b\n") ==
          "FILE:1: expected a mapping of settings (key: value) at the top level");
}

TEST_CASE("YAML syntax errors carry the line") {
    CHECK_THAT(config_error("image_dir: /x\nhttp:\n  retries: [1, 2\n"),
               Catch::StartsWith("FILE:") && Catch::Contains(": YAML syntax error: "));
    CHECK_THAT(config_error("image_dir: /x\ntmp_dir: /y\n  bad: indent\n"),
               Catch::StartsWith("FILE:3: YAML syntax error: "));
    CHECK(config_error("# x\nimage_dir: a: b\n") == "FILE:2: YAML syntax error: illegal map value");
    CHECK(config_error("http: *nosuch\n") ==
          "FILE:1: YAML syntax error: the referenced anchor is not defined");
}

TEST_CASE("the shipped etc/imgdeploy.yaml loads and gives exactly the defaults") {
    std::string path = std::string(IMGDEPLOY_SOURCE_DIR) + "/etc/imgdeploy.yaml";
    Config c = load_config(path, true);
    check_defaults(c);
    CHECK(c.source_path == path);

    // Every key is present in it (not just commented), so the test above
    // checks the documented defaults against the compiled ones.
    std::string text = sys::read_file(path);
    for (const char* key : {"\nimage_dir: ",
                            "\nprogress_monitor: ",
                            "\nvariants_dir: ",
                            "\ntmp_dir: ",
                            "\nhttp:\n",
                            "\n  connect_timeout_s: ",
                            "\n  low_speed_timeout_s: ",
                            "\n  retries: ",
                            "\nhelper:\n",
                            "\n  dir: ",
                            "\n  accel: ",
                            "\n  memory_mib: ",
                            "\n  soft_timeout_s: ",
                            "\n  hard_timeout_s: ",
                            "\n  user: "}) {
        INFO(key);
        CHECK(text.find(key) != std::string::npos);
    }
}
