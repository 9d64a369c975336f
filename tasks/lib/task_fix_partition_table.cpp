// 10FixPartitionTable: grow the partition table to the (grown) disk and
// make the kernel see the result.

#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"
#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/partition_table.hpp"
#include "tasks/lib/swap.hpp"

namespace imgdeploy::tasks {

namespace {

/// SWAP's "<partnum>:<MB>" form (Linux images only, as 50AddSwap).
std::optional<SwapPartitionRequest> swap_partition_request(const TaskContext& ctx) {
    auto value = ctx.env.property("SWAP");
    if (!value || ctx.env.os_family() != "linux") {
        return std::nullopt;
    }
    SwapSpec spec = parse_swap(*value);
    if (spec.kind != SwapSpec::Kind::partition) {
        return std::nullopt;
    }
    return SwapPartitionRequest{spec.partition, spec.mib, "SWAP '" + describe_swap(spec) + "'"};
}

}  // namespace

void fix_partition_table(const TaskContext& ctx) {
    std::string family = ctx.env.os_family();
    if (bsd::has_disklabel(ctx)) return bsd::grow_disklabel(ctx);
    // FreeBSD images must be GPT (snf-image's rule): its MBR slices hold a
    // disklabel that growing the slice alone would not fix.
    LabelPolicy policy = family == "freebsd" ? LabelPolicy::gpt_only : LabelPolicy::msdos_or_gpt;
    const std::string& disk = ctx.env.require_disk();
    TableGrowth growth = grow_partition_table(disk, policy, swap_partition_request(ctx));
    for (const auto& change : growth.changes) {
        ctx.report.info(disk + " (" + growth.label + "): " + change);
    }
    if (!growth.written) {
        ctx.report.info(disk + " (" + growth.label + "): the last partition already ends at the end of the disk");
    } else if (growth.changes.empty()) {
        ctx.report.info(disk + ": moved the GPT backup header to the end of the disk");
    }
    sync_kernel_partitions(disk, growth.table);
}

}  // namespace imgdeploy::tasks
