#include "tasks/lib/fstab.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

TEST_CASE("parse_fstab skips comments and blank lines and keeps line numbers", "[fstab]") {
    auto e = parse_fstab("# comment\n\nUUID=abc / ext4 errors=remount-ro 0 1\n  LABEL=boot /boot/ ext2\n");
    REQUIRE(e.size() == 2);
    CHECK(e[0].line == 3);
    CHECK(e[0].spec == "UUID=abc");
    CHECK(e[0].mount_point == "/");
    CHECK(e[0].options == std::vector<std::string>{"errors=remount-ro"});
    CHECK(e[1].line == 4);
    CHECK(e[1].mount_point == "/boot");
    CHECK(e[1].options == std::vector<std::string>{"defaults"});
}

TEST_CASE("parse_fstab decodes octal escapes", "[fstab]") {
    auto e = parse_fstab("LABEL=My\\040Disk /mnt/my\\040data ext4 defaults 0 2\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].spec == "LABEL=My Disk");
    CHECK(e[0].mount_point == "/mnt/my data");
    CHECK(decode_fstab_escapes("a\\\\b\\01") == "a\\\\b\\01");
}

TEST_CASE("parse_fstab rejects a line with fewer than 3 fields", "[fstab]") {
    CHECK_THROWS_WITH(parse_fstab("ok / ext4\nbroken /x\n"), Contains("line 2"));
}

TEST_CASE("device_reference accepts UUID=, LABEL= and /dev/disk/by-*", "[fstab]") {
    auto u = device_reference("UUID=\"1234-ABCD\"");
    REQUIRE(u);
    CHECK(u->kind == DeviceRef::Kind::uuid);
    CHECK(u->value == "1234-ABCD");
    auto l = device_reference("LABEL=root");
    REQUIRE(l);
    CHECK(l->kind == DeviceRef::Kind::label);
    CHECK(device_reference("/dev/disk/by-uuid/abcd")->value == "abcd");
    CHECK(device_reference("/dev/disk/by-label/x")->kind == DeviceRef::Kind::label);
    CHECK_FALSE(device_reference("/dev/sda1"));
    CHECK_FALSE(device_reference("PARTUUID=1"));
}

TEST_CASE("plan_fstab_mounts: non-root disk entries, parents first", "[fstab]") {
    auto plan = plan_fstab_mounts(parse_fstab("UUID=r / ext4 defaults 0 1\n"
                                              "UUID=e /boot/efi vfat umask=0077 0 1\n"
                                              "UUID=b /boot ext4 defaults 0 2\n"
                                              "UUID=s none swap sw 0 0\n"
                                              "proc /proc proc defaults 0 0\n"
                                              "tmpfs /tmp tmpfs defaults 0 0\n"
                                              "LABEL=h /home xfs defaults 0 2\n"));
    REQUIRE(plan.mounts.size() == 3);
    CHECK(plan.mounts[0].entry.mount_point == "/boot");
    CHECK(plan.mounts[1].entry.mount_point == "/boot/efi");
    CHECK(plan.mounts[2].entry.mount_point == "/home");
    CHECK(plan.mounts[2].device.kind == DeviceRef::Kind::label);
    CHECK(plan.notes.empty());
}

TEST_CASE("plan_fstab_mounts skips noauto, bind and other types with a note", "[fstab]") {
    auto plan = plan_fstab_mounts(parse_fstab("/dev/fd0 /media/floppy auto noauto,user 0 0\n"
                                              "/srv /export none bind 0 0\n"
                                              "server:/x /net nfs defaults 0 0\n"));
    CHECK(plan.mounts.empty());
    REQUIRE(plan.notes.size() == 2);
    CHECK_THAT(plan.notes[0], Contains("line 1"));
    CHECK_THAT(plan.notes[1], Contains("'nfs'"));
}

TEST_CASE("plan_fstab_mounts refuses kernel device names, naming the line", "[fstab]") {
    CHECK_THROWS_WITH(plan_fstab_mounts(parse_fstab("UUID=r / ext4 defaults\n/dev/sda2 /home ext4 defaults\n")),
                      Contains("line 2") && Contains("'/dev/sda2'") && Contains("UUID= or LABEL="));
}

TEST_CASE("plan_fstab_mounts refuses a relative mount point", "[fstab]") {
    CHECK_THROWS_WITH(plan_fstab_mounts(parse_fstab("UUID=x home ext4 defaults\n")), Contains("not an absolute"));
}

TEST_CASE("FstabEntry option helpers", "[fstab]") {
    auto e = parse_fstab("LABEL=r /home btrfs subvol=@home,noatime,nofail 0 0\n").at(0);
    CHECK(e.option_value("subvol") == "@home");
    CHECK_FALSE(e.option_value("subvolid"));
    CHECK(e.has_option("nofail"));
    CHECK_FALSE(e.has_option("subvol"));
}
