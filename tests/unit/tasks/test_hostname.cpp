#include "tasks/lib/hostname.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy::tasks;

TEST_CASE("valid host names and FQDNs", "[hostname]") {
    CHECK_FALSE(hostname_problem("web1"));
    CHECK_FALSE(hostname_problem("web-1.example.org"));
    CHECK_FALSE(hostname_problem("1host.example"));
    CHECK_FALSE(hostname_problem(std::string(63, 'a') + ".example.org"));
}

TEST_CASE("invalid host names are refused with a reason", "[hostname]") {
    CHECK(hostname_problem(""));
    CHECK(hostname_problem("under_score"));
    CHECK(hostname_problem("-leading"));
    CHECK(hostname_problem("trailing-.example"));
    CHECK(hostname_problem("a..b"));
    CHECK(hostname_problem("dot.at.end."));
    CHECK(hostname_problem("sp ace"));
    CHECK(hostname_problem(std::string(64, 'a')));
    CHECK(hostname_problem(std::string(200, 'a') + "." + std::string(60, 'b')));
    CHECK(hostname_problem("bad\nname"));
}

TEST_CASE("short name and loopback line", "[hostname]") {
    CHECK(short_hostname("web1.example.org") == "web1");
    CHECK(loopback_hosts_line("web1.example.org") == "127.0.1.1\tweb1.example.org web1");
    CHECK(loopback_hosts_line("web1") == "127.0.1.1\tweb1");
}

TEST_CASE("set_loopback_hosts_entry rewrites 127.0.1.1 and keeps other lines", "[hostname]") {
    std::string hosts = "127.0.0.1\tlocalhost\n  127.0.1.1   old old.local\n# 127.0.1.1 comment\n::1 ip6\n";
    CHECK(set_loopback_hosts_entry(hosts, "new.example", false) ==
          "127.0.0.1\tlocalhost\n127.0.1.1\tnew.example new\n# 127.0.1.1 comment\n::1 ip6\n");
}

TEST_CASE("set_loopback_hosts_entry adds a line after 127.0.0.1 only when asked", "[hostname]") {
    std::string hosts = "127.0.0.1 localhost\n::1 localhost\n";
    CHECK(set_loopback_hosts_entry(hosts, "h", false) == hosts);
    CHECK(set_loopback_hosts_entry(hosts, "h", true) == "127.0.0.1 localhost\n127.0.1.1\th\n::1 localhost\n");
    CHECK(set_loopback_hosts_entry("", "h", true) == "127.0.1.1\th\n");
}
