#include "tasks/lib/cloud_init.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CloudSeed sample_seed() {
    CloudSeed seed;
    seed.meta_data["instance-id"] = "iid-0123";
    seed.meta_data["local-hostname"] = "web1.example.org";
    seed.meta_data["public-keys"].push_back("ssh-ed25519 AAAA key@one");
    seed.user_data = "#cloud-config\nruncmd:\n  - [sh, -c, \"echo 'hi' > /tmp/x\"]\n";
    return seed;
}

/// ds-identify's check_config: a line, leading blanks removed, "key:" or "key: ...".
bool ds_identify_finds(const std::string& text, const std::string& key) {
    for (const auto& line : split(text, '\n')) {
        std::string l(trim(line.substr(0, line.find('#'))));
        if (l == key + ":" || l.starts_with(key + ": ")) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("the inline datasource config is the seed, in YAML ds-identify can read", "[cloud_init]") {
    CloudSeed seed = sample_seed();
    std::string text = inline_datasource_config(seed, false);
    YAML::Node doc = YAML::Load(text);
    REQUIRE(doc["datasource_list"].IsSequence());
    CHECK(doc["datasource_list"][0].as<std::string>() == "NoCloud");
    CHECK(doc["datasource_list"][1].as<std::string>() == "None");
    YAML::Node nc = doc["datasource"]["NoCloud"];
    CHECK(nc["meta-data"]["instance-id"].as<std::string>() == "iid-0123");
    CHECK(nc["meta-data"]["local-hostname"].as<std::string>() == "web1.example.org");
    CHECK(nc["meta-data"]["public-keys"][0].as<std::string>() == "ssh-ed25519 AAAA key@one");
    CHECK(nc["user-data"].as<std::string>() == seed.user_data);
    CHECK_FALSE(doc["log_cfgs"]);
    // ds-identify reads the list from one line and greps for the keys.
    CHECK_THAT(text, Contains("datasource_list: [NoCloud, None]"));
    for (const char* key : {"NoCloud", "meta-data", "user-data"}) {
        CHECK(ds_identify_finds(text, key));
    }
}

TEST_CASE("user-data with CRLF, tabs, quotes and UTF-8 round-trips through the inline config", "[cloud_init]") {
    CloudSeed seed = sample_seed();
    for (std::string text : {std::string("#!/bin/sh\r\necho \"caf\xc3\xa9\"\t'x'\r\n"), std::string("- leading dash: {x}\n"),
                             std::string("  indented\n\n\ntrailing blank lines\n\n"), std::string("no newline")}) {
        seed.user_data = text;
        YAML::Node doc = YAML::Load(inline_datasource_config(seed, false));
        CHECK(doc["datasource"]["NoCloud"]["user-data"].as<std::string>() == text);
    }
}

TEST_CASE("binary user-data goes inline as !!binary; debug adds a log config", "[cloud_init]") {
    CloudSeed seed = sample_seed();
    seed.user_data = std::string("\x1f\x8b\x08\x00\xff\x00z", 7);  // gzip
    std::string text = inline_datasource_config(seed, true);
    CHECK_THAT(text, Contains("user-data: !<tag:yaml.org,2002:binary>"));
    YAML::Node doc = YAML::Load(text);
    YAML::Binary bin = doc["datasource"]["NoCloud"]["user-data"].as<YAML::Binary>();
    CHECK(std::string(reinterpret_cast<const char*>(bin.data()), bin.size()) == seed.user_data);
    REQUIRE(doc["log_cfgs"].IsSequence());
    CHECK_THAT(doc["log_cfgs"][0][0].as<std::string>(), Contains("imgdeploy-cloud-init-debug.log"));
}

TEST_CASE("the clear-secrets script empties the user-data and keeps the meta-data", "[cloud_init]") {
    CloudSeed seed = sample_seed();
    std::string script = clear_secrets_script(seed, false);
    CHECK_THAT(script, StartsWith("#!/bin/sh\n"));
    CHECK_THAT(script, Contains(": > '/var/lib/cloud/seed/nocloud-net/user-data'"));
    CHECK_THAT(script, Contains("rm -f '/etc/cloud/cloud.cfg.d/98_imgdeploy-ChangePassword.cfg'"));
    size_t begin = script.find("<<'IMGDEPLOY_EOF'\n");
    size_t end = script.find("IMGDEPLOY_EOF\n", begin + 20);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    YAML::Node cleared = YAML::Load(script.substr(begin + 18, end - begin - 18));
    CHECK(cleared["datasource"]["NoCloud"]["user-data"].as<std::string>().empty());
    CHECK(cleared["datasource"]["NoCloud"]["meta-data"]["instance-id"].as<std::string>() == "iid-0123");
    CHECK(script.find("echo 'hi'") == std::string::npos);  // no user-data in the script
}

TEST_CASE("drop-in names, instance ids and shell quoting", "[cloud_init]") {
    CHECK(cloud_dropin_path("50AddSwap") == "/etc/cloud/cloud.cfg.d/98_imgdeploy-AddSwap.cfg");
    CHECK(cloud_dropin_path("35InitializeDatasource") ==
          "/etc/cloud/cloud.cfg.d/98_imgdeploy-InitializeDatasource.cfg");
    std::string a = random_instance_id();
    CHECK(a.size() == 36);
    CHECK_THAT(a, StartsWith("iid-"));
    CHECK(a != random_instance_id());
    CHECK(shell_quote("it's $HOME") == "'it'\\''s $HOME'");
}

TEST_CASE("write_cloud_seed writes the seed, the inline drop-in and the script; update keeps them in step",
          "[cloud_init]") {
    TempDir dir("/tmp", "imgdeploy-unit-cloud-");
    RootDir root(dir.path());
    TaskEnv env = parse_task_env({"TASKNAME=50AssignHostname"}, "50AssignHostname");
    Reporter report("50AssignHostname", -1);
    TaskContext ctx{env, report};
    write_cloud_seed(ctx, root, sample_seed());
    auto seed = read_cloud_seed(root);
    REQUIRE(seed);
    CHECK(seed->user_data == sample_seed().user_data);
    struct stat st {};
    REQUIRE(::stat((dir.path() + "/var/lib/cloud/seed/nocloud-net/user-data").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat((dir.path() + k_clear_secrets_script).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    update_cloud_meta_data(ctx, root, [](YAML::Node& md) { md["local-hostname"] = "db1"; });
    auto inline_cfg = root.read_file("/etc/cloud/cloud.cfg.d/98_imgdeploy-InitializeDatasource.cfg");
    REQUIRE(inline_cfg);
    YAML::Node doc = YAML::Load(*inline_cfg);
    CHECK(doc["datasource"]["NoCloud"]["meta-data"]["local-hostname"].as<std::string>() == "db1");
    CHECK(doc["datasource"]["NoCloud"]["meta-data"]["instance-id"].as<std::string>() == "iid-0123");
    CHECK(read_cloud_seed(root)->meta_data["local-hostname"].as<std::string>() == "db1");
}

TEST_CASE("CLOUD_INIT_DEBUG leaves the clear-secrets script non-executable", "[cloud_init]") {
    TempDir dir("/tmp", "imgdeploy-unit-cloud-");
    RootDir root(dir.path());
    TaskEnv env = parse_task_env({"TASKNAME=35InitializeDatasource", "SNF_IMAGE_CLOUD_INIT_DEBUG=yes"}, "x");
    Reporter report("35InitializeDatasource", -1);
    TaskContext ctx{env, report};
    CHECK(cloud_init_debug(ctx));
    write_cloud_seed(ctx, root, sample_seed());
    struct stat st {};
    REQUIRE(::stat((dir.path() + k_clear_secrets_script).c_str(), &st) == 0);
    CHECK((st.st_mode & 0111) == 0);
}

TEST_CASE("a meta-data file that is not a YAML map is an error naming it", "[cloud_init]") {
    TempDir dir("/tmp", "imgdeploy-unit-cloud-");
    RootDir root(dir.path());
    root.make_dirs(k_nocloud_seed_dir, {0755, 0, 0});
    root.replace_file(std::string(k_nocloud_seed_dir) + "/meta-data", "- a\n- b\n", {0600, 0, 0});
    CHECK_THROWS_WITH(read_cloud_seed(root), Contains("meta-data is not a YAML map"));
}
