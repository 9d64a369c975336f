#pragma once
// The SWAP image property (SNF-IMAGE-REFERENCE §5.7): "<partnum>:<MB>", a
// swap partition of MB MiB that 10FixPartitionTable creates at the end of
// disk 0, or "<disk letter>" (b, c, ... = SNF_IMAGE_DEV_1, DEV_2, ...), a
// whole extra disk. 50AddSwap formats it and adds it to /etc/fstab.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy::tasks {

struct SwapSpec {
    enum class Kind { partition, disk } kind = Kind::partition;
    unsigned partition = 0;   // partition form: the number (Linux numbering)
    uint64_t mib = 0;         // partition form: the size in MiB
    unsigned disk_index = 0;  // disk form: 1 for 'b', 2 for 'c', ...
};

inline constexpr unsigned k_swap_max_partition = 128;
inline constexpr uint64_t k_swap_max_mib = 1u << 24;  // 16 TiB

/// Parses SWAP; throws Error "SWAP '<value>': <why>" for a malformed one
/// (partition 0 or > 128, size 0 or absurd, disk 'a' = the image's disk,
/// anything else).
SwapSpec parse_swap(std::string_view value);

/// The property's value as written, for messages.
std::string describe_swap(const SwapSpec& spec);

/// "UUID=<uuid> none swap sw 0 0" added to fstab text, after dropping
/// every line whose device is UUID=<uuid> or UUID=<old_uuid> (when given):
/// running twice leaves one entry.
std::string add_swap_to_fstab(std::string_view fstab, const std::string& uuid,
                              const std::optional<std::string>& old_uuid);

}  // namespace imgdeploy::tasks
