#include "helper-image-builder/shared_libs.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <cstring>
#include <elf.h>
#include <fcntl.h>

namespace imgdeploy::builder {

namespace {

/// Enough for the ELF header and the program headers of any normal binary.
constexpr size_t k_head_size = 64 * 1024;

std::string read_head(const std::string& path) {
    UniqueFd fd = sys::open(path, O_RDONLY);
    std::string head(k_head_size, '\0');
    head.resize(sys::read_full(fd.get(), head.data(), head.size(), path));
    return head;
}

}  // namespace

std::optional<std::string> elf_interpreter(std::string_view elf) {
    if (elf.size() < sizeof(Elf64_Ehdr) || elf.substr(0, 4) != "\x7f" "ELF" || elf[EI_CLASS] != ELFCLASS64) {
        return std::nullopt;
    }
    Elf64_Ehdr eh;
    std::memcpy(&eh, elf.data(), sizeof eh);
    for (size_t i = 0; i < eh.e_phnum; ++i) {
        size_t at = eh.e_phoff + i * size_t{eh.e_phentsize};
        if (at + sizeof(Elf64_Phdr) > elf.size()) {
            break;
        }
        Elf64_Phdr ph;
        std::memcpy(&ph, elf.data() + at, sizeof ph);
        if (ph.p_type == PT_INTERP && ph.p_offset + ph.p_filesz <= elf.size() && ph.p_filesz > 1) {
            return std::string(elf.substr(ph.p_offset, ph.p_filesz - 1));  // without the NUL
        }
    }
    return std::nullopt;
}

ExecutableInfo inspect_executable(const std::string& path) {
    std::string head = read_head(path);
    ExecutableInfo info;
    if (head.size() >= 4 && head.compare(0, 4, "\x7f" "ELF") == 0) {
        info.kind = ExecutableInfo::Kind::elf;
        info.interpreter = elf_interpreter(head).value_or("");
    } else if (head.size() > 2 && head.compare(0, 2, "#!") == 0) {
        info.kind = ExecutableInfo::Kind::script;
        std::vector<std::string> words = split_words(head.substr(2, head.find('\n') - 2));
        info.interpreter = words.empty() ? "" : words[0];
    }
    return info;
}

std::vector<std::string> parse_loader_list(const std::string& text, const std::string& program) {
    // Lines: "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)",
    //        "\t/lib64/ld-linux-x86-64.so.2 (0x...)", "\tlinux-vdso.so.1 (0x...)".
    std::vector<std::string> out;
    for (const std::string& line : split(text, '\n')) {
        std::vector<std::string> w = split_words(line);
        if (w.empty()) {
            continue;
        }
        if (w.size() >= 3 && w[1] == "=>") {
            if (w[2] == "not") {
                throw Error(program + " needs " + w[0] + ", which the dynamic loader does not find");
            }
            out.push_back(w[2]);
        } else if (w[0].front() == '/') {
            out.push_back(w[0]);
        }
    }
    return out;
}

std::vector<std::string> shared_libraries(const std::string& program) {
    ExecutableInfo info = inspect_executable(program);
    if (info.kind != ExecutableInfo::Kind::elf || info.interpreter.empty()) {
        return {};
    }
    std::string text;
    try {
        text = run_capture({info.interpreter, "--list", program});
    } catch (const Error& e) {
        throw Error("listing the shared libraries of " + program + " with " + info.interpreter + ": " + e.what());
    }
    std::vector<std::string> libs = parse_loader_list(text, program);
    std::vector<std::string> out{info.interpreter};
    for (const std::string& lib : libs) {
        if (lib != info.interpreter) {
            out.push_back(lib);
        }
    }
    return out;
}

}  // namespace imgdeploy::builder
