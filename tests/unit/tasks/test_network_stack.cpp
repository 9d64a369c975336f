// Renderer choice over temp trees shaped like the images of each family,
// and writing a rendering into a tree (backups, modes, moves).

#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "tasks/lib/network_apply.hpp"
#include "tasks/lib/network_stack.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
namespace fs = std::filesystem;

namespace {

struct Tree {
    TempDir dir{"/tmp", "imgdeploy-unit-net-"};
    std::string root = dir.path() + "/root";

    Tree() { fs::create_directories(root); }

    /// Creates a file (and its directories) under the root.
    Tree& file(const std::string& path, const std::string& text = "") {
        fs::create_directories(fs::path(root + path).parent_path());
        std::ofstream(root + path) << text;
        return *this;
    }
    Tree& dir_(const std::string& path) {
        fs::create_directories(root + path);
        return *this;
    }
    Tree& link(const std::string& path, const std::string& target) {
        fs::create_directories(fs::path(root + path).parent_path());
        fs::create_symlink(target, root + path);
        return *this;
    }
    /// `systemctl enable`: a symlink in <target>.wants.
    Tree& enable(const std::string& wants_dir, const std::string& unit) {
        return link("/etc/systemd/system/" + wants_dir + "/" + unit, "/usr/lib/systemd/system/" + unit);
    }
    NetworkProbe probe(const std::string& family = "linux", bool nm_networking = false) const {
        return probe_network_stack(RootDir(root), family, nm_networking);
    }
    NetRenderer choice(const std::string& family = "linux", bool nm_networking = false) const {
        return choose_renderer(probe(family, nm_networking)).renderer;
    }
    std::string read(const std::string& path) const {
        std::ifstream in(root + path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    unsigned mode(const std::string& path) const {
        struct stat st {};
        REQUIRE(::lstat((root + path).c_str(), &st) == 0);
        return st.st_mode & 07777;
    }
};

/// A merged-/usr Debian 12 with ifupdown, as the test images are.
void debian(Tree& t) {
    t.link("/sbin", "usr/sbin")
        .file("/usr/sbin/ifup")
        .file("/etc/network/interfaces", "auto lo\niface lo inet loopback\n")
        .enable("multi-user.target.wants", "networking.service");
}

}  // namespace

TEST_CASE("Debian with ifupdown: ifupdown, .link files where systemd is", "[network_stack]") {
    Tree t;
    debian(t);
    NetworkProbe p = t.probe();
    CHECK(p.ifupdown);
    CHECK(p.systemd);  // /etc/systemd/system exists
    CHECK_FALSE(p.cloud_init);
    CHECK(p.cloud_cfg_dir == "/etc/cloud/cloud.cfg.d");
    CHECK(choose_renderer(p).renderer == NetRenderer::ifupdown);
    CHECK(choose_renderer(p).why == "ifupdown (ifup and /etc/network/interfaces)");

    SECTION("NM_NETWORKING forces NetworkManager") { CHECK(t.choice("linux", true) == NetRenderer::network_manager); }
    SECTION("networkd enabled (by its socket) wins over ifupdown") {
        t.enable("sockets.target.wants", "systemd-networkd.socket");
        CHECK(t.choice() == NetRenderer::networkd);
    }
    SECTION("NetworkManager installed and enabled wins; installed only does not") {
        t.file("/usr/sbin/NetworkManager");
        CHECK(t.choice() == NetRenderer::ifupdown);
        t.link("/etc/systemd/system/dbus-org.freedesktop.NetworkManager.service",
               "/usr/lib/systemd/system/NetworkManager.service");
        CHECK(t.choice() == NetRenderer::network_manager);
    }
    SECTION("an ifupdown package without /etc/network/interfaces is not used") {
        ::unlink((t.root + "/etc/network/interfaces").c_str());
        CHECK(t.choice() == NetRenderer::none);
    }
    SECTION("cloud-init in the image") {
        t.file("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud]\n");
        CHECK(t.probe().cloud_init);
    }
}

TEST_CASE("Ubuntu with netplan: netplan, whatever else is enabled", "[network_stack]") {
    Tree t;
    t.file("/usr/sbin/netplan")
        .file("/etc/netplan/50-cloud-init.yaml", "network: {version: 2}\n")
        .enable("multi-user.target.wants", "systemd-networkd.service")
        .file("/usr/sbin/ifup")
        .file("/etc/network/interfaces");
    CHECK(t.choice() == NetRenderer::netplan);
    SECTION("the netplan directory without netplan is not netplan") {
        ::unlink((t.root + "/usr/sbin/netplan").c_str());
        CHECK(t.choice() == NetRenderer::networkd);
    }
}

TEST_CASE("RHEL family: NetworkManager when enabled, else ifcfg", "[network_stack]") {
    Tree t;
    t.file("/etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n")
        .file("/usr/sbin/NetworkManager")
        .file("/usr/bin/udevadm");
    CHECK(t.choice() == NetRenderer::ifcfg);
    CHECK(t.probe().systemd);  // udevadm
    t.enable("multi-user.target.wants", "NetworkManager.service");
    CHECK(t.choice() == NetRenderer::network_manager);

    Tree lo_only;
    lo_only.file("/etc/sysconfig/network-scripts/ifcfg-lo");
    CHECK(lo_only.choice() == NetRenderer::none);
    lo_only.file("/etc/sysconfig/network-scripts/ifup-eth");
    CHECK(lo_only.choice() == NetRenderer::ifcfg);
    CHECK_FALSE(lo_only.probe().systemd);
}

TEST_CASE("OpenRC runlevels count as enabled", "[network_stack]") {
    Tree t;
    t.file("/usr/sbin/NetworkManager").link("/etc/runlevels/default/NetworkManager", "/etc/init.d/NetworkManager");
    CHECK(t.choice() == NetRenderer::network_manager);
}

TEST_CASE("BSDs by OSFAMILY; Windows and unknown images get none", "[network_stack]") {
    Tree t;
    debian(t);  // the family decides, not the files
    CHECK(t.choice("freebsd") == NetRenderer::freebsd);
    CHECK(t.choice("openbsd") == NetRenderer::openbsd);
    CHECK(t.choice("netbsd") == NetRenderer::netbsd);
    CHECK(t.choice("windows") == NetRenderer::none);
    CHECK(t.probe("freebsd").cloud_cfg_dir == "/usr/local/etc/cloud/cloud.cfg.d");
    Tree empty;
    CHECK(empty.choice() == NetRenderer::none);
    CHECK_FALSE(empty.probe().systemd);
}

TEST_CASE("the probe never looks outside the image", "[network_stack]") {
    Tree t;
    // Absolute links to files the host has: inside the image they lead nowhere.
    t.link("/usr/sbin/ifup", "/bin/sh").link("/etc/network/interfaces", "/etc/hostname");
    t.link("/usr/sbin/netplan", "/bin/sh").dir_("/etc/netplan");
    CHECK(t.choice() == NetRenderer::none);
    // Links inside the image are followed there.
    t.file("/bin/sh");
    CHECK(t.choice() == NetRenderer::netplan);
}

TEST_CASE("apply_rendering: backups, modes, moves, directories", "[network_stack]") {
    Tree t;
    t.file("/etc/network/interfaces", "old\n").file("/etc/netplan/50-cloud-init.yaml", "network: {ethernets: {}}\n");
    ::chmod((t.root + "/etc/network/interfaces").c_str(), 0640);
    Rendering r;
    r.files.push_back({"/etc/network/interfaces", "new\n", std::nullopt, true});
    r.files.push_back({"/etc/NetworkManager/system-connections/a.nmconnection", "[connection]\n", 0600, true});
    r.move_aside.push_back("/etc/netplan/50-cloud-init.yaml");
    r.move_aside.push_back("/etc/netplan/missing.yaml");
    RootDir root(t.root);
    auto done = apply_rendering(root, r, "20260102030405");

    CHECK(t.read("/etc/network/interfaces") == "new\n");
    CHECK(t.mode("/etc/network/interfaces") == 0640);  // kept
    CHECK(t.read("/etc/network/interfaces.imgdeploy-20260102030405.bak") == "old\n");
    CHECK(t.mode("/etc/network/interfaces.imgdeploy-20260102030405.bak") == 0640);
    CHECK(t.mode("/etc/NetworkManager/system-connections/a.nmconnection") == 0600);
    CHECK(t.mode("/etc/NetworkManager/system-connections") == 0755);
    CHECK_FALSE(fs::exists(t.root + "/etc/netplan/50-cloud-init.yaml"));
    CHECK(t.read("/etc/netplan/50-cloud-init.yaml.imgdeploy-20260102030405.bak") == "network: {ethernets: {}}\n");
    CHECK(done.size() == 3);

    SECTION("a second run with the same content keeps no second backup") {
        apply_rendering(root, r, "20260102030406");
        CHECK_FALSE(fs::exists(t.root + "/etc/network/interfaces.imgdeploy-20260102030406.bak"));
    }
    SECTION("a changed file in the same second gets a numbered backup") {
        r.files[0].content = "newer\n";
        apply_rendering(root, r, "20260102030405");
        CHECK(t.read("/etc/network/interfaces.imgdeploy-20260102030405-1.bak") == "new\n");
    }
}

TEST_CASE("apply_rendering replaces a symlink instead of writing through it", "[network_stack]") {
    Tree t;
    t.file("/outside-target", "image file\n").link("/etc/network/interfaces", "/outside-target");
    Rendering r;
    r.files.push_back({"/etc/network/interfaces", "new\n", std::nullopt, true});
    apply_rendering(RootDir(t.root), r, "1");
    CHECK(t.read("/outside-target") == "image file\n");
    CHECK(fs::is_regular_file(fs::symlink_status(t.root + "/etc/network/interfaces")));
    CHECK(t.read("/etc/network/interfaces.imgdeploy-1.bak") == "image file\n");
}
