#include "host/vm/qemu_command.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <pwd.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// fd-set numbers: disk K is set K; the floppy and the serial ports follow
/// well above any disk count Ganeti allows (16).
constexpr int k_floppy_set = 100;
constexpr int k_serial_set = 101;  // ttyS0 101, ttyS1 102, ttyS2 103
/// virtio-blk disk K sits in PCI slot 4+K (slots 0-3 are taken or reserved
/// on -M pc); the virtio-scsi controller sits in slot 4.
constexpr int k_first_pci_slot = 4;
constexpr size_t k_max_disks = 0x1f - k_first_pci_slot;

std::string hex(int value) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[value % 16]);
        value /= 16;
    } while (value > 0);
    return "0x" + out;
}

void add(std::vector<std::string>& argv, std::initializer_list<std::string> args) {
    argv.insert(argv.end(), args);
}

void add_fd(QemuInvocation& inv, int fd, int set, const std::string& opaque) {
    add(inv.argv, {"-add-fd", "fd=" + std::to_string(fd) + ",set=" + std::to_string(set) +
                                  ",opaque=" + opaque});
    inv.inherited_fds.push_back(fd);
}

void add_disks(QemuInvocation& inv, const QemuSpec& spec) {
    if (spec.bus == DiskBus::virtio_scsi) {
        add(inv.argv, {"-device", "virtio-scsi-pci,id=scsi0,addr=" + hex(k_first_pci_slot)});
    }
    for (size_t k = 0; k < spec.disks.size(); ++k) {
        const QemuDisk& disk = spec.disks[k];
        std::string n = std::to_string(k);
        add_fd(inv, disk.fd, static_cast<int>(k), "disk" + n);
        add(inv.argv,
            {"-drive", "file=/dev/fdset/" + n + ",if=none,id=drive-" + n +
                           ",format=raw,cache=" + (disk.direct ? "none" : "writeback") +
                           ",aio=threads,auto-read-only=off,file.driver=" +
                           (disk.block_device ? "host_device" : "file")});
        if (spec.bus == DiskBus::virtio_scsi) {
            add(inv.argv, {"-device", "scsi-hd,drive=drive-" + n + ",id=disk-" + n +
                                          ",bus=scsi0.0,channel=0,scsi-id=" + n + ",lun=0"});
        } else {
            add(inv.argv, {"-device", "virtio-blk-pci,drive=drive-" + n + ",id=disk-" + n +
                                          ",addr=" + hex(k_first_pci_slot + static_cast<int>(k))});
        }
    }
}

void add_serial(QemuInvocation& inv, int index, int fd, const char* name) {
    int set = k_serial_set + index;
    std::string id = "ser" + std::to_string(index);
    add_fd(inv, fd, set, name);
    add(inv.argv, {"-chardev", "file,id=" + id + ",path=/dev/fdset/" + std::to_string(set) +
                                   ",append=on",
                   "-serial", "chardev:" + id});
}

void check(const QemuSpec& spec) {
    if (spec.kernel.empty() || spec.initramfs.empty()) {
        throw Error("qemu command: no helper kernel or initramfs");
    }
    if (spec.disks.empty() || spec.disks.size() > k_max_disks) {
        throw Error("qemu command: " + std::to_string(spec.disks.size()) +
                    " disks (expected 1 to " + std::to_string(k_max_disks) + ")");
    }
    if (spec.console_fd < 0 || spec.result_fd < 0 || spec.monitor_fd < 0) {
        throw Error("qemu command: a serial port has no pipe");
    }
}

}  // namespace

const char* to_string(VmAccel accel) { return accel == VmAccel::kvm ? "kvm" : "tcg"; }

std::optional<KernelFormat> parse_kernel_format(const std::string& text) {
    if (text == "pvh-elf") {
        return KernelFormat::pvh_elf;
    }
    if (text == "bzimage") {
        return KernelFormat::bzimage;
    }
    return std::nullopt;
}

