// Golden-file tests of every network renderer: each rendering, printed as
// its files (path, mode, backup), moves and warnings, must equal
// tests/unit/tasks/golden/network/<name>.txt. After an intended change,
// regenerate with IMGDEPLOY_UPDATE_GOLDEN=1 and review the diff.

#include "common/error.hpp"
#include "tasks/lib/net_render.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

std::string golden_path(const std::string& name) {
    return std::string(IMGDEPLOY_SOURCE_DIR) + "/tests/unit/tasks/golden/network/" + name + ".txt";
}

std::string print(const Rendering& r) {
    std::string out;
    for (const auto& f : r.files) {
        char mode[16];
        std::snprintf(mode, sizeof mode, "%04o", f.mode.value_or(0));
        out += "=== " + f.path + " (mode " + (f.mode ? mode : "kept") + (f.backup ? ", backup" : "") + ")\n";
        out += f.content;
        if (!f.content.empty() && !f.content.ends_with("\n")) {
            out += "\\ no newline at end\n";
        }
    }
    for (const auto& p : r.move_aside) {
        out += "--- moved aside: " + p + "\n";
    }
    for (const auto& w : r.warnings) {
        out += "--- warning: " + w + "\n";
    }
    return out;
}

void check_golden(const std::string& name, const Rendering& r) {
    std::string actual = print(r);
    std::string path = golden_path(name);
    if (std::getenv("IMGDEPLOY_UPDATE_GOLDEN")) {
        std::ofstream(path, std::ios::binary) << actual;
    }
    std::ifstream in(path, std::ios::binary);
    INFO("golden file " << path);
    REQUIRE(in.good());
    std::stringstream expected;
    expected << in.rdbuf();
    CHECK(actual == expected.str());
}

/// The boot test's NIC: static IPv4 with a gateway, no IPv6.
NetworkModel static_model() {
    NetworkSettings s;
    s.nic_vars = {{"NIC_COUNT", "1"},
                  {"NIC_0_MAC", "52:54:00:12:34:56"},
                  {"NIC_0_IP", "10.0.2.15"},
                  {"NIC_0_NETWORK_SUBNET", "10.0.2.0/24"},
                  {"NIC_0_NETWORK_GATEWAY", "10.0.2.2"},
                  {"NIC_0_FRONTEND_TYPE", "paravirtual"}};
    return build_network_model(s);
}

/// Four NICs: static + SLAAC, DHCP + stateful DHCPv6, one left alone and
/// one with stateless DHCPv6 only; paravirtual and e1000 alternating.
NetworkModel mixed_model() {
    NetworkSettings s;
    s.nic_vars = {
        {"NIC_COUNT", "4"},
        {"NIC_0_MAC", "52:54:00:00:00:a0"},
        {"NIC_0_FRONTEND_TYPE", "paravirtual"},
        {"NIC_0_IP", "192.0.2.10"},
        {"NIC_0_NETWORK_SUBNET", "192.0.2.0/24"},
        {"NIC_0_NETWORK_GATEWAY", "192.0.2.1"},
        {"NIC_0_NETWORK_SUBNET6", "2001:db8:0:a0::/64"},
        {"NIC_0_NETWORK_GATEWAY6", "2001:db8:0:a0::1"},
        {"NIC_1_MAC", "52:54:00:00:00:a1"},
        {"NIC_1_FRONTEND_TYPE", "e1000"},
        {"NIC_1_IP", "198.51.100.20"},
        {"NIC_1_NETWORK_SUBNET", "198.51.100.0/24"},
        {"NIC_1_NETWORK_GATEWAY6", "2001:db8:0:a1::1"},
        {"NIC_1_NETWORK_TAGS", "dhcp dhcpv6"},
        {"NIC_2_MAC", "52:54:00:00:00:a2"},
        {"NIC_2_FRONTEND_TYPE", "paravirtual"},
        {"NIC_3_MAC", "52:54:00:00:00:a3"},
        {"NIC_3_FRONTEND_TYPE", "e1000"},
        {"NIC_3_NETWORK_GATEWAY6", "2001:db8:0:a3::1"},
        {"NIC_3_NETWORK_TAGS", "stateless_dhcpv6"},
    };
    return build_network_model(s);
}

const std::string k_debian_interfaces =
    "# interfaces(5) file used by ifup(8) and ifdown(8)\n"
    "source /etc/network/interfaces.d/*\n\n"
    "auto lo\n"
    "iface lo inet loopback\n"
    "\tpre-up echo lo-up\n\n"
    "allow-hotplug ens3\n"
    "iface ens3 inet dhcp\n";

}  // namespace

TEST_CASE("ifupdown", "[network_render]") {
    check_golden("ifupdown-static", render_ifupdown(static_model(), std::nullopt));
    check_golden("ifupdown-mixed", render_ifupdown(mixed_model(), k_debian_interfaces));
}

TEST_CASE("ifupdown keeps the image's loopback stanza only", "[network_render]") {
    Rendering r = render_ifupdown(static_model(), k_debian_interfaces);
    const std::string& text = r.files.at(0).content;
    CHECK_THAT(text, Contains("auto lo\niface lo inet loopback\n    pre-up echo lo-up\n"));
    CHECK(text.find("ens3") == std::string::npos);
    CHECK(text.find("source") == std::string::npos);
    CHECK(r.files.at(0).backup);
}

TEST_CASE("ifcfg", "[network_render]") {
    check_golden("ifcfg-static", render_ifcfg(static_model(), std::nullopt));
    check_golden("ifcfg-mixed", render_ifcfg(mixed_model(), std::string("NETWORKING=no\nHOSTNAME=web1\n"
                                                                        "GATEWAY=10.9.9.9\nGATEWAYDEV=eth0\n")));
}

