#include "common/error.hpp"
#include "tasks/lib/network_model.hpp"
#include "tasks/lib/task_env.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

NetworkSettings settings(std::map<std::string, std::string> vars) {
    NetworkSettings s;
    s.nic_vars = std::move(vars);
    return s;
}

std::map<std::string, std::string> static_nic0() {
    return {{"NIC_COUNT", "1"},
            {"NIC_0_MAC", "52:54:00:12:34:56"},
            {"NIC_0_IP", "10.0.2.15"},
            {"NIC_0_NETWORK_SUBNET", "10.0.2.0/24"},
            {"NIC_0_NETWORK_GATEWAY", "10.0.2.2"}};
}

/// The Error message build_network_model gives for these variables.
std::string error_of(const NetworkSettings& s) {
    try {
        build_network_model(s);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("no error");
    return "";
}

}  // namespace

TEST_CASE("a static NIC: address, prefix and gateway from the network", "[network_model]") {
    NetworkModel m = build_network_model(settings(static_nic0()));
    REQUIRE(m.nics.size() == 1);
    const Nic& n = m.nics[0];
    CHECK(n.index == 0);
    CHECK(n.mac == "52:54:00:12:34:56");
    CHECK(n.ipv4 == Ipv4Mode::manual);
    CHECK(n.address == "10.0.2.15");
    CHECK(n.prefix == 24);
    CHECK(n.gateway == "10.0.2.2");
    CHECK(n.ipv6 == Ipv6Mode::none);
    CHECK_FALSE(n.default_nic);
    CHECK(m.warnings.empty());
}

TEST_CASE("IPv4 DHCP by a DHCP tag or an empty subnet; IPv6 by the DHCPv6 tags", "[network_model]") {
    auto vars = static_nic0();
    vars["NIC_0_MAC"] = "52:54:00:AB:CD:EF";
    vars["NIC_0_NETWORK_TAGS"] = "public nfdhcpd";
    vars["NIC_0_NETWORK_GATEWAY6"] = "2001:db8::1";
    vars["NIC_0_NETWORK_SUBNET6"] = "2001:db8::/64";
    NetworkModel m = build_network_model(settings(vars));
    CHECK(m.nics[0].mac == "52:54:00:ab:cd:ef");
    CHECK(m.nics[0].ipv4 == Ipv4Mode::dhcp);
    CHECK(m.nics[0].ipv6 == Ipv6Mode::slaac_dhcp);  // nfdhcpd is a stateless tag too

    vars["NIC_0_NETWORK_TAGS"] = "dhcpv6";
    m = build_network_model(settings(vars));
    CHECK(m.nics[0].ipv4 == Ipv4Mode::manual);
    CHECK(m.nics[0].ipv6 == Ipv6Mode::dhcp);

    vars["NIC_0_NETWORK_TAGS"] = "";
    m = build_network_model(settings(vars));
    CHECK(m.nics[0].ipv6 == Ipv6Mode::slaac);

    vars.erase("NIC_0_NETWORK_SUBNET");
    vars.erase("NIC_0_NETWORK_GATEWAY");
    m = build_network_model(settings(vars));
    CHECK(m.nics[0].ipv4 == Ipv4Mode::dhcp);  // an IP without a subnet

    // The tag lists come from the configuration.
    auto s = settings(static_nic0());
    s.nic_vars["NIC_0_NETWORK_TAGS"] = "mydhcp";
    CHECK(build_network_model(s).nics[0].ipv4 == Ipv4Mode::manual);
    s.dhcp_tags = "other mydhcp";
    CHECK(build_network_model(s).nics[0].ipv4 == Ipv4Mode::dhcp);
}

TEST_CASE("no IP and no IPv6 gateway: nothing, unless it is the only NIC", "[network_model]") {
    std::map<std::string, std::string> two = {{"NIC_COUNT", "2"},
                                              {"NIC_0_MAC", "52:54:00:00:00:01"},
                                              {"NIC_1_MAC", "52:54:00:00:00:02"},
                                              {"NIC_1_IP", "192.0.2.7"},
                                              {"NIC_1_NETWORK_SUBNET", "192.0.2.0/28"}};
    NetworkModel m = build_network_model(settings(two));
    CHECK_FALSE(m.nics[0].configured());
    CHECK(m.nics[1].ipv4 == Ipv4Mode::manual);
    CHECK(m.nics[1].prefix == 28);
    CHECK(m.nics[1].gateway.empty());
    CHECK(m.any_configured());
}

