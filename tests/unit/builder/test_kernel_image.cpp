#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/kernel_image.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <filesystem>
#include <zlib.h>

using namespace imgdeploy;
using namespace imgdeploy::builder;

namespace {

constexpr const char* k_real_kernel = "/boot/vmlinuz-6.1.0-56-amd64";

bool have_real_kernel() {
    if (sys::stat_if_exists(k_real_kernel)) {
        return true;
    }
    WARN("no " << k_real_kernel << " (linux-image-6.1.0-56-amd64): skipped");
    return false;
}

/// The real kernel's vmlinux, extracted once for all test cases.
const ExtractedKernel& real_vmlinux() {
    static const ExtractedKernel k = extract_vmlinux(sys::read_file(k_real_kernel), k_real_kernel);
    return k;
}

/// A minimal ELF64 with one PT_NOTE segment holding the given notes.
std::string elf_with_notes(const std::string& notes) {
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 1;
    Elf64_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    ph.p_filesz = notes.size();
    std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
    out.append(reinterpret_cast<const char*>(&ph), sizeof ph);
    return out + notes;
}

std::string note(const std::string& name, uint32_t type, uint32_t desc) {
    Elf64_Nhdr nh{static_cast<Elf64_Word>(name.size() + 1), 4, type};
    std::string out(reinterpret_cast<const char*>(&nh), sizeof nh);
    out += name;
    out.push_back('\0');
    out.resize((out.size() + 3) & ~size_t{3}, '\0');
    out.append(reinterpret_cast<const char*>(&desc), 4);
    return out;
}

std::string gzip(const std::string& data) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

void write_file(const std::string& path, const std::string& data) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), data.data(), data.size(), path);
}

}  // namespace

TEST_CASE("pvh_entry finds the Xen PHYS32_ENTRY note among others", "[kernel]") {
    std::string notes = note("GNU", 3, 0x1234) + note("Xen", 18, 0x1000370) + note("Linux", 1, 7);
    CHECK(pvh_entry(elf_with_notes(notes)) == 0x1000370u);
    CHECK_FALSE(pvh_entry(elf_with_notes(note("Xen", 17, 5) + note("GNU", 18, 5))));
    CHECK_FALSE(pvh_entry("not an elf"));
    CHECK_FALSE(pvh_entry(elf_with_notes("\x04\x00\x00")));  // truncated note: no crash
}

TEST_CASE("newest_version sorts versions like dpkg/ls -v", "[kernel]") {
    CHECK(newest_version({"6.1.0-9-amd64", "6.1.0-10-amd64", "5.10.0-30-amd64"}) == "6.1.0-10-amd64");
    CHECK(newest_version({"6.9.2-1-amd64", "6.10.0-1-amd64"}) == "6.10.0-1-amd64");
}

TEST_CASE("a gzip payload in a fake bzImage is found by scanning", "[kernel]") {
    std::string elf = elf_with_notes(note("Xen", 18, 0x42));
    std::string image = std::string(5000, 'x') + gzip(elf) + std::string(100, '\0');
    ExtractedKernel k = extract_vmlinux(image, "fake");
    CHECK(k.compression == "gzip");
    CHECK(k.elf == elf);
    CHECK(pvh_entry(k.elf) == 0x42u);
    CHECK_THROWS_AS(extract_vmlinux(std::string(5000, 'x'), "fake"), Error);
    CHECK_FALSE(bzimage_version(image));
}

TEST_CASE("the real Debian bzImage: version, xz payload, ELF with a PVH entry", "[kernel][host]") {
    if (!have_real_kernel()) {
        return;
    }
    std::string bz = sys::read_file(k_real_kernel);
    CHECK(bzimage_version(bz) == "6.1.0-56-amd64");
    const ExtractedKernel& k = real_vmlinux();
    CHECK(k.compression == "xz");
    CHECK(is_elf(k.elf));
    CHECK(k.elf.size() > 2 * bz.size());
    std::optional<uint32_t> entry = pvh_entry(k.elf);
    REQUIRE(entry);
    CHECK(*entry > 0x100000u);  // above 1 MiB, where the kernel loads
    // The bzImage itself is no ELF and has no PVH note.
    CHECK_FALSE(pvh_entry(bz));
}

TEST_CASE("choose_kernel: newest, by version, by path, and the errors", "[kernel]") {
    TempDir dir("/tmp", "imgdeploy-test-kernel.");
    std::string boot = dir.path() + "/boot";
    std::string mods = dir.path() + "/modules";
    std::filesystem::create_directories(boot);
    std::filesystem::create_directories(mods + "/6.1.0-10-amd64");
    write_file(boot + "/vmlinuz-6.1.0-9-amd64", "k9");
    write_file(boot + "/vmlinuz-6.1.0-10-amd64", "k10");
    write_file(boot + "/config-6.1.0-11-amd64", "not a kernel");

    KernelChoice k = choose_kernel("", boot, mods);
    CHECK(k.version == "6.1.0-10-amd64");
    CHECK(k.image_path == boot + "/vmlinuz-6.1.0-10-amd64");
    CHECK(k.modules_dir == mods + "/6.1.0-10-amd64");

    CHECK_THROWS_WITH(choose_kernel("6.1.0-9-amd64", boot, mods), Catch::Contains("no modules for kernel 6.1.0-9-amd64"));
    CHECK_THROWS_WITH(choose_kernel("7.0", boot, mods), Catch::Contains("installed: 6.1.0-10-amd64, 6.1.0-9-amd64"));
    CHECK_THROWS_WITH(choose_kernel("", dir.path() + "/empty", mods), Catch::Contains("install linux-image-amd64"));
    CHECK_THROWS_WITH(choose_kernel(boot + "/vmlinuz-6.1.0-9-amd64", boot, mods), Catch::Contains("pass --kernel VERSION"));
    if (have_real_kernel()) {
        KernelChoice real = choose_kernel(k_real_kernel, boot, "/lib/modules");
        CHECK(real.version == "6.1.0-56-amd64");
        CHECK(real.modules_dir == "/lib/modules/6.1.0-56-amd64");
    }
}