TEST_CASE("NetworkManager keyfiles", "[network_render]") {
    check_golden("networkmanager-static", render_networkmanager(static_model()));
    check_golden("networkmanager-mixed", render_networkmanager(mixed_model()));
}

TEST_CASE("systemd-networkd", "[network_render]") {
    check_golden("networkd-static", render_networkd(static_model()));
    check_golden("networkd-mixed", render_networkd(mixed_model()));
}

TEST_CASE("netplan", "[network_render]") {
    check_golden("netplan-static", render_netplan(static_model(), {}));
    check_golden("netplan-mixed",
                 render_netplan(mixed_model(),
                                {{"/etc/netplan/01-network-manager-all.yaml",
                                  "network:\n  version: 2\n  renderer: NetworkManager\n"},
                                 {"/etc/netplan/50-cloud-init.yaml",
                                  "network:\n  ethernets:\n    ens3:\n      dhcp4: true\n  version: 2\n"},
                                 {"/etc/netplan/90-imgdeploy.yaml", "network: {ethernets: {}}\n"}}));
}

TEST_CASE("systemd .link files", "[network_render]") {
    check_golden("link-static", render_link_files(static_model()));
    check_golden("link-mixed", render_link_files(mixed_model()));
}

TEST_CASE("cloud-init", "[network_render]") {
    check_golden("cloud-init-static", render_cloud_init(static_model(), "/etc/cloud/cloud.cfg.d"));
    check_golden("cloud-init-mixed", render_cloud_init(mixed_model(), "/etc/cloud/cloud.cfg.d"));
    check_golden("cloud-init-disabled", render_cloud_init_disabled("/usr/local/etc/cloud/cloud.cfg.d"));
}

TEST_CASE("FreeBSD", "[network_render]") {
    NetworkModel m = mixed_model();
    check_golden("freebsd-static", render_freebsd(static_model(),
                                                  bsd_interface_names(static_model(), BsdFamily::freebsd, false),
                                                  "hostname=\"template\"\nsshd_enable=\"YES\"\n"));
    check_golden("freebsd-mixed",
                 render_freebsd(m, bsd_interface_names(m, BsdFamily::freebsd, false),
                                "hostname=\"template\"\nifconfig_vtnet0=\"DHCP\"\nifconfig_DEFAULT=\"DHCP\"\n"
                                "defaultrouter=\"10.0.0.1\"\n# Written by imgdeploy (50ConfigureNetwork)\n"));
}

TEST_CASE("OpenBSD", "[network_render]") {
    NetworkModel m = mixed_model();
    check_golden("openbsd-static",
                 render_openbsd(static_model(), bsd_interface_names(static_model(), BsdFamily::openbsd, false)));
    check_golden("openbsd-mixed", render_openbsd(m, bsd_interface_names(m, BsdFamily::openbsd, false)));
}

TEST_CASE("NetBSD", "[network_render]") {
    NetworkModel m = mixed_model();
    check_golden("netbsd-static",
                 render_netbsd(static_model(), bsd_interface_names(static_model(), BsdFamily::netbsd, false),
                               "hostname=template\ndefaultroute=10.0.0.1\n"));
    check_golden("netbsd-mixed", render_netbsd(m, bsd_interface_names(m, BsdFamily::netbsd, false), std::nullopt));
}

TEST_CASE("BSD interface names: driver of the frontend type, index per driver", "[network_render]") {
    NetworkModel m = mixed_model();
    using V = std::vector<std::string>;
    CHECK(bsd_interface_names(m, BsdFamily::freebsd, false) == V{"vtnet0", "em0", "vtnet1", "em1"});
    CHECK(bsd_interface_names(m, BsdFamily::openbsd, false) == V{"vio0", "em0", "vio1", "em1"});
    CHECK(bsd_interface_names(m, BsdFamily::netbsd, false) == V{"vioif0", "wm0", "vioif1", "wm1"});
    // Xen PV: netfront, counted together with nothing else.
    CHECK(bsd_interface_names(m, BsdFamily::freebsd, true) == V{"xn0", "em0", "xn1", "em1"});

    // NICs sharing a driver share the counter (snf-image summed the types).
    for (const char* t : {"ne2k_isa", "ne2k_pci"}) {
        m.nics[3].frontend_type = t;
        m.nics[1].frontend_type = "ne2k_pci";
        CHECK(bsd_interface_names(m, BsdFamily::freebsd, false) == V{"vtnet0", "ed0", "vtnet1", "ed1"});
    }
    // An unknown type: an error for a configured NIC, no name otherwise.
    m.nics[2].frontend_type = "virtio-9000";
    CHECK(bsd_interface_names(m, BsdFamily::netbsd, false)[2].empty());
    m.nics[1].frontend_type = "";
    CHECK_THROWS_WITH(bsd_interface_names(m, BsdFamily::openbsd, false),
                      Contains("SNF_IMAGE_NIC_1_FRONTEND_TYPE=''"));
}

TEST_CASE("drop_assignments removes whole KEY= lines only", "[network_render]") {
    CHECK(drop_assignments("A=1\n  B = 2\nAB=3\n# A=4\nC\n", {"A", "B"}) == "AB=3\n# A=4\nC\n");
    CHECK(drop_assignments("A=1", {"A"}).empty());
    CHECK(drop_assignments("", {"A"}).empty());
    CHECK(drop_assignments("X=1", {"A"}) == "X=1\n");
}
