#include "tasks/lib/kernel_partitions.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

namespace imgdeploy::tasks {

namespace {

uint64_t read_sysfs_number(const std::filesystem::path& file) {
    auto n = parse_u64(trim(sys::read_file(file.string())));
    if (!n) {
        throw Error(file.string() + ": not a number");
    }
    return *n;
}

std::filesystem::path sysfs_dir(const std::string& disk) {
    struct stat st = sys::fstat(sys::open(disk, O_RDONLY | O_NONBLOCK).get(), disk);
    if (!S_ISBLK(st.st_mode)) {
        throw Error(disk + " is not a block device");
    }
    return "/sys/dev/block/" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}

void blkpg(int fd, int op, const PartitionExtent& p, const std::string& disk) {
    blkpg_partition part{};
    part.start = static_cast<long long>(p.start);
    part.length = static_cast<long long>(p.size);
    part.pno = static_cast<int>(p.number);
    blkpg_ioctl_arg arg{};
    arg.op = op;
    arg.datalen = sizeof part;
    arg.data = &part;
    while (::ioctl(fd, BLKPG, &arg) != 0) {
        if (errno != EINTR) {
            const char* name = op == BLKPG_ADD_PARTITION      ? "ioctl BLKPG_ADD_PARTITION"
                               : op == BLKPG_DEL_PARTITION    ? "ioctl BLKPG_DEL_PARTITION"
                                                              : "ioctl BLKPG_RESIZE_PARTITION";
            throw SystemError(disk + " partition " + std::to_string(p.number), name, errno);
        }
    }
}

const PartitionExtent* find(const std::vector<PartitionExtent>& v, unsigned number) {
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& p) { return p.number == number; });
    return it == v.end() ? nullptr : &*it;
}

/// Fixes one partition's kernel entry with BLKPG.
void sync_one(int fd, const std::string& disk, const PartitionExtent& want, const PartitionExtent* have) {
    if (have && have->start == want.start && have->size == want.size) {
        return;
    }
    if (have && have->start == want.start) {
        blkpg(fd, BLKPG_RESIZE_PARTITION, want, disk);
        return;
    }
    if (have) {
        blkpg(fd, BLKPG_DEL_PARTITION, *have, disk);
    }
    blkpg(fd, BLKPG_ADD_PARTITION, want, disk);
}

}  // namespace

std::vector<PartitionExtent> kernel_partitions(const std::string& disk) {
    std::vector<PartitionExtent> out;
    for (const auto& entry : std::filesystem::directory_iterator(sysfs_dir(disk))) {
        if (!std::filesystem::exists(entry.path() / "partition")) {
            continue;
        }
        PartitionExtent p;
        p.number = static_cast<unsigned>(read_sysfs_number(entry.path() / "partition"));
        // sysfs counts 512-byte units whatever the logical sector size.
        p.start = read_sysfs_number(entry.path() / "start") * 512;
        p.size = read_sysfs_number(entry.path() / "size") * 512;
        out.push_back(p);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    return out;
}

PartitionExtent kernel_extent(const PartitionExtent& entry) {
    PartitionExtent k = entry;
    if (entry.container) {
        // Linux's msdos parser keeps 2 sectors of an extended partition
        // (room for a boot loader, no room for a file system).
        k.size = std::min<uint64_t>(entry.size, 1024);
    }
    return k;
}

void sync_kernel_partitions(const std::string& disk, const std::vector<PartitionExtent>& table) {
    UniqueFd fd = sys::open(disk, O_RDONLY | O_NONBLOCK);
    // Where the kernel parses partition tables (a virtio disk in the
    // helper), a re-read is all it takes. A loop device without partition
    // scanning answers EINVAL, a disk with a busy partition EBUSY; either
    // way the per-partition pass below does the work.
    while (::ioctl(fd.get(), BLKRRPART) != 0 && errno == EINTR) {
    }
    std::vector<PartitionExtent> have = kernel_partitions(disk);
    for (const auto& entry : table) {
        PartitionExtent want = kernel_extent(entry);
        const PartitionExtent* current = find(have, want.number);
        if (entry.container && current && current->start == want.start) {
            continue;  // the kernel's stub of an extended partition never grows
        }
        sync_one(fd.get(), disk, want, current);
    }
    have = kernel_partitions(disk);
    for (const auto& entry : table) {
        PartitionExtent want = kernel_extent(entry);
        const PartitionExtent* now = find(have, want.number);
        if (!now || now->start != want.start || (!entry.container && now->size != want.size)) {
            throw Error(disk + ": the kernel does not show partition " + std::to_string(want.number) +
                        " as written (start " + std::to_string(want.start) + ", " + std::to_string(want.size) +
                        " bytes)");
        }
    }
}

}  // namespace imgdeploy::tasks
