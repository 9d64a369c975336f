#pragma once
// The helper VM's kernel: finding it in /boot, reading its version from the
// bzImage setup header, extracting the uncompressed ELF vmlinux from the
// bzImage payload (like the kernel's scripts/extract-vmlinux) and checking
// that the ELF has a PVH entry point, which lets qemu boot it directly
// (2-3x faster under TCG than the bzImage: no real-mode setup, no in-guest
// decompression).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::builder {

/// The kernel to ship and where its modules are.
struct KernelChoice {
    std::string image_path;   // the bzImage, e.g. /boot/vmlinuz-6.1.0-56-amd64
    std::string version;      // e.g. 6.1.0-56-amd64
    std::string modules_dir;  // e.g. /lib/modules/6.1.0-56-amd64
};

/// Resolves --kernel: empty means the newest <boot_dir>/vmlinuz-* by
/// version sort; a value containing '/' is the path of a bzImage (its
/// modules are those of the version in its header); anything else is a
/// VERSION (<boot_dir>/vmlinuz-VERSION, <modules_root>/VERSION). Throws
/// Error saying what to install or pass when nothing fits.
KernelChoice choose_kernel(const std::string& spec, const std::string& boot_dir = "/boot",
                           const std::string& modules_root = "/lib/modules");

/// The newest of some kernel versions by version sort (strverscmp), e.g.
/// 6.10.0-1-amd64 over 6.9.2-1-amd64. Requires a non-empty list.
std::string newest_version(const std::vector<std::string>& versions);

/// The release string in a bzImage's setup header (kernel_version field,
/// boot protocol 2.00+): its first word, e.g. "6.1.0-56-amd64".
std::optional<std::string> bzimage_version(std::string_view bzimage);

/// The decompressed vmlinux in a bzImage: the first gzip, xz or zstd stream
/// in the file that decompresses to an ELF image (the setup header's
/// payload_offset is tried first). Throws Error when there is none.
struct ExtractedKernel {
    std::string elf;
    std::string compression;  // "xz", "gzip" or "zstd"
};
ExtractedKernel extract_vmlinux(std::string_view bzimage, const std::string& what);

/// True when `data` starts with the ELF magic.
bool is_elf(std::string_view data);

/// The 32-bit physical PVH entry address from the ELF's Xen note
/// (name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY = 18) in a PT_NOTE segment,
/// which is where qemu looks for it. nullopt when absent or not ELF64.
std::optional<uint32_t> pvh_entry(std::string_view elf);

}  // namespace imgdeploy::builder
