#pragma once
// /etc/fstab of a Linux image: parsing, and choosing what MountImage mounts
// (SNF-IMAGE-REFERENCE §5.6 mount_all): non-root entries of disk file
// systems, sorted by mount point, devices named by UUID= or LABEL= only
// (a /dev/sdX name means nothing inside the helper VM).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

struct FstabEntry {
    unsigned line = 0;                 // 1-based line number
    std::string text;                  // the line as written, for messages
    std::string spec;                  // fs_spec, escapes decoded
    std::string mount_point;           // fs_file, escapes decoded
    std::string type;                  // fs_vfstype
    std::vector<std::string> options;  // fs_mntops split on ','

    bool has_option(std::string_view name) const;
    /// The value of "name=value" in the options, if present.
    std::optional<std::string> option_value(std::string_view name) const;
};

/// Skips blank and comment lines; throws Error naming the line when it has
/// fewer than 3 fields.
std::vector<FstabEntry> parse_fstab(std::string_view text);
/// Decodes fstab's octal escapes (\040 for a space, ...).
std::string decode_fstab_escapes(std::string_view field);

struct DeviceRef {
    enum class Kind { uuid, label } kind;
    std::string value;
};
/// UUID=x / LABEL=x (optionally quoted) and /dev/disk/by-uuid/x,
/// /dev/disk/by-label/x; nullopt for anything else.
std::optional<DeviceRef> device_reference(std::string_view spec);

struct FstabMount {
    FstabEntry entry;
    DeviceRef device;
};

struct FstabPlan {
    std::vector<FstabMount> mounts;  // sorted by mount point (parents first)
    std::vector<std::string> notes;  // why some entries were skipped (warnings)
};

/// Chooses the entries to mount. Throws Error naming the fstab line for an
/// entry that should be mounted but names its device in another way, or
/// whose mount point is not absolute.
FstabPlan plan_fstab_mounts(const std::vector<FstabEntry>& entries);

/// The file system types MountImage mounts from fstab.
bool is_mountable_fstab_type(std::string_view type);

}  // namespace imgdeploy::tasks
