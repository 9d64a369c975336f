#include "host/ganeti/os_parameters.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

using namespace imgdeploy;

namespace {

using Problems = std::vector<std::string>;

/// The smallest valid set: a local image in diskdump format.
OsParameters valid_params() {
    OsParameters p;
    p.set("img_id", "debian-12");
    p.set("img_format", "diskdump");
    return p;
}

Problems validate_with(const std::string& name, const std::string& value) {
    OsParameters p = valid_params();
    p.set(name, value);
    return validate_os_parameters(p);
}

bool any_contains(const Problems& problems, const std::string& needle) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& s) {
        return s.find(needle) != std::string::npos;
    });
}

std::string joined(const Problems& problems) {
    std::string out;
    for (const std::string& p : problems) {
        out += p + "\n";
    }
    return out;
}

const std::string k_sha = "sha256:" + std::string(64, 'a');

}  // namespace

TEST_CASE("os_parameter_specs lists the snf-image parameters plus img_checksum, in order") {
    std::vector<std::string> names;
    for (const OsParameterSpec& spec : os_parameter_specs()) {
        names.emplace_back(spec.name);
        std::string description = spec.description;
        CHECK(!description.empty());
        CHECK(description.find('\n') == std::string::npos);
    }
    CHECK(names == std::vector<std::string>{"img_id",
                                            "img_format",
                                            "img_passwd",
                                            "img_passwd_hash",
                                            "auth_keys",
                                            "img_properties",
                                            "inst_properties",
                                            "img_personality",
                                            "config_url",
                                            "os_product_key",
                                            "os_answer_file",
                                            "cloud_userdata",
                                            "img_checksum"});
    std::set<std::string> secret;
    for (const OsParameterSpec& spec : os_parameter_specs()) {
        if (spec.secret) {
            secret.insert(spec.name);
        }
    }
    CHECK(secret == std::set<std::string>{"img_passwd",
                                          "img_passwd_hash",
                                          "img_personality",
                                          "os_product_key",
                                          "cloud_userdata"});
}

TEST_CASE("find_os_parameter") {
    REQUIRE(find_os_parameter("img_id") != nullptr);
    CHECK(std::string(find_os_parameter("img_id")->name) == "img_id");
    CHECK(find_os_parameter("IMG_ID") == nullptr);
    CHECK(find_os_parameter("nosuch") == nullptr);
    CHECK(find_os_parameter("") == nullptr);
}

TEST_CASE("OsParameters keeps unset and empty apart") {
    OsParameters p;
    CHECK_FALSE(p.has("img_passwd"));
    CHECK_FALSE(p.get("img_passwd"));
    p.set("img_passwd", "");
    CHECK(p.has("img_passwd"));
    REQUIRE(p.get("img_passwd"));
    CHECK(p.get("img_passwd")->empty());
}

TEST_CASE("OsParameters defaults and overrides") {
    OsParameters p;
    p.set("img_id", "mine");
    p.set("auth_keys", "");
    OsParameters other;
    other.set("img_id", "theirs");
    other.set("img_format", "extdump");
    other.set("auth_keys", "key");

    SECTION("apply_defaults fills only what is unset (an empty value is set)") {
        p.apply_defaults(other);
        CHECK(p.get("img_id") == "mine");
        CHECK(p.get("img_format") == "extdump");
        CHECK(p.get("auth_keys") == "");
    }
    SECTION("override_with replaces everything the other sets") {
        p.override_with(other);
        CHECK(p.get("img_id") == "theirs");
        CHECK(p.get("img_format") == "extdump");
        CHECK(p.get("auth_keys") == "key");
        CHECK(p.values().size() == 3);
    }
}

TEST_CASE("image formats") {
    CHECK(parse_image_format("diskdump") == ImageFormat::diskdump);
    CHECK(parse_image_format("extdump") == ImageFormat::extdump);
    CHECK(parse_image_format("ntfsdump") == ImageFormat::ntfsdump);
    CHECK_FALSE(parse_image_format("qcow2"));
    CHECK_FALSE(parse_image_format("DISKDUMP"));
    CHECK_FALSE(parse_image_format(""));
    for (ImageFormat f : {ImageFormat::diskdump, ImageFormat::extdump, ImageFormat::ntfsdump}) {
        CHECK(parse_image_format(to_string(f)) == f);
    }
}

TEST_CASE("a minimal valid set has no problems") {
    CHECK(validate_os_parameters(valid_params()).empty());
}

