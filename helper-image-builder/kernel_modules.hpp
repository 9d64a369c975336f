#pragma once
// Which kernel modules the helper loads, and in what order, from the
// depmod files in /lib/modules/<version>: modules.dep (hard dependencies),
// modules.softdep ("pre:" soft dependencies such as ext4 -> crypto-crc32c,
// which the kernel would otherwise request through a modprobe the helper
// does not have), modules.alias (to turn those soft-dependency names into
// modules) and modules.builtin / modules.builtin.modinfo (what needs no
// loading at all).

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace imgdeploy::builder {

/// The text of the depmod files; missing optional files are empty.
struct DepmodFiles {
    std::string dep;              // modules.dep
    std::string builtin;          // modules.builtin
    std::string builtin_modinfo;  // modules.builtin.modinfo (NUL-separated)
    std::string softdep;          // modules.softdep
    std::string alias;            // modules.alias
};

/// The result of resolving module names.
struct ModuleSelection {
    /// Paths relative to the modules directory as modules.dep spells them
    /// (kernel/fs/ext4/ext4.ko.xz), every module after its dependencies.
    std::vector<std::string> load_order;
    /// Requested names satisfied by the kernel itself.
    std::vector<std::string> builtin;
    /// Requested names that are neither modules nor built in.
    std::vector<std::string> missing;
};

class ModuleIndex {
  public:
    /// Reads the depmod files of `modules_dir` (modules.dep is required:
    /// the Error says to run depmod when it is missing).
    static ModuleIndex load(const std::string& modules_dir);
    static ModuleIndex parse(const DepmodFiles& files);

    /// Resolves names (module names or aliases; '-' and '_' are the same)
    /// to the modules to load, dependencies (hard, then soft "pre:") first,
    /// each module once, built-in modules skipped. When an alias names
    /// several modules and some are *_generic, only those are taken: they
    /// load on any CPU, while e.g. crc32c_intel fails without SSE4.2 (as
    /// under TCG's default CPU).
    ModuleSelection resolve(const std::vector<std::string>& names) const;

  private:
    enum class Kind { module, builtin, unknown };
    /// Module names a request stands for (itself, or what its alias names).
    std::pair<Kind, std::vector<std::string>> lookup(const std::string& request) const;
    void visit(const std::string& name, std::set<std::string>& seen, std::vector<std::string>& out) const;

    std::map<std::string, std::string> m_path;                     // name -> path
    std::map<std::string, std::vector<std::string>> m_deps;        // name -> dep names, as listed
    std::map<std::string, std::vector<std::string>> m_softdep_pre; // name -> requests
    std::set<std::string> m_builtin;                               // names and aliases
    std::vector<std::pair<std::string, std::string>> m_aliases;    // pattern, name
};

/// "kernel/fs/ext4/ext4.ko.xz" -> "ext4" (the name modules are known by,
/// '-' folded to '_').
std::string module_name(const std::string& path);
/// "kernel/fs/ext4/ext4.ko.xz" -> "kernel/fs/ext4/ext4.ko": where the
/// helper image stores the decompressed module.
std::string stored_module_path(const std::string& path);
/// The module's ELF image, decompressed when the file is .ko.xz/.ko.zst/.ko.gz.
std::string read_module(const std::string& file);

}  // namespace imgdeploy::builder
