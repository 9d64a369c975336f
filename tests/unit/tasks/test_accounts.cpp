#include "tasks/lib/accounts.hpp"
#include "tasks/lib/authorized_keys.hpp"
#include "tasks/lib/ssh_host_keys.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy::tasks;

TEST_CASE("find_user and find_group read the image's databases", "[accounts]") {
    std::string passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001:A:/home/alice:/bin/sh\nbad:x:y:1::/:/\n";
    auto alice = find_user(passwd, "alice");
    REQUIRE(alice);
    CHECK(alice->uid == 1000);
    CHECK(alice->gid == 1001);
    CHECK(alice->home == "/home/alice");
    CHECK_FALSE(find_user(passwd, "ali"));
    CHECK_FALSE(find_user(passwd, "bad"));
    CHECK(find_group("root:x:0:\nstaff:x:50:alice,bob\n", "staff") == 50u);
    CHECK_FALSE(find_group("root:x:0:\n", "staff"));
}

TEST_CASE("account names may not break the files' syntax", "[accounts]") {
    CHECK(is_valid_account_name("www-data"));
    CHECK_FALSE(is_valid_account_name(""));
    CHECK_FALSE(is_valid_account_name("a:b"));
    CHECK_FALSE(is_valid_account_name("a\nb"));
    CHECK_FALSE(is_valid_account_name("a b"));
}

TEST_CASE("key_lines and append_missing_keys", "[authorized_keys]") {
    auto keys = key_lines("\n ssh-ed25519 AAA one \n\nssh-rsa BBB two\n");
    CHECK(keys == std::vector<std::string>{"ssh-ed25519 AAA one", "ssh-rsa BBB two"});
    CHECK(append_missing_keys("", keys) == "ssh-ed25519 AAA one\nssh-rsa BBB two\n");
    CHECK(append_missing_keys("ssh-rsa BBB two", keys) == "ssh-rsa BBB two\nssh-ed25519 AAA one\n");
    CHECK(append_missing_keys("ssh-ed25519 AAA one\nssh-rsa BBB two\n", keys) ==
          "ssh-ed25519 AAA one\nssh-rsa BBB two\n");
}

TEST_CASE("host key types from names, public keys and PEM headers", "[ssh_host_keys]") {
    CHECK(default_host_key_type("ssh_host_ed25519_key") == "ed25519");
    CHECK(default_host_key_type("ssh_host_ecdsa_key") == "ecdsa");
    CHECK_FALSE(default_host_key_type("ssh_host_rsa_key.pub"));
    CHECK_FALSE(default_host_key_type("ssh_host_rsa_key-cert.pub"));
    CHECK(guess_host_key_type("/k/a", "ecdsa-sha2-nistp256 AAAA x", "") == "ecdsa");
    CHECK(guess_host_key_type("/k/a", "", "-----BEGIN RSA PRIVATE KEY-----") == "rsa");
    CHECK(guess_host_key_type("/k/my_ecdsa_key", "", "-----BEGIN OPENSSH PRIVATE KEY-----") == "ecdsa");
    CHECK_FALSE(guess_host_key_type("/k/hostkey", "", ""));
}
