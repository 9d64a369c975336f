#pragma once
// Offline Windows registry hives (SYSTEM, SOFTWARE, SAM) through libhivex.
// A hive is opened through the image's RootDir (never a path the image
// could redirect); a changed hive is committed to a temporary file in the
// helper and then put in place with RootDir::replace_file (atomic rename).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/lib/root_dir.hpp"

typedef struct hive_h hive_h;

namespace imgdeploy::tasks::windows {

/// Image paths of the hives (case does not matter on a lowntfs-3g
/// ignore_case mount, but these are the usual spellings).
inline constexpr const char* k_system_hive = "/Windows/System32/config/SYSTEM";
inline constexpr const char* k_software_hive = "/Windows/System32/config/SOFTWARE";
inline constexpr const char* k_sam_hive = "/Windows/System32/config/SAM";

class Hive {
  public:
    /// Opens the hive at `path` inside `root`; `writable` allows set_*() and commit().
    Hive(const RootDir& root, std::string path, bool writable);
    Hive(const Hive&) = delete;
    Hive& operator=(const Hive&) = delete;
    ~Hive();

    /// The node at a backslash-separated key path below the root
    /// ("ControlSet001\\Control"), case-insensitive; nullopt when missing.
    std::optional<size_t> node(std::string_view key_path) const;
    /// Like node(), creating the missing keys (writable hives only).
    size_t make_node(std::string_view key_path);
    /// The names of a node's subkeys.
    std::vector<std::string> children(size_t node) const;

    /// A REG_DWORD value; nullopt when the key or value is missing.
    std::optional<uint32_t> get_dword(std::string_view key_path, std::string_view value) const;
    /// A REG_SZ / REG_EXPAND_SZ value as UTF-8; nullopt when missing.
    std::optional<std::string> get_string(std::string_view key_path, std::string_view value) const;
    /// Sets (adds or replaces) a REG_DWORD value; other values of the key are kept.
    void set_dword(std::string_view key_path, std::string_view value, uint32_t data);

    /// Writes the changed hive back into the image (atomic replace, mode kept).
    void commit();

    /// "ControlSet00N" from Select\Current (SYSTEM hive).
    std::string current_control_set() const;

  private:
    std::string where(std::string_view key_path) const;

    const RootDir& m_root;
    std::string m_path;
    UniqueFd m_fd;
    hive_h* m_hive = nullptr;
    bool m_writable;
};

} // namespace imgdeploy::tasks::windows
