#include "helper/disk_probe.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <blkid/blkid.h>
#include <cctype>
#include <sys/mount.h>

namespace imgdeploy {

namespace {

/// Owns a blkid probe.
class BlkidProbe {
  public:
    explicit BlkidProbe(const std::string& device)
        : m_probe(blkid_new_probe_from_filename(device.c_str())) {
        if (m_probe == nullptr) {
            throw Error("cannot probe " + device + " with libblkid");
        }
    }
    ~BlkidProbe() { blkid_free_probe(m_probe); }
    BlkidProbe(const BlkidProbe&) = delete;
    BlkidProbe& operator=(const BlkidProbe&) = delete;
    blkid_probe get() const { return m_probe; }

  private:
    blkid_probe m_probe;
};

std::string probe_fstype(const std::string& device) {
    BlkidProbe pr(device);
    blkid_probe_enable_superblocks(pr.get(), 1);
    blkid_probe_set_superblocks_flags(pr.get(), BLKID_SUBLKS_TYPE);
    if (blkid_do_safeprobe(pr.get()) != 0) {
        return "";
    }
    const char* type = nullptr;
    if (blkid_probe_lookup_value(pr.get(), "TYPE", &type, nullptr) != 0 || type == nullptr) {
        return "";
    }
    return type;
}

/// Mount options that never write to the image while looking at it.
std::optional<std::string> probe_mount_options(const std::string& fstype) {
    if (fstype == "ext2" || fstype == "ext3" || fstype == "ext4") {
        return fstype == "ext2" ? "" : "noload";
    }
    if (fstype == "xfs") {
        return "norecovery";
    }
    if (fstype == "btrfs") {
        return "";
    }
    return std::nullopt;
}

bool has_etc_fstab(const PartitionInfo& p, const std::string& scratch) {
    auto options = probe_mount_options(p.fstype);
    if (!options) {
        return false;
    }
    if (::mount(p.device.c_str(), scratch.c_str(), p.fstype.c_str(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                options->c_str()) != 0) {
        return false;
    }
    bool found = sys::stat_if_exists(scratch + "/etc/fstab").has_value();
    ::umount2(scratch.c_str(), MNT_DETACH);
    return found;
}

const char* k_gpt_freebsd_ufs = "516E7CB6-6ECF-11D6-8FF8-00022D09712B";

}  // namespace

std::string partition_device(const std::string& disk, int number) {
    bool ends_in_digit = !disk.empty() && std::isdigit(static_cast<unsigned char>(disk.back()));
    return disk + (ends_in_digit ? "p" : "") + std::to_string(number);
}

DiskLayout probe_disk(const std::string& disk) {
    DiskLayout layout;
    {
        BlkidProbe pr(disk);
        blkid_probe_enable_partitions(pr.get(), 1);
        blkid_probe_set_partitions_flags(pr.get(), BLKID_PARTS_ENTRY_DETAILS);
        blkid_partlist list = blkid_probe_get_partitions(pr.get());
        if (list == nullptr) {
            return layout;
        }
        if (blkid_parttable table = blkid_partlist_get_table(list)) {
            layout.table = blkid_parttable_get_type(table);
        }
        int n = blkid_partlist_numof_partitions(list);
        for (int i = 0; i < n; ++i) {
            blkid_partition part = blkid_partlist_get_partition(list, i);
            PartitionInfo p;
            p.number = blkid_partition_get_partno(part);
            p.start = static_cast<uint64_t>(blkid_partition_get_start(part));
            p.size = static_cast<uint64_t>(blkid_partition_get_size(part));
            p.extended = blkid_partition_is_extended(part) != 0;
            p.mbr_type = blkid_partition_get_type(part);
            if (const char* guid = blkid_partition_get_type_string(part)) {
                p.gpt_type = to_upper(guid);
            }
            p.device = partition_device(disk, p.number);
            layout.partitions.push_back(p);
        }
    }
    for (auto& p : layout.partitions) {
        if (!p.extended && sys::stat_if_exists(p.device)) {
            p.fstype = probe_fstype(p.device);
        }
    }
    return layout;
}

int partition_to_resize(const DiskLayout& layout) {
    const PartitionInfo* last = nullptr;
    for (const auto& p : layout.partitions) {
        if (!p.extended && (last == nullptr || p.start + p.size > last->start + last->size)) {
            last = &p;
        }
    }
    return last ? last->number : 0;
}

std::optional<DetectedOs> detect_os(const DiskLayout& layout, const std::string& scratch) {
    for (const auto& p : layout.partitions) {
        if (p.extended) {
            continue;
        }
        if (layout.table == "dos") {
            if (p.mbr_type == 0xa5) {
                return DetectedOs{"freebsd", p.number};
            }
            if (p.mbr_type == 0xa6) {
                return DetectedOs{"openbsd", p.number};
            }
            if (p.mbr_type == 0xa9) {
                return DetectedOs{"netbsd", p.number};
            }
        }
        if (layout.table == "gpt" && p.gpt_type == k_gpt_freebsd_ufs) {
            return DetectedOs{"freebsd", p.number};
        }
        if (p.fstype == "ntfs") {
            return DetectedOs{"windows", p.number};
        }
        if (has_etc_fstab(p, scratch)) {
            return DetectedOs{"linux", p.number};
        }
    }
    return std::nullopt;
}

}  // namespace imgdeploy
