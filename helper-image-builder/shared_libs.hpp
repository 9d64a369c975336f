#pragma once
// The shared libraries a program needs, as the dynamic loader resolves
// them on this host: `<interpreter> --list PROGRAM` (what ldd does, without
// ldd's shell script). The program itself is not run. Static programs (no
// PT_INTERP, like busybox-static) need nothing; asking the loader about
// them would crash it, so the ELF header is read first.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::builder {

/// What the file at a path is, as far as the helper image cares.
struct ExecutableInfo {
    enum class Kind { elf, script, other } kind = Kind::other;
    /// ELF: the PT_INTERP path (empty: static). Script: the #! interpreter.
    std::string interpreter;
};

/// Reads the head of `path` (ELF header and program headers, or the #! line).
ExecutableInfo inspect_executable(const std::string& path);

/// The PT_INTERP of an ELF image in memory; nullopt when static or not ELF.
std::optional<std::string> elf_interpreter(std::string_view elf);

/// Parses the loader's --list output into library paths, in its order;
/// the vDSO (no file) is left out, "not found" throws Error naming the
/// library and `program`.
std::vector<std::string> parse_loader_list(const std::string& text, const std::string& program);

/// The interpreter (first) and every library the program loads, as absolute
/// host paths spelled as the loader uses them (/lib/x86_64-linux-gnu/...).
/// Empty for a static program.
std::vector<std::string> shared_libraries(const std::string& program);

}  // namespace imgdeploy::builder
