#include "tasks/lib/partition_table.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <libfdisk/libfdisk.h>
#include <memory>
#include <optional>

namespace imgdeploy::tasks {

namespace {

struct ContextFree {
    void operator()(fdisk_context* c) const { fdisk_unref_context(c); }
};
struct TableFree {
    void operator()(fdisk_table* t) const { fdisk_unref_table(t); }
};
struct PartitionFree {
    void operator()(fdisk_partition* p) const { fdisk_unref_partition(p); }
};
struct IterFree {
    void operator()(fdisk_iter* i) const { fdisk_free_iter(i); }
};
using Context = std::unique_ptr<fdisk_context, ContextFree>;
using Table = std::unique_ptr<fdisk_table, TableFree>;
using Partition = std::unique_ptr<fdisk_partition, PartitionFree>;

/// One row of the table, in sectors.
struct Row {
    size_t partno = 0;
    uint64_t start = 0;
    uint64_t size = 0;
    bool container = false;
    bool nested = false;
    uint64_t end() const { return start + size; }
};

void check(int rc, const std::string& disk, const char* call) {
    if (rc < 0) {
        throw SystemError(disk, call, -rc);
    }
}

std::vector<Row> read_rows(fdisk_context* cxt, const std::string& disk) {
    fdisk_table* raw = nullptr;
    check(fdisk_get_partitions(cxt, &raw), disk, "fdisk_get_partitions");
    Table table(raw);
    std::unique_ptr<fdisk_iter, IterFree> it(fdisk_new_iter(FDISK_ITER_FORWARD));
    std::vector<Row> rows;
    fdisk_partition* pa = nullptr;
    while (fdisk_table_next_partition(table.get(), it.get(), &pa) == 0) {
        if (!fdisk_partition_has_partno(pa) || !fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa)) {
            continue;
        }
        rows.push_back({fdisk_partition_get_partno(pa), fdisk_partition_get_start(pa),
                        fdisk_partition_get_size(pa), fdisk_partition_is_container(pa) != 0,
                        fdisk_partition_is_nested(pa) != 0});
    }
    return rows;
}

/// The partitions to grow, outermost first: the last top-level one, and
/// when it is an extended partition, its last logical one as well.
std::vector<size_t> partitions_to_grow(const std::vector<Row>& rows) {
    auto last_of = [&](bool nested) -> std::optional<Row> {
        std::optional<Row> best;
        for (const auto& r : rows) {
            if (r.nested == nested && (!best || r.end() > best->end())) {
                best = r;
            }
        }
        return best;
    };
    std::vector<size_t> out;
    auto top = last_of(false);
    if (top) {
        out.push_back(top->partno);
        auto logical = top->container ? last_of(true) : std::nullopt;
        if (logical) {
            out.push_back(logical->partno);
        }
    }
    return out;
}

const Row& row(const std::vector<Row>& rows, size_t partno) {
    return *std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.partno == partno; });
}

/// The end (inclusive) of the free space right behind `cur`, if any: the
/// first free area after it with no partition in between.
std::optional<uint64_t> free_end_behind(fdisk_context* cxt, const std::vector<Row>& rows, const Row& cur,
                                        const std::string& disk) {
    fdisk_table* raw = nullptr;
    check(fdisk_get_freespaces(cxt, &raw), disk, "fdisk_get_freespaces");
    Table table(raw);
    std::unique_ptr<fdisk_iter, IterFree> it(fdisk_new_iter(FDISK_ITER_FORWARD));
    std::optional<Row> best;
    fdisk_partition* pa = nullptr;
    while (fdisk_table_next_partition(table.get(), it.get(), &pa) == 0) {
        Row area{0, fdisk_partition_get_start(pa), fdisk_partition_get_size(pa), false, false};
        if (area.size > 0 && area.start >= cur.end() && (!best || area.start < best->start)) {
            best = area;
        }
    }
    if (!best) {
        return std::nullopt;
    }
    for (const Row& r : rows) {
        if (r.start >= cur.end() && r.start < best->start) {
            return std::nullopt;  // another partition sits between
        }
    }
    return best->end() - 1;
}