TEST_CASE("every parameter valid at once") {
    OsParameters p = valid_params();
    p.set("img_passwd", "pw");
    p.set("auth_keys", "ssh-ed25519 AAAA user@host");
    p.set("img_properties", R"({"OSFAMILY": "linux", "ROOT_PARTITION": "1"})");
    p.set("inst_properties", R"({"USERS": "root"})");
    p.set(
        "img_personality",
        R"([{"path": "/etc/motd", "contents": "aGVsbG8K", "owner": "root", "group": "root", "mode": 288},
              {"path": "/root/x", "contents": ""}])");
    p.set("os_product_key", "ABCDE-12345-abcde-FGHIJ-67890");
    p.set("os_answer_file", "https://example.org/unattend.xml");
    p.set("cloud_userdata", base64_encode("#cloud-config\n"));
    p.set("img_checksum", k_sha);
    CHECK(validate_os_parameters(p) == Problems{});
}

TEST_CASE("img_id and img_format are required") {
    SECTION("both missing: two problems") {
        Problems problems = validate_os_parameters(OsParameters());
        REQUIRE(problems.size() == 2);
        CHECK(problems[0].starts_with("img_id: required"));
        CHECK(problems[1].starts_with("img_format: required"));
    }
    SECTION("both empty") {
        OsParameters p;
        p.set("img_id", "");
        p.set("img_format", "");
        Problems problems = validate_os_parameters(p);
        REQUIRE(problems.size() == 2);
        CHECK(problems[0].starts_with("img_id: required"));
        CHECK(problems[1].starts_with("img_format: required"));
    }
}

TEST_CASE("img_format must be one of the three formats") {
    Problems problems = validate_with("img_format", "qcow2");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "img_format: 'qcow2' is not one of diskdump, extdump, ntfsdump");
    CHECK(validate_with("img_format", "extdump").empty());
    CHECK(validate_with("img_format", "ntfsdump").empty());
}

TEST_CASE("config_url skips every other check, like snf-image's verify") {
    OsParameters p;
    p.set("config_url", "http://config.example/inst1.json");
    p.set("img_format", "qcow2");
    p.set("img_passwd", "a");
    p.set("img_passwd_hash", "b");
    CHECK(validate_os_parameters(p).empty());

    SECTION("an empty config_url does not") {
        p.set("config_url", "");
        CHECK(validate_os_parameters(p).size() == 3);
    }
}

TEST_CASE("img_id: accepted forms") {
    for (const char* id : {"null",
                           "debian-12",
                           "debian-12.diskdump",
                           "sub/dir/image.img",
                           "local://debian-12",
                           "local://sub/debian-12",
                           "file://debian-12",
                           "http://images.example/debian.img",
                           "https://images.example:8443/a/b?c=d",
                           "https://user:pw@images.example/x",
                           "ftp://ftp.example/pub/x.img",
                           "ftps://ftp.example/x",
                           "http://[::1]:8080/x",
                           "HTTP://images.example/x"}) {
        INFO(id);
        CHECK(validate_with("img_id", id).empty());
    }
}

TEST_CASE("img_id: rejected forms") {
    struct Case {
        const char* id;
        const char* expected;
    };
    for (const Case& c : {
             Case{"../etc/shadow", "'..' path component"},
             Case{"a/../../b", "'..' path component"},
             Case{"local://..", "'..' path component"},
             Case{"local://a/./b", "'.' path component"},
             Case{"/etc/shadow", "absolute path"},
             Case{"local:///etc/shadow", "absolute path"},
             Case{"file:///var/lib/images/x", "absolute path"},
             Case{"a//b", "empty path component"},
             Case{"dir/", "empty path component"},
             Case{"local://", "is empty"},
             Case{"file://", "is empty"},
             Case{"local:debian", "not a valid local:// id"},
             Case{"http://", "has no host"},
             Case{"https:///path", "has no host"},
             Case{"ftp://user@/x", "has no host"},
             Case{"http:images.example/x", "is not a URL"},
             Case{"http://host/a b", "whitespace or control characters"},
             Case{"pithos://acct/container/object",
                  "pithos:// images are not supported by imgdeploy"},
             Case{"pithosmap://abcdef/1024", "pithosmap:// images are not supported by imgdeploy"},
             Case{"rbd://pool/image", "unknown scheme 'rbd'"},
             Case{"debian:12", "unknown scheme 'debian'"},
         }) {
        INFO(c.id);
        Problems problems = validate_with("img_id", c.id);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].starts_with("img_id: "));
        CHECK_THAT(problems[0], Catch::Contains(c.expected));
    }
}

TEST_CASE("img_id: a NUL byte in a local name") {
    Problems problems = validate_with("img_id", std::string("a\0b", 3));
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("NUL"));
}

TEST_CASE("img_id: credentials in a URL stay out of messages") {
    Problems problems = validate_with("img_id", "http://user:hunter2@/x");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("hunter2") == std::string::npos);
}

