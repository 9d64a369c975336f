#include "tasks/lib/fstab.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <array>

namespace imgdeploy::tasks {

namespace {

/// Virtual, network and swap entries: nothing to mount from a disk.
bool is_silently_skipped_type(std::string_view type) {
    static constexpr std::array<std::string_view, 24> k_types = {
        "swap",  "none",      "proc",      "sysfs",   "tmpfs",     "devpts", "devtmpfs",   "debugfs",
        "securityfs", "cgroup", "cgroup2", "mqueue", "hugetlbfs", "pstore", "efivarfs", "bpf",
        "tracefs", "configfs", "fusectl", "binfmt_misc", "autofs", "rpc_pipefs", "nfsd", "ramfs"};
    return std::find(k_types.begin(), k_types.end(), type) != k_types.end();
}

std::string unquote(std::string_view s) {
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
        return std::string(s.substr(1, s.size() - 2));
    }
    return std::string(s);
}

std::string normalise_mount_point(const std::string& mp) {
    std::string out = mp;
    while (out.size() > 1 && out.back() == '/') {
        out.pop_back();
    }
    return out;
}

std::string line_ref(const FstabEntry& e) {
    return "/etc/fstab line " + std::to_string(e.line) + " ('" + e.text + "')";
}

}  // namespace

bool FstabEntry::has_option(std::string_view name) const {
    return std::find(options.begin(), options.end(), name) != options.end();
}

std::optional<std::string> FstabEntry::option_value(std::string_view name) const {
    for (const auto& o : options) {
        if (o.size() > name.size() && o.starts_with(name) && o[name.size()] == '=') {
            return o.substr(name.size() + 1);
        }
    }
    return std::nullopt;
}

std::string decode_fstab_escapes(std::string_view field) {
    auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 4 <= field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2]) &&
            is_octal(field[i + 3])) {
            out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
            i += 3;
            continue;
        }
        out.push_back(field[i]);
    }
    return out;
}

std::vector<FstabEntry> parse_fstab(std::string_view text) {
    std::vector<FstabEntry> entries;
    auto lines = split(text, '\n');
    for (size_t i = 0; i < lines.size(); ++i) {
        std::string_view line = trim(lines[i]);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        auto fields = split_words(line);
        FstabEntry e;
        e.line = static_cast<unsigned>(i + 1);
        e.text = std::string(line);
        if (fields.size() < 3) {
            throw Error(line_ref(e) + ": fewer than 3 fields");
        }
        e.spec = decode_fstab_escapes(fields[0]);
        e.mount_point = normalise_mount_point(decode_fstab_escapes(fields[1]));
        e.type = fields[2];
        e.options = split(fields.size() > 3 ? fields[3] : "defaults", ',');
        entries.push_back(std::move(e));
    }
    return entries;
}

std::optional<DeviceRef> device_reference(std::string_view spec) {
    if (starts_with_icase(spec, "UUID=")) {
        return DeviceRef{DeviceRef::Kind::uuid, unquote(spec.substr(5))};
    }
    if (starts_with_icase(spec, "LABEL=")) {
        return DeviceRef{DeviceRef::Kind::label, unquote(spec.substr(6))};
    }
    if (spec.starts_with("/dev/disk/by-uuid/") && spec.size() > 18) {
        return DeviceRef{DeviceRef::Kind::uuid, std::string(spec.substr(18))};
    }
    if (spec.starts_with("/dev/disk/by-label/") && spec.size() > 19) {
        return DeviceRef{DeviceRef::Kind::label, decode_fstab_escapes(spec.substr(19))};
    }
    return std::nullopt;
}

bool is_mountable_fstab_type(std::string_view type) {
    return type == "ext2" || type == "ext3" || type == "ext4" || type == "vfat" || type == "msdos" ||
           type == "btrfs" || type == "xfs" || type == "auto";
}

FstabPlan plan_fstab_mounts(const std::vector<FstabEntry>& entries) {
    FstabPlan plan;
    for (const auto& e : entries) {
        if (e.mount_point == "/" || is_silently_skipped_type(e.type) || e.mount_point == "none") {
            continue;
        }
        if (e.has_option("noauto") || e.has_option("bind")) {
            plan.notes.push_back("not mounting " + line_ref(e) + ": noauto or bind");
            continue;
        }
        if (!is_mountable_fstab_type(e.type)) {
            plan.notes.push_back("not mounting " + line_ref(e) + ": file system type '" + e.type + "'");
            continue;
        }
        if (e.mount_point.empty() || e.mount_point.front() != '/') {
            throw Error(line_ref(e) + ": the mount point is not an absolute path");
        }
        auto device = device_reference(e.spec);
        if (!device || device->value.empty()) {
            throw Error(line_ref(e) + ": device '" + e.spec + "' is not given by UUID= or LABEL=");
        }
        plan.mounts.push_back({e, *device});
    }
    std::stable_sort(plan.mounts.begin(), plan.mounts.end(),
                     [](const auto& a, const auto& b) { return a.entry.mount_point < b.entry.mount_point; });
    return plan;
}

}  // namespace imgdeploy::tasks
