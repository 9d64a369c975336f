#include "host/ganeti/environment.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tests/unit/host/ganeti/ganeti_env_fixtures.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using Env = std::map<std::string, std::string>;

namespace {

/// "VAR=value" lines as a map (the value may contain '=' or be empty).
Env env_from_text(const char* text) {
    Env env;
    for (const std::string& line : split(text, '\n')) {
        size_t eq = line.find('=');
        if (eq != std::string::npos) {
            env[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return env;
}

/// Only the core environment, as verify gets it.
Env core_env() {
    return Env{{"OS_API_VERSION", "20"},
               {"OS_NAME", "imgdeploy"},
               {"OS_VARIANT", "default"},
               {"DEBUG_LEVEL", "0"},
               {"PATH", "/sbin:/bin:/usr/sbin:/usr/bin"},
               {"OSP_IMG_ID", "debian-12"},
               {"OSP_IMG_FORMAT", "diskdump"}};
}

Env instance_env() {
    Env env = core_env();
    env["INSTANCE_NAME"] = "inst1.gnt.test";
    env["HYPERVISOR"] = "kvm";
    return env;
}

/// The message of the Error parse_ganeti_env throws.
std::string env_error(GanetiScript script, const Env& env) {
    try {
        parse_ganeti_env(script, env);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("parse_ganeti_env did not throw");
    return "";
}

}  // namespace

TEST_CASE("parse_ganeti_script") {
    CHECK(parse_ganeti_script("create") == GanetiScript::create);
    CHECK(parse_ganeti_script("import") == GanetiScript::import);
    CHECK(parse_ganeti_script("export") == GanetiScript::export_);
    CHECK(parse_ganeti_script("rename") == GanetiScript::rename);
    CHECK(parse_ganeti_script("verify") == GanetiScript::verify);
    CHECK_FALSE(parse_ganeti_script("create_untrusted"));
    CHECK_FALSE(parse_ganeti_script("Create"));
    CHECK_FALSE(parse_ganeti_script(""));
    CHECK(std::string(to_string(GanetiScript::export_)) == "export");
}

TEST_CASE("create: the ext-disk environment of a real cluster") {
    GanetiEnv g = parse_ganeti_env(GanetiScript::create, env_from_text(test::k_env_ext_disk));
    CHECK(g.api_version == 20);
    CHECK(g.os_name == "testos");
    CHECK(g.variant == "default");
    CHECK(g.debug_level == 0);
    CHECK(g.instance_name == "inst3.gnt.test");
    CHECK(g.hypervisor == "fake");
    CHECK(g.disk_type.empty());
    CHECK_FALSE(g.reinstall);
    REQUIRE(g.disks.size() == 1);
    CHECK(g.disks[0].path == "/dev/loop1");
    CHECK_FALSE(g.disks[0].uri);
    CHECK(g.disks[0].access == "rw");
    CHECK(g.disks[0].backend_type == "block");
    CHECK(g.disks[0].frontend_type.empty());
    CHECK(g.disks[0].size_mib == 64u);
    CHECK(g.params.values() == std::map<std::string, std::string>{{"someparam", "blk"}});
    CHECK(g.nic_vars == Env{{"NIC_0_BRIDGE", "gntbr0"},
                            {"NIC_0_LINK", "gntbr0"},
                            {"NIC_0_MAC", "aa:00:00:67:4d:8c"},
                            {"NIC_0_MODE", "bridged"},
                            {"NIC_0_UUID", "87a2b6e1-0b13-4991-b99f-7627b1e74c28"},
                            {"NIC_COUNT", "1"}});
}

TEST_CASE("create: two file disks, a network NIC, private and secret parameters") {
    GanetiEnv g =
        parse_ganeti_env(GanetiScript::create, env_from_text(test::k_env_file_disks_network));
    CHECK(g.variant == "minimal");
    CHECK(g.instance_name == "inst2.gnt.test");
    REQUIRE(g.disks.size() == 2);
    CHECK(
        g.disks[0].path ==
        "/srv/ganeti/file-storage/inst2.gnt.test/1776a0ec-3197-43eb-b0f2-1f84899eff9d.file.disk0");
    CHECK(g.disks[0].backend_type == "file:loop");
    CHECK(g.disks[0].size_mib == 64u);
    CHECK(g.disks[1].size_mib == 16u);
    CHECK(g.params.get("img_passwd") == "privpw");
    CHECK(g.params.get("secretparam") == "s3cr3t");
    CHECK(g.params.get("someparam") == "v2");
    CHECK(g.nic_vars.size() == 21);
    CHECK(g.nic_vars.at("NIC_COUNT") == "2");
    CHECK(g.nic_vars.at("NIC_0_NETWORK_TAGS") == "t1 t2");
    CHECK(g.nic_vars.at("NIC_1_MODE") == "routed");
    CHECK(g.nic_vars.count("INSTANCE_NAME") == 0);
}

TEST_CASE("create: the kvm environment") {
    GanetiEnv g = parse_ganeti_env(GanetiScript::create, env_from_text(test::k_env_kvm));
    CHECK(g.hypervisor == "kvm");
    CHECK(g.disk_type == "paravirtual");
    REQUIRE(g.disks.size() == 1);
    CHECK(g.disks[0].frontend_type == "paravirtual");
    CHECK(g.params.get("someparam") == "kvm");
}

TEST_CASE("create: reinstall, debug level and OS parameters") {
    Env env = env_from_text(test::k_env_ext_disk);
    env["INSTANCE_REINSTALL"] = "1";
    env["DEBUG_LEVEL"] = "2";
    env["OSP_IMG_ID"] = "local://debian-12";
    env["OSP_IMG_PASSWD"] = "";
    GanetiEnv g = parse_ganeti_env(GanetiScript::create, env);
    CHECK(g.reinstall);
    CHECK(g.debug_level == 2);
    CHECK(g.params.get("img_id") == "local://debian-12");
    CHECK(g.params.has("img_passwd"));
    CHECK(g.params.get("img_passwd") == "");
    CHECK_FALSE(g.params.has("img_passwd_hash"));
}

TEST_CASE("create: DISK_i_URI is used when DISK_i_PATH is absent, and kept") {
    Env env = env_from_text(test::k_env_ext_disk);
    env.erase("DISK_0_PATH");
    env["DISK_0_URI"] = "rbd:rbd/vol0";
    GanetiEnv g = parse_ganeti_env(GanetiScript::create, env);
    CHECK(g.disks[0].path == "rbd:rbd/vol0");
    CHECK(g.disks[0].uri == "rbd:rbd/vol0");

    env["DISK_0_PATH"] = "/dev/rbd0";
    g = parse_ganeti_env(GanetiScript::create, env);
    CHECK(g.disks[0].path == "/dev/rbd0");
    CHECK(g.disks[0].uri == "rbd:rbd/vol0");
}

TEST_CASE("API 10 and 15 are accepted; an empty OS_VARIANT is 'default'") {
    Env env = core_env();
    env["OS_API_VERSION"] = "10";
    env["OS_VARIANT"] = "";
    GanetiEnv g = parse_ganeti_env(GanetiScript::verify, env);
    CHECK(g.api_version == 10);
    CHECK(g.variant == "default");

    env["OS_API_VERSION"] = "15";
    env.erase("OS_VARIANT");
    g = parse_ganeti_env(GanetiScript::verify, env);
    CHECK(g.api_version == 15);
    CHECK(g.variant == "default");
}

TEST_CASE("verify needs only the core environment") {
    GanetiEnv g = parse_ganeti_env(GanetiScript::verify, core_env());
    CHECK(g.instance_name.empty());
    CHECK(g.disks.empty());
    CHECK(g.params.get("img_id") == "debian-12");
    CHECK(g.params.get("img_format") == "diskdump");
    CHECK(g.params.values().size() == 2);
}

TEST_CASE("bad core variables") {
    Env env = core_env();
    SECTION("missing OS_API_VERSION") {
        env.erase("OS_API_VERSION");
        CHECK(env_error(GanetiScript::verify, env) ==
              "Ganeti environment: OS_API_VERSION is not set (expected 10, 15 or 20)");
    }
    SECTION("unsupported OS_API_VERSION") {
        for (const char* v : {"5", "21", "20.0", "x", "-20"}) {
            env["OS_API_VERSION"] = v;
            CHECK(env_error(GanetiScript::verify, env) ==
                  std::string("Ganeti environment: OS_API_VERSION is '") + v +
                      "', but imgdeploy supports only 10, 15 and 20");
        }
    }
    SECTION("bad DEBUG_LEVEL") {
        for (const char* v : {"-1", "one", "1.5", "99999999999"}) {
            env["DEBUG_LEVEL"] = v;
            CHECK_THAT(env_error(GanetiScript::verify, env),
                       Catch::Contains(std::string("DEBUG_LEVEL is '") + v + "'"));
        }
    }
    SECTION("a missing DEBUG_LEVEL is 0") {
        env.erase("DEBUG_LEVEL");
        CHECK(parse_ganeti_env(GanetiScript::verify, env).debug_level == 0);
    }
}

TEST_CASE("create: every problem at once, on one line") {
    Env env = core_env();
    env["OS_API_VERSION"] = "5";
    env["DEBUG_LEVEL"] = "x";
    env["DISK_COUNT"] = "2";
    env["DISK_0_SIZE"] = "big";
    env["DISK_1_PATH"] = "/dev/loop2";
    std::string message = env_error(GanetiScript::create, env);
    CHECK(message == "Ganeti environment: OS_API_VERSION is '5', but imgdeploy supports only 10, "
                     "15 and 20; DEBUG_LEVEL is 'x', expected a whole number (0 or more); "
                     "INSTANCE_NAME is not set; DISK_0_PATH and DISK_0_URI are both unset; "
                     "DISK_0_SIZE is 'big', expected a whole number of MiB");
    CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("create: DISK_COUNT") {
    Env env = instance_env();
    CHECK(env_error(GanetiScript::create, env) == "Ganeti environment: DISK_COUNT is not set");
    for (const char* v : {"0", "-1", "two", "1000000000"}) {
        env["DISK_COUNT"] = v;
        CHECK_THAT(env_error(GanetiScript::create, env),
                   Catch::Contains(std::string("DISK_COUNT is '") + v +
                                   "', expected a whole number from 1"));
    }
}

TEST_CASE("rename needs OLD_INSTANCE_NAME") {
    Env env = instance_env();
    CHECK(env_error(GanetiScript::rename, env) ==
          "Ganeti environment: OLD_INSTANCE_NAME is not set");
    env["OLD_INSTANCE_NAME"] = "old.gnt.test";
    GanetiEnv g = parse_ganeti_env(GanetiScript::rename, env);
    CHECK(g.old_instance_name == "old.gnt.test");
    CHECK(g.instance_name == "inst1.gnt.test");
    CHECK(g.disks.empty());
}

TEST_CASE("import: IMPORT_DISK_PATH, else IMPORT_DEVICE") {
    Env env = instance_env();
    CHECK(env_error(GanetiScript::import, env) ==
          "Ganeti environment: IMPORT_DISK_PATH and IMPORT_DEVICE are both unset");
    env["IMPORT_DEVICE"] = "/dev/old";
    CHECK(parse_ganeti_env(GanetiScript::import, env).import_device == "/dev/old");
    env["IMPORT_DISK_PATH"] = "/dev/new";
    CHECK(parse_ganeti_env(GanetiScript::import, env).import_device == "/dev/new");
}

TEST_CASE("export: EXPORT_DISK_PATH, else EXPORT_DEVICE; EXP_SIZE_FD") {
    Env env = instance_env();
    CHECK(env_error(GanetiScript::export_, env) ==
          "Ganeti environment: EXPORT_DISK_PATH and EXPORT_DEVICE are both unset");
    env["EXPORT_DEVICE"] = "/dev/old";
    GanetiEnv g = parse_ganeti_env(GanetiScript::export_, env);
    CHECK(g.export_device == "/dev/old");
    CHECK_FALSE(g.export_size_fd);
    env["EXPORT_DISK_PATH"] = "/dev/new";
    env["EXP_SIZE_FD"] = "11";
    g = parse_ganeti_env(GanetiScript::export_, env);
    CHECK(g.export_device == "/dev/new");
    CHECK(g.export_size_fd == 11);
    env["EXP_SIZE_FD"] = "-3";
    CHECK(env_error(GanetiScript::export_, env) ==
          "Ganeti environment: EXP_SIZE_FD is '-3', expected a file descriptor number");
}

TEST_CASE("instance scripts need INSTANCE_NAME") {
    Env env = core_env();
    env["OLD_INSTANCE_NAME"] = "a";
    env["IMPORT_DEVICE"] = "/dev/x";
    env["EXPORT_DEVICE"] = "/dev/x";
    env["DISK_COUNT"] = "1";
    env["DISK_0_PATH"] = "/dev/x";
    for (GanetiScript s : {GanetiScript::create,
                           GanetiScript::rename,
                           GanetiScript::import,
                           GanetiScript::export_}) {
        INFO(to_string(s));
        CHECK(env_error(s, env) == "Ganeti environment: INSTANCE_NAME is not set");
    }
}

TEST_CASE("values in messages are quoted and escaped onto one line") {
    Env env = core_env();
    env["OS_API_VERSION"] = "20\nINJECTED";
    std::string message = env_error(GanetiScript::verify, env);
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Catch::Contains("'20\\nINJECTED'"));
}

TEST_CASE("environment_map") {
    char a[] = "A=1";
    char b[] = "B=x=y";
    char c[] = "EMPTY=";
    char d[] = "NOEQUALS";
    char e[] = "A=second";
    char* envp[] = {a, b, c, d, e, nullptr};
    Env env = environment_map(envp);
    CHECK(env == Env{{"A", "1"}, {"B", "x=y"}, {"EMPTY", ""}});
    CHECK(environment_map(nullptr).empty());
}