TEST_CASE("parse_image_id") {
    ImageId id = parse_image_id("null");
    CHECK(id.kind == ImageIdKind::null);
    CHECK(id.location.empty());

    id = parse_image_id("debian-12");
    CHECK(id.kind == ImageIdKind::local);
    CHECK(id.location == "debian-12");
    CHECK_FALSE(id.deprecated_file_scheme);

    id = parse_image_id("local://sub/x.img");
    CHECK(id.kind == ImageIdKind::local);
    CHECK(id.location == "sub/x.img");

    id = parse_image_id("file://x.img");
    CHECK(id.kind == ImageIdKind::local);
    CHECK(id.location == "x.img");
    CHECK(id.deprecated_file_scheme);

    id = parse_image_id("https://h/x.img");
    CHECK(id.kind == ImageIdKind::url);
    CHECK(id.location == "https://h/x.img");

    CHECK_THROWS_AS(parse_image_id(""), Error);
    CHECK_THROWS_WITH(parse_image_id("gopher://h/x"), Catch::StartsWith("img_id: unknown scheme"));
}

TEST_CASE("img_passwd and img_passwd_hash are mutually exclusive") {
    OsParameters p = valid_params();
    p.set("img_passwd", "SeCrEt-PW-1");
    CHECK(validate_os_parameters(p).empty());
    p.set("img_passwd_hash", "$6$SeCrEt-HASH-2");
    Problems problems = validate_os_parameters(p);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("mutually exclusive"));
    CHECK(problems[0].find("SeCrEt") == std::string::npos);

    SECTION("even when both are empty") {
        OsParameters q = valid_params();
        q.set("img_passwd", "");
        q.set("img_passwd_hash", "");
        CHECK(validate_os_parameters(q).size() == 1);
    }
    SECTION("the hash alone is fine") {
        OsParameters q = valid_params();
        q.set("img_passwd_hash", "$6$x");
        CHECK(validate_os_parameters(q).empty());
    }
}

TEST_CASE("img_properties and inst_properties must be JSON objects") {
    for (const char* name : {"img_properties", "inst_properties"}) {
        INFO(name);
        CHECK(validate_with(name, "").empty());
        CHECK(validate_with(name, "{}").empty());
        CHECK(validate_with(name, R"({"OSFAMILY":"linux"})").empty());

        Problems problems = validate_with(name, R"({"OSFAMILY": })");
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].starts_with(std::string(name) + ": not valid JSON: "));
        CHECK_THAT(problems[0], Catch::Contains("line 1, column 14"));

        problems = validate_with(name, R"(["a"])");
        REQUIRE(problems.size() == 1);
        CHECK(problems[0] == std::string(name) + ": expected a JSON object, got array");

        problems = validate_with(name, "42");
        REQUIRE(problems.size() == 1);
        CHECK(problems[0] == std::string(name) + ": expected a JSON object, got number");
    }
}

TEST_CASE("img_personality: good") {
    CHECK(validate_with("img_personality", "").empty());
    CHECK(validate_with("img_personality", "[]").empty());
    CHECK(
        validate_with(
            "img_personality",
            R"([{"path":"/a","contents":"YQ==","mode":0},{"path":"/b","contents":"","mode":4095}])")
            .empty());
}

TEST_CASE("img_personality: every bad field is reported with its index") {
    const std::string text = R"([
        "not an object",
        {"owner": "root"},
        {"path": "relative/path", "contents": "SeCrEtKeY!!"},
        {"path": 5, "contents": 6},
        {"path": "/a", "contents": "YQ==", "mode": 4096},
        {"path": "/a", "contents": "YQ==", "mode": "0644"},
        {"path": "/a", "contents": "YQ==", "mode": -1},
        {"path": "/a", "contents": "YQ==", "mode": 1.5},
        {"path": "/a", "contents": "YQ==", "owner": 0, "group": []},
        {"path": "/a", "contents": "YQ"}
    ])";
    Problems problems = validate_with("img_personality", text);
    CHECK(problems == Problems{
                          "img_personality[0]: expected a JSON object, got string",
                          "img_personality[1].path: required",
                          "img_personality[1].contents: required",
                          "img_personality[2].path: must be an absolute path",
                          "img_personality[2].contents: not valid base64",
                          "img_personality[3].path: expected a string, got number",
                          "img_personality[3].contents: expected a string, got number",
                          "img_personality[4].mode: expected an integer from 0 to 4095 (decimal), "
                          "got an integer out of range",
                          "img_personality[5].mode: expected an integer from 0 to 4095 (decimal), "
                          "got string",
                          "img_personality[6].mode: expected an integer from 0 to 4095 (decimal), "
                          "got an integer out of range",
                          "img_personality[7].mode: expected an integer from 0 to 4095 (decimal), "
                          "got number",
                          "img_personality[8].owner: expected a string, got number",
                          "img_personality[8].group: expected a string, got array",
                          "img_personality[9].contents: not valid base64",
                      });
    CHECK(joined(problems).find("SeCrEt") == std::string::npos);
}

