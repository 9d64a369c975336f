#include "tasks/lib/partition_table.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

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
    bool swap = false;  // Linux swap type (msdos 0x82, GPT 0657FD6D-...)
    uint64_t end() const { return start + size; }
};

constexpr unsigned k_dos_swap = 0x82;
constexpr unsigned k_dos_extended = 0x05;
constexpr const char* k_gpt_swap = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";

bool is_swap_type(fdisk_partition* pa) {
    fdisk_parttype* t = fdisk_partition_get_type(pa);
    if (t == nullptr) {
        return false;
    }
    const char* s = fdisk_parttype_get_string(t);
    return s != nullptr ? iequals(s, k_gpt_swap) : fdisk_parttype_get_code(t) == k_dos_swap;
}

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
                        fdisk_partition_is_nested(pa) != 0, is_swap_type(pa)});
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
        Row area{0, fdisk_partition_get_start(pa), fdisk_partition_get_size(pa), false, false, false};
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
/// no change), but not to or past `limit` (exclusive) when given. libfdisk
/// checks the new size against what the label allows.
void grow_to_free_space(fdisk_context* cxt, const std::vector<Row>& rows, const Row& cur, const std::string& disk,
                        std::optional<uint64_t> limit = std::nullopt) {
    auto end = free_end_behind(cxt, rows, cur, disk);
    if (end && limit) {
        end = std::min(*end, *limit - 1);
    }
    if (!end || *end < cur.end()) {
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


/// How the swap partition gets made, decided before anything changes.
struct SwapPlan {
    bool present = false;         // already there (an earlier run)
    bool logical = false;         // msdos logical partition
    bool make_extended = false;   // msdos: no extended partition yet
    std::optional<size_t> grow_extended_first;  // msdos: the extended partition to grow to the end first
};

std::optional<Row> find_row(const std::vector<Row>& rows, size_t partno) {
    for (const Row& r : rows) {
        if (r.partno == partno) {
            return r;
        }
    }
    return std::nullopt;
}

uint64_t grain_sectors(fdisk_context* cxt) {
    return std::max<uint64_t>(1, fdisk_get_grain_size(cxt) / fdisk_get_sector_size(cxt));
}

uint64_t swap_sectors(fdisk_context* cxt, const SwapPartitionRequest& swap) {
    return swap.mib * (1024 * 1024 / fdisk_get_sector_size(cxt));
}

SwapPlan plan_swap(fdisk_context* cxt, const std::vector<Row>& rows, const SwapPartitionRequest& swap,
                   const std::string& disk) {
    SwapPlan plan;
    size_t partno = swap.number - 1;
    if (auto existing = find_row(rows, partno)) {
        if (existing->swap && existing->size == swap_sectors(cxt, swap)) {
            plan.present = true;
            return plan;
        }
        throw Error(swap.what + ": partition " + std::to_string(swap.number) + " already exists on " + disk +
                    (existing->swap ? " (a swap partition of another size)" : ""));
    }
    if (!fdisk_is_labeltype(cxt, FDISK_DISKLABEL_DOS)) {
        if (swap.number > fdisk_get_npartitions(cxt)) {
            throw Error(swap.what + ": the GPT of " + disk + " has room for " +
                        std::to_string(fdisk_get_npartitions(cxt)) + " partitions");
        }
        return plan;
    }
    std::optional<Row> extended;
    size_t primaries = 0;
    size_t logicals = 0;
    uint64_t last_top_end = 0;
    for (const Row& r : rows) {
        extended = r.container ? std::optional<Row>(r) : extended;
        primaries += r.nested ? 0 : 1;
        logicals += r.nested ? 1 : 0;
        last_top_end = r.nested ? last_top_end : std::max(last_top_end, r.end());
    }
    if (swap.number <= 4) {
        return plan;  // a free primary slot (checked above)
    }
    plan.logical = true;
    size_t next_logical = 5 + logicals;
    if (swap.number != next_logical) {
        throw Error(swap.what + ": logical partitions are numbered in order; the next one on " + disk + " is " +
                    std::to_string(next_logical));
    }
    if (!extended) {
        if (primaries >= 4) {
            throw Error(swap.what + ": " + disk + " has four primary partitions and no extended one");
        }
        plan.make_extended = true;
    } else if (extended->end() < last_top_end) {
        throw Error(swap.what + ": the extended partition of " + disk + " is not the last partition");
    } else {
        plan.grow_extended_first = extended->partno;
    }
    return plan;
}

Partition new_swap_partition(fdisk_context* cxt, size_t partno, uint64_t start, uint64_t size, bool gpt) {
    Partition pa(fdisk_new_partition());
    fdisk_label* lb = fdisk_get_label(cxt, nullptr);
    fdisk_partition_set_partno(pa.get(), partno);
    fdisk_partition_set_start(pa.get(), start);
    fdisk_partition_set_size(pa.get(), size);
    fdisk_partition_set_type(pa.get(), gpt ? fdisk_label_get_parttype_from_string(lb, k_gpt_swap)
                                           : fdisk_label_get_parttype_from_code(lb, k_dos_swap));
    if (gpt) {
        fdisk_partition_set_name(pa.get(), "swap");
    }
    return pa;
}

/// Adds the swap partition at the end of the disk (and, for a logical one
/// without an extended partition, an extended partition around it).
void add_swap(fdisk_context* cxt, const std::vector<Row>& rows, const SwapPartitionRequest& swap,
              const SwapPlan& plan, const std::string& disk) {
    uint64_t grain = grain_sectors(cxt);
    uint64_t sectors = swap_sectors(cxt, swap);
    uint64_t end = fdisk_get_last_lba(cxt) + 1;  // exclusive
    // The first sector the swap partition (with a logical one's EBR) may use.
    uint64_t bound = 0;
    for (const Row& r : rows) {
        bool in_extended = plan.logical && !plan.make_extended;
        if (!in_extended || r.nested) {
            bound = std::max(bound, r.end());
        } else if (r.container) {
            bound = std::max(bound, r.start);
        }
    }
    uint64_t overhead = plan.logical ? grain : 0;  // the EBR before a logical partition
    uint64_t start = end > sectors ? (end - sectors) / grain * grain : 0;
    if (end <= sectors || start < bound + overhead) {
        uint64_t free = end > bound + overhead ? end - bound - overhead : 0;
        throw Error(swap.what + ": no room for " + std::to_string(swap.mib) + " MiB of swap at the end of " + disk +
                    " (" + std::to_string(free * fdisk_get_sector_size(cxt) >> 20) +
                    " MiB free behind the last partition)");
    }
    bool gpt = fdisk_is_labeltype(cxt, FDISK_DISKLABEL_GPT);
    std::string where = disk + " swap partition " + std::to_string(swap.number);
    if (plan.make_extended) {
        Partition ext(fdisk_new_partition());
        fdisk_partition_set_start(ext.get(), start - grain);
        fdisk_partition_set_size(ext.get(), end - (start - grain));
        fdisk_partition_set_type(ext.get(),
                                 fdisk_label_get_parttype_from_code(fdisk_get_label(cxt, nullptr), k_dos_extended));
        size_t slot = 0;
        while (slot < 4 && find_row(rows, slot)) {
            ++slot;
        }
        fdisk_partition_set_partno(ext.get(), slot);
        check(fdisk_add_partition(cxt, ext.get(), nullptr), disk + " extended partition for the swap",
              "fdisk_add_partition");
    }
    Partition pa = new_swap_partition(cxt, swap.number - 1, start, sectors, gpt);
    size_t added = 0;
    check(fdisk_add_partition(cxt, pa.get(), &added), where, "fdisk_add_partition");
    if (added != swap.number - 1) {
        throw Error(swap.what + ": libfdisk made partition " + std::to_string(added + 1) + " on " + disk);
    }
    auto made = find_row(read_rows(cxt, disk), added);
    if (!made || made->start != start || made->size != sectors) {
        throw Error(swap.what + ": libfdisk did not place the swap partition where asked on " + disk);
    }
}

}  // namespace

TableGrowth grow_partition_table(const std::string& disk, LabelPolicy policy,
                                 const std::optional<SwapPartitionRequest>& swap) {
    TableGrowth out;
    Context cxt = open_label(disk, policy, out.label);
    // A GPT read from a grown disk is already marked changed: libfdisk
    // relocates the backup header to the new end when it probes.
    bool changed = fdisk_label_is_changed(fdisk_get_label(cxt.get(), nullptr)) != 0;
    std::vector<Row> before = read_rows(cxt.get(), disk);
    if (before.empty()) {
        throw Error(disk + ": the partition table has no partitions");
    }
    std::optional<SwapPlan> plan;
    std::vector<Row> data = before;  // the partitions to consider for growing
    if (swap) {
        plan = plan_swap(cxt.get(), before, *swap, disk);
        std::erase_if(data, [&](const Row& r) { return r.partno == swap->number - 1; });
    }
    std::vector<size_t> grow = partitions_to_grow(data);
    auto grow_one = [&](size_t partno) {
        std::vector<Row> rows = read_rows(cxt.get(), disk);
        // A logical partition stops a grain before a logical swap partition:
        // its EBR sits there (libfdisk counts that space as free).
        std::optional<uint64_t> limit;
        auto swap_row = swap ? find_row(rows, swap->number - 1) : std::nullopt;
        if (swap_row && swap_row->nested && row(rows, partno).nested) {
            limit = swap_row->start - grain_sectors(cxt.get());
        }
        grow_to_free_space(cxt.get(), rows, row(rows, partno), disk, limit);
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
    };
    if (plan && !plan->present) {
        if (plan->grow_extended_first) {
            grow_one(*plan->grow_extended_first);
            std::erase(grow, *plan->grow_extended_first);
        }
        add_swap(cxt.get(), read_rows(cxt.get(), disk), *swap, *plan, disk);
        out.changes.push_back("partition " + std::to_string(swap->number) + ": new swap partition of " +
                              std::to_string(swap->mib) + " MiB at the end");
        out.swap_created = true;
        changed = true;
    }
    for (size_t partno : grow) {
        grow_one(partno);
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