/// Moves the partition's end to the end of the free space behind it (none:
/// no change). libfdisk checks the new size against what the label allows.
void grow_to_free_space(fdisk_context* cxt, const std::vector<Row>& rows, const Row& cur, const std::string& disk) {
    auto end = free_end_behind(cxt, rows, cur, disk);
    if (!end) {
        return;
    }
    Partition tpl(fdisk_new_partition());
    fdisk_partition_set_start(tpl.get(), cur.start);
    fdisk_partition_set_size(tpl.get(), *end - cur.start + 1);
    check(fdisk_set_partition(cxt, cur.partno, tpl.get()), disk + " partition " + std::to_string(cur.partno + 1),
          "fdisk_set_partition");
}

Context open_label(const std::string& disk, LabelPolicy policy, std::string& label) {
    Context cxt(fdisk_new_context());
    if (!cxt) {
        throw Error("libfdisk: out of memory");
    }
    check(fdisk_assign_device(cxt.get(), disk.c_str(), 0), disk, "fdisk_assign_device");
    if (!fdisk_has_label(cxt.get())) {
        throw Error(disk + ": no partition table (msdos or gpt needed)");
    }
    label = fdisk_label_get_name(fdisk_get_label(cxt.get(), nullptr));
    bool gpt = fdisk_is_labeltype(cxt.get(), FDISK_DISKLABEL_GPT);
    bool dos = fdisk_is_labeltype(cxt.get(), FDISK_DISKLABEL_DOS);
    if (!gpt && !(dos && policy == LabelPolicy::msdos_or_gpt)) {
        throw Error(disk + ": unsupported partition table type '" + label + "' (" +
                    (policy == LabelPolicy::gpt_only ? "gpt" : "msdos or gpt") + " needed)");
    }
    return cxt;
}

}  // namespace

TableGrowth grow_partition_table(const std::string& disk, LabelPolicy policy) {
    TableGrowth out;
    Context cxt = open_label(disk, policy, out.label);
    // A GPT read from a grown disk is already marked changed: libfdisk
    // relocates the backup header to the new end when it probes.
    bool changed = fdisk_label_is_changed(fdisk_get_label(cxt.get(), nullptr)) != 0;
    std::vector<Row> before = read_rows(cxt.get(), disk);
    if (before.empty()) {
        throw Error(disk + ": the partition table has no partitions");
    }
    for (size_t partno : partitions_to_grow(before)) {
        std::vector<Row> rows = read_rows(cxt.get(), disk);
        grow_to_free_space(cxt.get(), rows, row(rows, partno), disk);
        uint64_t old_size = row(before, partno).size;
        uint64_t new_size = row(read_rows(cxt.get(), disk), partno).size;
        if (new_size < old_size) {
            throw Error(disk + ": libfdisk would shrink partition " + std::to_string(partno + 1));
        }
        if (new_size != old_size) {
            out.changes.push_back("partition " + std::to_string(partno + 1) + ": " + std::to_string(old_size) +
                                  " -> " + std::to_string(new_size) + " sectors");
            changed = true;
        }
    }
    if (changed) {
        check(fdisk_write_disklabel(cxt.get()), disk, "fdisk_write_disklabel");
        out.written = true;
    }
    uint64_t sector = fdisk_get_sector_size(cxt.get());
    for (const Row& r : read_rows(cxt.get(), disk)) {
        out.table.push_back({static_cast<unsigned>(r.partno + 1), r.start * sector, r.size * sector, r.container});
    }
    check(fdisk_deassign_device(cxt.get(), 0), disk, "fdisk_deassign_device");
    return out;
}

}  // namespace imgdeploy::tasks