TEST_CASE("the default NIC follows DEFAULT_NIC_CONFIG", "[network_model]") {
    auto s = settings({{"NIC_COUNT", "1"}, {"NIC_0_MAC", "aa:00:00:00:00:01"}, {"NIC_0_NETWORK_TAGS", "dhcpv6"}});
    struct Case {
        const char* config;
        Ipv4Mode v4;
        Ipv6Mode v6;
    };
    for (const Case& c : {Case{"dhcp", Ipv4Mode::dhcp, Ipv6Mode::none},
                          Case{"dhcpv6", Ipv4Mode::none, Ipv6Mode::dhcp},
                          Case{"slaac", Ipv4Mode::none, Ipv6Mode::slaac},
                          Case{"slaac_dhcp", Ipv4Mode::none, Ipv6Mode::slaac_dhcp},
                          Case{"dhcp+dhcpv6", Ipv4Mode::dhcp, Ipv6Mode::dhcp},
                          Case{"dhcp+slaac", Ipv4Mode::dhcp, Ipv6Mode::slaac},
                          Case{"dhcp+slaac_dhcp", Ipv4Mode::dhcp, Ipv6Mode::slaac_dhcp}}) {
        s.default_nic_config = c.config;
        NetworkModel m = build_network_model(s);
        INFO(c.config);
        CHECK(m.nics[0].ipv4 == c.v4);
        CHECK(m.nics[0].ipv6 == c.v6);
        CHECK(m.nics[0].default_nic);
    }
    s.default_nic_config = "";
    NetworkModel m = build_network_model(s);
    CHECK_FALSE(m.any_configured());  // left alone

    // Not the default NIC: it has an address, or there are two NICs.
    auto with_ip = settings(static_nic0());
    with_ip.default_nic_config = "dhcp+slaac";
    CHECK_FALSE(build_network_model(with_ip).nics[0].default_nic);
    auto two = settings({{"NIC_COUNT", "2"}, {"NIC_0_MAC", "aa:00:00:00:00:01"}, {"NIC_1_MAC", "aa:00:00:00:00:02"}});
    two.default_nic_config = "dhcp";
    CHECK_FALSE(build_network_model(two).any_configured());
}

TEST_CASE("only the first gateway is used, with a warning", "[network_model]") {
    auto vars = static_nic0();
    vars["NIC_COUNT"] = "2";
    vars["NIC_1_MAC"] = "52:54:00:12:34:57";
    vars["NIC_1_IP"] = "192.0.2.10";
    vars["NIC_1_NETWORK_SUBNET"] = "192.0.2.0/24";
    vars["NIC_1_NETWORK_GATEWAY"] = "192.0.2.1";
    NetworkModel m = build_network_model(settings(vars));
    CHECK(m.nics[0].gateway == "10.0.2.2");
    CHECK(m.nics[1].gateway.empty());
    REQUIRE(m.warnings.size() == 1);
    CHECK_THAT(m.warnings[0], Contains("192.0.2.1 not used") && Contains("NIC 0"));
}

TEST_CASE("no NIC data gives an empty model", "[network_model]") {
    CHECK(build_network_model(settings({})).nics.empty());
    CHECK(build_network_model(settings({{"NIC_COUNT", "0"}})).nics.empty());
}

