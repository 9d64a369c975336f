#include "host/vm/qemu_command.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace imgdeploy;

namespace {

QemuSpec typical_spec() {
    QemuSpec s;
    s.accel = VmAccel::tcg;
    s.memory_mib = 512;
    s.kernel = "/var/lib/imgdeploy/helper/kernel";
    s.initramfs = "/var/lib/imgdeploy/helper/initramfs";
    s.kernel_format = KernelFormat::pvh_elf;
    s.disks = {QemuDisk{7, true}, QemuDisk{8, false}};
    s.floppy_fd = 9;
    s.console_fd = 10;
    s.result_fd = 11;
    s.monitor_fd = 12;
    s.run_as = RunAs{"nobody", 65534, 65534};
    return s;
}

const std::string k_append =
    "console=ttyS0 quiet panic=-1 8250.nr_uarts=3 i8042.noaux i8042.nokbd i8042.nopnp "
    "cryptomgr.notests mitigations=off nokaslr random.trust_cpu=on tsc=reliable no_timer_check "
    "imgdeploy.activate";

}  // namespace

TEST_CASE("qemu command: a typical run, exactly") {
    QemuInvocation inv = build_qemu_command(typical_spec());
    std::vector<std::string> want = {
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
        "--no-new-privs", "--",
        "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-m", "512",
        "-nodefaults", "-no-user-config", "-nic", "none", "-display", "none", "-no-reboot",
        "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
        "-kernel", "/var/lib/imgdeploy/helper/kernel",
        "-initrd", "/var/lib/imgdeploy/helper/initramfs",
        "-append", k_append,
        "-add-fd", "fd=7,set=0,opaque=disk0",
        "-drive", "file=/dev/fdset/0,if=none,id=drive-0,format=raw,cache=none,aio=threads,"
                  "auto-read-only=off,file.driver=host_device",
        "-device", "virtio-blk-pci,drive=drive-0,id=disk-0,addr=0x4",
        "-add-fd", "fd=8,set=1,opaque=disk1",
        "-drive", "file=/dev/fdset/1,if=none,id=drive-1,format=raw,cache=none,aio=threads,"
                  "auto-read-only=off,file.driver=file",
        "-device", "virtio-blk-pci,drive=drive-1,id=disk-1,addr=0x5",
        "-add-fd", "fd=9,set=100,opaque=floppy",
        "-drive", "file=/dev/fdset/100,if=floppy,index=0,format=raw,readonly=on",
        "-add-fd", "fd=10,set=101,opaque=console",
        "-chardev", "file,id=ser0,path=/dev/fdset/101,append=on", "-serial", "chardev:ser0",
        "-add-fd", "fd=11,set=102,opaque=result",
        "-chardev", "file,id=ser1,path=/dev/fdset/102,append=on", "-serial", "chardev:ser1",
        "-add-fd", "fd=12,set=103,opaque=monitor",
        "-chardev", "file,id=ser2,path=/dev/fdset/103,append=on", "-serial", "chardev:ser2",
    };
    CHECK(inv.argv == want);
    CHECK(inv.inherited_fds == std::vector<int>{7, 8, 9, 10, 11, 12});
}

TEST_CASE("qemu command: virtio-scsi, kvm, debug, no setpriv, no floppy") {
    QemuSpec s = typical_spec();
    s.bus = DiskBus::virtio_scsi;
    s.accel = VmAccel::kvm;
    s.debug = true;
    s.run_as.reset();
    s.floppy_fd = -1;
    s.binary = "/opt/qemu/bin/qemu-system-x86_64";
    QemuInvocation inv = build_qemu_command(s);
    REQUIRE(inv.argv.size() > 8);
    CHECK(inv.argv[0] == "/opt/qemu/bin/qemu-system-x86_64");
    CHECK(inv.argv[4] == "kvm");
    auto has = [&inv](const std::string& a) {
        return std::find(inv.argv.begin(), inv.argv.end(), a) != inv.argv.end();
    };
    CHECK(has(k_append + " imgdeploy.debug"));
    CHECK(has("virtio-scsi-pci,id=scsi0,addr=0x4"));
    CHECK(has("scsi-hd,drive=drive-0,id=disk-0,bus=scsi0.0,channel=0,scsi-id=0,lun=0"));
    CHECK(has("scsi-hd,drive=drive-1,id=disk-1,bus=scsi0.0,channel=0,scsi-id=1,lun=0"));
    CHECK(has("-sandbox"));
    for (const auto& a : inv.argv) {
        CHECK(a.find("floppy") == std::string::npos);
        CHECK(a.find("virtio-blk") == std::string::npos);
    }
    CHECK(inv.inherited_fds == std::vector<int>{7, 8, 10, 11, 12});
}

TEST_CASE("qemu command: a disk without O_DIRECT is not opened cache=none") {
    QemuSpec s = typical_spec();
    s.disks = {QemuDisk{7, false, false}};
    QemuInvocation inv = build_qemu_command(s);
    CHECK(std::find(inv.argv.begin(), inv.argv.end(),
                    "file=/dev/fdset/0,if=none,id=drive-0,format=raw,cache=writeback,aio=threads,"
                    "auto-read-only=off,file.driver=file") != inv.argv.end());
}

TEST_CASE("qemu command: refuses an incomplete spec") {
    QemuSpec s = typical_spec();
    s.disks.clear();
    CHECK_THROWS_AS(build_qemu_command(s), Error);
    s = typical_spec();
    s.result_fd = -1;
    CHECK_THROWS_AS(build_qemu_command(s), Error);
    s = typical_spec();
    s.kernel.clear();
    CHECK_THROWS_AS(build_qemu_command(s), Error);
    s = typical_spec();
    s.disks.assign(28, QemuDisk{7, false});
    CHECK_THROWS_AS(build_qemu_command(s), Error);
}

TEST_CASE("guest disk names follow the bus") {
    CHECK(disk_bus_for("") == DiskBus::virtio_blk);
    CHECK(disk_bus_for("paravirtual") == DiskBus::virtio_blk);
    CHECK(disk_bus_for("ide") == DiskBus::virtio_blk);
    CHECK(disk_bus_for("scsi") == DiskBus::virtio_scsi);
    CHECK(disk_bus_for("scsi-hd") == DiskBus::virtio_scsi);
    CHECK(disk_bus_for("scsi-generic") == DiskBus::virtio_scsi);
    CHECK(guest_disk_names(DiskBus::virtio_blk, 3) ==
          std::vector<std::string>{"/dev/vda", "/dev/vdb", "/dev/vdc"});
    CHECK(guest_disk_names(DiskBus::virtio_scsi, 2) ==
          std::vector<std::string>{"/dev/sda", "/dev/sdb"});
    auto many = guest_disk_names(DiskBus::virtio_blk, 28);
    CHECK(many[25] == "/dev/vdz");
    CHECK(many[26] == "/dev/vdaa");
    CHECK(many[27] == "/dev/vdab");
}

TEST_CASE("kernel formats and the helper user") {
    CHECK(parse_kernel_format("pvh-elf") == KernelFormat::pvh_elf);
    CHECK(parse_kernel_format("bzimage") == KernelFormat::bzimage);
    CHECK_FALSE(parse_kernel_format("vmlinux"));
    RunAs nobody = resolve_run_as("nobody");
    CHECK(nobody.uid == 65534);
    CHECK(nobody.gid != 0);
    CHECK_THROWS_WITH(resolve_run_as("no-such-user-imgdeploy"),
                      Catch::Matchers::Contains("does not exist"));
}