const char* to_string(KernelFormat format) {
    return format == KernelFormat::pvh_elf ? "pvh-elf" : "bzimage";
}

DiskBus disk_bus_for(const std::string& disk_type) {
    return disk_type.rfind("scsi", 0) == 0 ? DiskBus::virtio_scsi : DiskBus::virtio_blk;
}

std::vector<std::string> guest_disk_names(DiskBus bus, size_t count) {
    std::string prefix = bus == DiskBus::virtio_scsi ? "/dev/sd" : "/dev/vd";
    std::vector<std::string> names;
    for (size_t i = 0; i < count; ++i) {
        // sda..sdz, then sdaa.. as the kernel names them.
        std::string suffix(1, static_cast<char>('a' + i % 26));
        if (i >= 26) {
            suffix.insert(suffix.begin(), static_cast<char>('a' + i / 26 - 1));
        }
        names.push_back(prefix + suffix);
    }
    return names;
}

RunAs resolve_run_as(const std::string& user) {
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(16384);
    int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != 0) {
        throw SystemError("looking up the helper user '" + user + "'", "getpwnam_r", rc);
    }
    if (found == nullptr) {
        throw Error("the helper user '" + user + "' does not exist (helper.user in the config)");
    }
    return RunAs{user, pw.pw_uid, pw.pw_gid};
}

std::vector<std::string> setpriv_prefix(const RunAs& run_as) {
    return {"setpriv",
            "--reuid=" + std::to_string(run_as.uid),
            "--regid=" + std::to_string(run_as.gid),
            "--clear-groups",
            "--inh-caps=-all",
            "--no-new-privs",
            "--"};
}

std::string helper_kernel_command_line(bool debug) {
    // Each option was measured under TCG (PERF-FACTS.md): quiet because
    // serial output is slow; 8250.nr_uarts=3 for exactly our three ports;
    // no i8042 probing; no crypto self-tests; no mitigations or KASLR in a
    // throw-away VM; trust the TSC and the CPU's RNG to skip calibration
    // and entropy waits. panic=-1 reboots at once, which -no-reboot turns
    // into qemu exiting.
    std::string line =
        "console=ttyS0 quiet panic=-1 8250.nr_uarts=3 i8042.noaux i8042.nokbd i8042.nopnp "
        "cryptomgr.notests mitigations=off nokaslr random.trust_cpu=on tsc=reliable "
        "no_timer_check imgdeploy.activate";
    if (debug) {
        line += " imgdeploy.debug";
    }
    return line;
}

QemuInvocation build_qemu_command(const QemuSpec& spec) {
    check(spec);
    QemuInvocation inv;
    if (spec.run_as) {
        inv.argv = setpriv_prefix(*spec.run_as);
    }
    add(inv.argv, {spec.binary,
                   // -M pc: the parameter floppy needs the ISA floppy controller.
                   "-M", "pc", "-accel", to_string(spec.accel), "-m",
                   std::to_string(spec.memory_mib), "-nodefaults", "-no-user-config", "-nic",
                   "none", "-display", "none", "-no-reboot", "-sandbox",
                   "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
                   "-kernel", spec.kernel, "-initrd", spec.initramfs, "-append",
                   helper_kernel_command_line(spec.debug)});
    add_disks(inv, spec);
    if (spec.floppy_fd >= 0) {
        add_fd(inv, spec.floppy_fd, k_floppy_set, "floppy");
        add(inv.argv, {"-drive", "file=/dev/fdset/" + std::to_string(k_floppy_set) +
                                     ",if=floppy,index=0,format=raw,readonly=on"});
    }
    add_serial(inv, 0, spec.console_fd, "console");
    add_serial(inv, 1, spec.result_fd, "result");
    add_serial(inv, 2, spec.monitor_fd, "monitor");
    return inv;
}

}  // namespace imgdeploy