TEST_CASE("img_personality: not JSON, or not an array, without quoting the text") {
    Problems problems = validate_with("img_personality", "[{\"path\": \"/x\", SeCrEt-KEY");
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0],
               Catch::StartsWith("img_personality: not valid JSON (syntax error at line 1"));
    CHECK(problems[0].find("SeCrEt") == std::string::npos);

    problems = validate_with("img_personality", "[\n{\"a\":\n SeCrEt }]");
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::Contains("at line 3, column"));
    CHECK(problems[0].find("SeCrEt") == std::string::npos);

    problems = validate_with("img_personality", R"({"path": "/SeCrEt"})");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "img_personality: expected a JSON array, got object");
}

TEST_CASE("cloud_userdata must be base64") {
    CHECK(validate_with("cloud_userdata", "").empty());
    CHECK(validate_with("cloud_userdata", base64_encode("#cloud-config\nusers: []\n")).empty());
    Problems problems = validate_with("cloud_userdata", "#cloud-config SeCrEt");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "cloud_userdata: not valid base64");
}

TEST_CASE("os_product_key format") {
    CHECK(validate_with("os_product_key", "ABCDE-FGHIJ-KLMNO-PQRST-12345").empty());
    for (const char* key : {"",
                            "SeCrE-FGHIJ-KLMNO-PQRST-1234",
                            "SeCrE-FGHIJ-KLMNO-PQRST-123456",
                            "SeCrE_FGHIJ-KLMNO-PQRST-12345",
                            "SeCrE-FGHIJ-KLMNO-PQRST-1234!",
                            "SeCrEFGHIJ-KLMNO-PQRST-12345-",
                            "SeCrE-FGHIJ-KLMNO-PQRST-12345-ABCDE"}) {
        INFO(key);
        Problems problems = validate_with("os_product_key", key);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].starts_with("os_product_key: expected five groups"));
        CHECK(problems[0].find("SeCrE") == std::string::npos);
    }
}

TEST_CASE("os_answer_file must be an http(s), ftp(s) or file URL") {
    for (const char* url :
         {"http://h/u.xml", "https://h/u.xml", "ftp://h/u", "ftps://h/u", "file:///u.xml"}) {
        INFO(url);
        CHECK(validate_with("os_answer_file", url).empty());
    }
    for (const char* url : {"", "http://", "gopher://h/u", "/etc/unattend.xml", "HTTP://h/u"}) {
        INFO(url);
        Problems problems = validate_with("os_answer_file", url);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].starts_with("os_answer_file: "));
    }
}

TEST_CASE("img_checksum format") {
    CHECK(validate_with("img_checksum", k_sha).empty());
    CHECK(validate_with("img_checksum", "sha256:" + std::string(64, 'F')).empty());
    for (const std::string& sum : {std::string(""),
                                   std::string(64, 'a'),
                                   "sha256:" + std::string(63, 'a'),
                                   "sha256:" + std::string(65, 'a'),
                                   "sha256:" + std::string(63, 'a') + "g",
                                   "sha512:" + std::string(64, 'a'),
                                   "SHA256:" + std::string(64, 'a')}) {
        INFO(sum);
        Problems problems = validate_with("img_checksum", sum);
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].starts_with("img_checksum: expected sha256: followed by 64 hex digits"));
    }
}

TEST_CASE("every problem is reported at once, and no secret value appears") {
    OsParameters p;
    p.set("img_id", "../escape");
    p.set("img_format", "qcow2");
    p.set("img_passwd", "SeCrEt-passwd");
    p.set("img_passwd_hash", "SeCrEt-hash");
    p.set("img_properties", "[]");
    p.set("inst_properties", "{");
    p.set("img_personality", "SeCrEt-personality");
    p.set("os_product_key", "SeCrEt-key");
    p.set("os_answer_file", "nope");
    p.set("cloud_userdata", "SeCrEt-userdata!");
    p.set("img_checksum", "md5:abc");
    Problems problems = validate_os_parameters(p);
    INFO(joined(problems));
    CHECK(problems.size() == 10);
    for (const char* name : {"img_id:",
                             "img_format:",
                             "mutually exclusive",
                             "img_properties:",
                             "inst_properties:",
                             "img_personality:",
                             "os_product_key:",
                             "os_answer_file:",
                             "cloud_userdata:",
                             "img_checksum:"}) {
        CHECK(any_contains(problems, name));
    }
    CHECK_FALSE(any_contains(problems, "SeCrEt"));
    for (const std::string& problem : problems) {
        CHECK(problem.find('\n') == std::string::npos);
    }
}
