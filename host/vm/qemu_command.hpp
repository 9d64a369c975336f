#pragma once
// The qemu command line of the helper VM, as a pure function of a QemuSpec
// so that it is tested by comparing strings (tests/unit/host/vm).
//
// Nothing is opened by path inside qemu except the kernel and initramfs:
// the host opens every disk, the floppy and the serial pipes as root and
// qemu inherits them as fds (-add-fd into fd sets, /dev/fdset/N). Then qemu
// starts under `setpriv` as the unprivileged helper user, so it never runs
// as root (qemu's -runas is deprecated and drops privileges too late).
//
// qemu 7.2 details found by experiment:
// - a disk in an fd set needs auto-read-only=off, or qemu first asks the
//   set for a read-only fd and fails ("Could not dup FD ... Permission
//   denied");
// - a block device needs file.driver=host_device: qemu cannot stat
//   /dev/fdset/N to guess it, and the default 'file' driver refuses block
//   devices;
// - a serial chardev on an fd set needs append=on: without it qemu opens
//   with O_TRUNC and ftruncate() on a pipe fails (EINVAL);
// - a read-only floppy (readonly=on, fd opened O_RDONLY) works with -M pc.

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace imgdeploy {

/// The accelerator qemu runs the helper with.
enum class VmAccel { kvm, tcg };
const char* to_string(VmAccel accel);

/// How the helper kernel is booted. qemu -M pc boots either format through
/// -kernel: a PVH ELF (vmlinux with a PVH note) through its PVH entry,
/// which is much faster under TCG, and a bzImage through the real-mode setup.
enum class KernelFormat { pvh_elf, bzimage };
/// "pvh-elf" or "bzimage" (the helper manifest's kernel_format).
std::optional<KernelFormat> parse_kernel_format(const std::string& text);
const char* to_string(KernelFormat format);

/// How the instance's disks appear in the helper VM: virtio-blk (/dev/vda,
/// /dev/vdb, ...; there is no helper root disk, the helper runs from its
/// initramfs) or virtio-scsi (/dev/sda, ...).
enum class DiskBus { virtio_blk, virtio_scsi };
/// Ganeti's INSTANCE_HV_disk_type: anything starting with "scsi" (scsi,
/// scsi-hd, scsi-block, scsi-generic) is virtio-scsi, the rest (paravirtual,
/// empty, ide, ...) virtio-blk.
DiskBus disk_bus_for(const std::string& disk_type);
/// Guest device names of `count` disks, disk 0 first (HelperParams.devices).
std::vector<std::string> guest_disk_names(DiskBus bus, size_t count);

/// An unprivileged user to run a program as (setpriv).
struct RunAs {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;  // the user's primary group
};
/// Looks the user up (getpwnam_r). Throws Error when there is no such user.
RunAs resolve_run_as(const std::string& user);
/// `setpriv --reuid=U --regid=G --clear-groups --inh-caps=-all
/// --no-new-privs --`, to put before a command.
std::vector<std::string> setpriv_prefix(const RunAs& run_as);

/// One disk of the instance, as an fd qemu inherits.
struct QemuDisk {
    int fd = -1;                // open O_RDWR (O_DIRECT where possible)
    bool block_device = false;  // host_device driver, else file
    /// The fd is O_DIRECT: cache=none. Without it (tmpfs refuses O_DIRECT)
    /// cache=writeback, since qemu would fail to set O_DIRECT on the shared
    /// open file.
    bool direct = true;
};

/// Everything the command line depends on. The fds are numbers in the
/// process that execs qemu: they must not be close-on-exec there.
struct QemuSpec {
    std::string binary = "qemu-system-x86_64";
    VmAccel accel = VmAccel::tcg;
    unsigned memory_mib = 512;
    std::string kernel;
    std::string initramfs;
    KernelFormat kernel_format = KernelFormat::bzimage;
    DiskBus bus = DiskBus::virtio_blk;
    std::vector<QemuDisk> disks;
    int floppy_fd = -1;  // read-only fd of the parameter floppy; -1: none
    int console_fd = -1;  // write ends of the pipes behind ttyS0, ttyS1, ttyS2
    int result_fd = -1;
    int monitor_fd = -1;
    bool debug = false;  // imgdeploy.debug on the kernel command line
    /// Run qemu as this user through setpriv; nullopt: as the caller.
    std::optional<RunAs> run_as;
};

struct QemuInvocation {
    std::vector<std::string> argv;
    /// The fds the child must inherit (every fd named in argv).
    std::vector<int> inherited_fds;
};

/// The helper kernel's command line (helper_protocol.hpp).
std::string helper_kernel_command_line(bool debug);

/// Builds the command; pure (no system calls). Throws Error when the spec
/// is incomplete (no disk, no kernel, a missing pipe fd).
QemuInvocation build_qemu_command(const QemuSpec& spec);

}  // namespace imgdeploy
