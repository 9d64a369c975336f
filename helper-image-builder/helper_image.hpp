#pragma once
// Building the helper image: the kernel, the initramfs and the manifest
// that imgdeploy boots in the helper VM, from what is installed on this
// host (no network). The steps, in order:
//   choose_kernel()      /boot/vmlinuz-<v> and /lib/modules/<v>
//   prepare_kernel()     the PVH-bootable vmlinux, or the bzImage as it is
//   assemble_initramfs() /init, tasks, programs and their libraries, the
//                        shell, kernel modules and modules.load
//   write_outputs()      kernel, initramfs, manifest.json into DIR.tmp-XXXXXX
//   replace_output()     swap it with DIR atomically, then drop the old one
// The same inputs always give byte-identical files.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy::builder {

struct BuildOptions {
    std::string output_dir;
    /// --kernel: empty (newest in boot_dir), a VERSION or a bzImage PATH.
    std::string kernel;
    std::string builtin_tasks_dir = "/usr/lib/imgdeploy/tasks";
    /// Drop-in tasks; a missing directory means none.
    std::string tasks_dir = "/etc/imgdeploy/tasks.d";
    std::string helper_binary = "/usr/lib/imgdeploy/imgdeploy-helper";
    /// $SOURCE_DATE_EPOCH: the mtime of every initramfs member (else 0) and
    /// recorded in the manifest.
    std::optional<uint32_t> source_date_epoch;
    std::string boot_dir = "/boot";
    std::string modules_root = "/lib/modules";
};

/// What was built, for the log and the tests.
struct BuildReport {
    std::string output_dir;
    std::string kernel_version;
    std::string kernel_format;  // "pvh-elf" or "bzimage"
    uint64_t kernel_bytes = 0;
    uint64_t initramfs_bytes = 0;
    size_t programs = 0;
    size_t libraries = 0;
    size_t modules = 0;
    uint64_t module_bytes = 0;
    size_t tasks = 0;
};

/// Builds the helper image into options.output_dir, replacing the previous
/// one only once the new one is complete. Throws Error on failure, leaving
/// the previous image and no temporary files behind.
BuildReport build_helper_image(const BuildOptions& options);

/// Kernel modules the helper loads (with their dependencies): virtio disks,
/// SCSI disks, the parameter floppy and the file systems it works on, plus
/// fuse when ntfs-3g is in the image.
std::vector<std::string> helper_module_names(bool with_fuse);
/// The modules in load groups: "base" (loaded at boot) and one group per
/// file system (loaded when a disk holds it); names as modprobe knows them.
std::vector<std::pair<std::string, std::vector<std::string>>> helper_module_groups(bool with_fuse);

}  // namespace imgdeploy::builder
