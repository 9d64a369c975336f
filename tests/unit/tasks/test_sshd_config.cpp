#include "tasks/lib/sshd_config.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

const UserEntry k_alice{"alice", 1000, 1000, "/home/alice"};

}  // namespace

TEST_CASE("AuthorizedKeysFile: first path token, keyword case-insensitive", "[sshd_config]") {
    auto c = parse_sshd_config("# AuthorizedKeysFile /commented\n"
                               "authorizedkeysfile  .ssh/authorized_keys .ssh/authorized_keys2\n"
                               "AuthorizedKeysFile /second\n");
    CHECK(c.authorized_keys_file == ".ssh/authorized_keys");
}

TEST_CASE("AuthorizedKeysFile with '=' and quotes", "[sshd_config]") {
    CHECK(parse_sshd_config("AuthorizedKeysFile=\"/etc/ssh/keys/%u\"\n").authorized_keys_file ==
          "/etc/ssh/keys/%u");
}

TEST_CASE("settings inside a Match block do not count", "[sshd_config]") {
    auto c = parse_sshd_config("Match User bob\n  AuthorizedKeysFile /bob\n");
    CHECK_FALSE(c.authorized_keys_file);
}

TEST_CASE("HostKey lines are collected in order", "[sshd_config]") {
    auto c = parse_sshd_config("HostKey /etc/ssh/ssh_host_rsa_key\nhostkey /srv/keys/host_ed25519\n");
    CHECK(c.host_keys == std::vector<std::string>{"/etc/ssh/ssh_host_rsa_key", "/srv/keys/host_ed25519"});
}

TEST_CASE("expand_authorized_keys_path expands %h %u %U %%", "[sshd_config]") {
    CHECK(expand_authorized_keys_path("%h/.ssh/authorized_keys", k_alice) == "/home/alice/.ssh/authorized_keys");
    CHECK(expand_authorized_keys_path("/etc/ssh/keys/%u", k_alice) == "/etc/ssh/keys/alice");
    CHECK(expand_authorized_keys_path("/keys/%U/%%x", k_alice) == "/keys/1000/%x");
}

TEST_CASE("relative AuthorizedKeysFile paths are relative to home", "[sshd_config]") {
    CHECK(expand_authorized_keys_path(".ssh/authorized_keys", k_alice) == "/home/alice/.ssh/authorized_keys");
    CHECK(expand_authorized_keys_path(k_default_authorized_keys, UserEntry{"root", 0, 0, "/root/"}) ==
          "/root/.ssh/authorized_keys");
}

TEST_CASE("unknown %-tokens are an error", "[sshd_config]") {
    CHECK_THROWS_WITH(expand_authorized_keys_path("%d/keys", k_alice), Contains("'%d'"));
}