TEST_CASE("malformed NIC data is an error naming the variable and the value", "[network_model]") {
    auto with = [](const std::string& key, const std::string& value) {
        auto vars = static_nic0();
        if (value == "<unset>") {
            vars.erase(key);
        } else {
            vars[key] = value;
        }
        return settings(vars);
    };
    CHECK_THAT(error_of(with("NIC_0_MAC", "52:54:00:12:34")),
               Contains("SNF_IMAGE_NIC_0_MAC='52:54:00:12:34'") && Contains("not a MAC address"));
    CHECK_THAT(error_of(with("NIC_0_MAC", "52-54-00-12-34-56")), Contains("SNF_IMAGE_NIC_0_MAC="));
    CHECK_THAT(error_of(with("NIC_0_MAC", "52:54:00:12:34:5g")), Contains("not a MAC address"));
    CHECK_THAT(error_of(with("NIC_0_MAC", "<unset>")), Contains("SNF_IMAGE_NIC_0_MAC is not set"));
    CHECK_THAT(error_of(with("NIC_0_IP", "10.0.2.256")),
               Contains("SNF_IMAGE_NIC_0_IP='10.0.2.256'") && Contains("not an IPv4 address"));
    CHECK_THAT(error_of(with("NIC_0_IP", "10.0.3.15")),
               Contains("SNF_IMAGE_NIC_0_IP='10.0.3.15' is not in SNF_IMAGE_NIC_0_NETWORK_SUBNET=10.0.2.0/24"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_SUBNET", "10.0.2.0/33")),
               Contains("SNF_IMAGE_NIC_0_NETWORK_SUBNET='10.0.2.0/33'") && Contains("prefix"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_SUBNET", "10.0.2.0/x")), Contains("prefix"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_SUBNET", "10.0.2.0")), Contains("not an IPv4 subnet"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_GATEWAY", "10.0.9.1")),
               Contains("SNF_IMAGE_NIC_0_NETWORK_GATEWAY='10.0.9.1' is not in"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_GATEWAY", "gw")), Contains("not an IPv4 address"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_GATEWAY6", "2001:db8::zz")),
               Contains("SNF_IMAGE_NIC_0_NETWORK_GATEWAY6='2001:db8::zz'"));
    CHECK_THAT(error_of(with("NIC_0_NETWORK_SUBNET6", "2001:db8::/129")),
               Contains("SNF_IMAGE_NIC_0_NETWORK_SUBNET6='2001:db8::/129'"));
    CHECK_THAT(error_of(with("NIC_COUNT", "two")), Contains("SNF_IMAGE_NIC_COUNT='two'"));
    CHECK_THAT(error_of(with("NIC_COUNT", "<unset>")),
               Contains("SNF_IMAGE_NIC_COUNT is not set, but SNF_IMAGE_NIC_0_"));
    CHECK_THAT(error_of(with("NIC_3_MAC", "52:54:00:12:34:99")),
               Contains("SNF_IMAGE_NIC_3_* is set, but SNF_IMAGE_NIC_COUNT=1"));
    auto two = with("NIC_COUNT", "2");  // NIC 1 missing
    CHECK_THAT(error_of(two), Contains("SNF_IMAGE_NIC_1_MAC is not set"));

    auto bad_default = settings({{"NIC_COUNT", "1"}, {"NIC_0_MAC", "aa:00:00:00:00:01"}});
    for (const char* config : {"dhcp4", "slaac+dhcp", "dhcp+", "dhcp+dhcp", "static"}) {
        bad_default.default_nic_config = config;
        CHECK_THAT(error_of(bad_default), Contains("SNF_IMAGE_DEFAULT_NIC_CONFIG='" + std::string(config) + "'"));
    }
}

TEST_CASE("netmasks", "[network_model]") {
    CHECK(ipv4_netmask(24) == "255.255.255.0");
    CHECK(ipv4_netmask(32) == "255.255.255.255");
    CHECK(ipv4_netmask(1) == "128.0.0.0");
    CHECK(ipv4_netmask(20) == "255.255.240.0");
}

TEST_CASE("TaskEnv carries the NIC variables and tag lists", "[network_model]") {
    TaskEnv env = parse_task_env({"SNF_IMAGE_NIC_COUNT=1", "SNF_IMAGE_NIC_0_MAC=aa:00:00:00:00:01",
                                  "SNF_IMAGE_DHCP_TAGS=x y", "SNF_IMAGE_DEFAULT_NIC_CONFIG=", "HYPERVISOR=xen",
                                  "NIC_0_IP=not-ours"},
                                 "50ConfigureNetwork");
    CHECK(env.nic_vars == std::map<std::string, std::string>{{"NIC_COUNT", "1"}, {"NIC_0_MAC", "aa:00:00:00:00:01"}});
    CHECK(env.dhcp_tags == "x y");
    CHECK(env.default_nic_config == "");
    CHECK_FALSE(env.stateful_dhcpv6_tags);
    CHECK(env.hypervisor == "xen");
}
