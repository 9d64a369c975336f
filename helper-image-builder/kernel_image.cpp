#include "helper-image-builder/kernel_image.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/compression/compression.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <string.h>  // strverscmp (GNU)
#include <sys/stat.h>

namespace imgdeploy::builder {

namespace {

// Offsets in the x86 boot protocol's setup header (Documentation/x86/boot.rst).
constexpr size_t k_setup_sects = 0x1f1;
constexpr size_t k_header_magic = 0x202;  // "HdrS"
constexpr size_t k_protocol_version = 0x206;
constexpr size_t k_kernel_version = 0x20e;
constexpr size_t k_payload_offset = 0x248;  // protocol 2.08+
constexpr uint32_t k_xen_elfnote_phys32_entry = 18;
/// How many magic-number hits to try per format when scanning the file.
constexpr int k_max_candidates = 64;

template <typename T>
std::optional<T> load(std::string_view data, size_t offset) {
    if (offset > data.size() || data.size() - offset < sizeof(T)) {
        return std::nullopt;
    }
    T value;
    std::memcpy(&value, data.data() + offset, sizeof(T));
    return value;
}

bool has_setup_header(std::string_view bzimage) {
    return bzimage.size() > 0x260 && bzimage.substr(k_header_magic, 4) == "HdrS";
}

/// Where the setup header says the compressed payload starts, if it says.
std::optional<size_t> header_payload_start(std::string_view bzimage) {
    if (!has_setup_header(bzimage) || load<uint16_t>(bzimage, k_protocol_version).value_or(0) < 0x208) {
        return std::nullopt;
    }
    size_t sects = static_cast<unsigned char>(bzimage[k_setup_sects]);
    if (sects == 0) {
        sects = 4;  // the boot protocol's rule for old images
    }
    size_t start = (sects + 1) * 512 + load<uint32_t>(bzimage, k_payload_offset).value_or(0);
    return start < bzimage.size() ? std::optional<size_t>(start) : std::nullopt;
}

/// Every offset where a known compression magic starts: the header's payload
/// first, then file order (as scripts/extract-vmlinux tries them).
std::vector<size_t> payload_candidates(std::string_view bzimage) {
    std::vector<size_t> out;
    if (auto start = header_payload_start(bzimage)) {
        out.push_back(*start);
    }
    static const std::string_view magics[] = {
        std::string_view("\xfd" "7zXZ\0", 6), std::string_view("\x1f\x8b\x08", 3),
        std::string_view("\x28\xb5\x2f\xfd", 4)};
    for (std::string_view magic : magics) {
        size_t pos = 0;
        for (int n = 0; n < k_max_candidates; ++n) {
            pos = bzimage.find(magic, pos);
            if (pos == std::string_view::npos) {
                break;
            }
            if (std::find(out.begin(), out.end(), pos) == out.end()) {
                out.push_back(pos);
            }
            ++pos;
        }
    }
    std::stable_sort(out.begin() + (header_payload_start(bzimage) ? 1 : 0), out.end());
    return out;
}

std::vector<std::string> installed_versions(const std::string& boot_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(boot_dir, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("vmlinuz-", 0) == 0 && name.size() > 8 && entry.is_regular_file()) {
            out.push_back(name.substr(8));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool is_directory(const std::string& path) {
    auto st = sys::stat_if_exists(path);
    return st && S_ISDIR(st->st_mode);
}

KernelChoice kernel_from_path(const std::string& path, const std::string& modules_root) {
    std::string data = sys::read_file(path);
    std::optional<std::string> version = bzimage_version(data);
    if (!version) {
        throw Error("cannot read the kernel version from the header of " + path +
                    " (not a bzImage?): pass --kernel VERSION for a kernel installed in /boot");
    }
    KernelChoice k{path, *version, modules_root + "/" + *version};
    if (!is_directory(k.modules_dir)) {
        throw Error("no modules for kernel " + k.version + " (the version in " + path + ") in " + k.modules_dir +
                    ": install that kernel's package or pass --kernel VERSION");
    }
    return k;
}

}  // namespace

std::string newest_version(const std::vector<std::string>& versions) {
    return *std::max_element(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
        return ::strverscmp(a.c_str(), b.c_str()) < 0;
    });
}

KernelChoice choose_kernel(const std::string& spec, const std::string& boot_dir, const std::string& modules_root) {
    if (spec.find('/') != std::string::npos) {
        return kernel_from_path(spec, modules_root);
    }
    std::vector<std::string> versions = installed_versions(boot_dir);
    std::string version = spec;
    if (version.empty()) {
        if (versions.empty()) {
            throw Error("no kernel in " + boot_dir + " (no " + boot_dir +
                        "/vmlinuz-*): install linux-image-amd64 or pass --kernel PATH");
        }
        version = newest_version(versions);
    }
    KernelChoice k{boot_dir + "/vmlinuz-" + version, version, modules_root + "/" + version};
    if (!sys::stat_if_exists(k.image_path)) {
        std::string have;
        for (const auto& v : versions) {
            have += (have.empty() ? "" : ", ") + v;
        }
        throw Error("no kernel " + k.image_path + " (installed: " + (have.empty() ? "none" : have) + ")");
    }
    if (!is_directory(k.modules_dir)) {
        throw Error("no modules for kernel " + version + " in " + k.modules_dir +
                    ": reinstall the kernel's package (linux-image-" + version + ")");
    }
    return k;
}

std::optional<std::string> bzimage_version(std::string_view bzimage) {
    if (!has_setup_header(bzimage) || load<uint16_t>(bzimage, k_protocol_version).value_or(0) < 0x200) {
        return std::nullopt;
    }
    uint16_t ptr = load<uint16_t>(bzimage, k_kernel_version).value_or(0);
    size_t offset = size_t{ptr} + 0x200;
    if (ptr == 0 || offset >= bzimage.size()) {
        return std::nullopt;
    }
    std::string_view rest = bzimage.substr(offset, 256);
    size_t end = rest.find_first_of(std::string_view(" \0\n", 3));
    std::string_view version = rest.substr(0, end);
    bool printable = std::all_of(version.begin(), version.end(), [](char c) { return c > ' ' && c < 127; });
    if (version.empty() || !printable) {
        return std::nullopt;
    }
    return std::string(version);
}

bool is_elf(std::string_view data) { return data.size() >= 4 && data.substr(0, 4) == "\x7f" "ELF"; }

ExtractedKernel extract_vmlinux(std::string_view bzimage, const std::string& what) {
    for (size_t offset : payload_candidates(bzimage)) {
        std::string_view stream = bzimage.substr(offset);
        Compression c = detect_compression(stream);
        if (c == Compression::none || c == Compression::bzip2) {
            continue;  // Debian kernels: gzip, xz or zstd payloads
        }
        try {
            std::string out = decompress_first_stream(stream, c);
            if (is_elf(out)) {
                return {std::move(out), to_string(c)};
            }
        } catch (const Error&) {
            // A false magic hit inside other data: try the next candidate.
        }
    }
    throw Error(what + ": no gzip, xz or zstd compressed ELF kernel found inside (not an x86 bzImage?)");
}

std::optional<uint32_t> pvh_entry(std::string_view elf) {
    if (!is_elf(elf) || elf.size() < sizeof(Elf64_Ehdr) || elf[EI_CLASS] != ELFCLASS64) {
        return std::nullopt;
    }
    auto eh = *load<Elf64_Ehdr>(elf, 0);
    for (size_t i = 0; i < eh.e_phnum; ++i) {
        auto ph = load<Elf64_Phdr>(elf, eh.e_phoff + i * size_t{eh.e_phentsize});
        if (!ph || ph->p_type != PT_NOTE || ph->p_offset > elf.size()) {
            continue;
        }
        std::string_view notes = elf.substr(ph->p_offset, ph->p_filesz);
        size_t pos = 0;
        while (auto nh = load<Elf64_Nhdr>(notes, pos)) {
            size_t name_at = pos + sizeof(Elf64_Nhdr);
            size_t desc_at = name_at + ((nh->n_namesz + 3) & ~size_t{3});
            size_t next = desc_at + ((nh->n_descsz + 3) & ~size_t{3});
            if (next > notes.size()) {
                break;
            }
            if (nh->n_type == k_xen_elfnote_phys32_entry && notes.substr(name_at, nh->n_namesz) == std::string_view("Xen\0", 4) &&
                nh->n_descsz >= 4) {
                return load<uint32_t>(notes, desc_at);
            }
            pos = next;
        }
    }
    return std::nullopt;
}

}  // namespace imgdeploy::builder
