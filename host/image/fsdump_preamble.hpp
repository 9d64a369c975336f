#pragma once
// The 1 MiB preamble streamed before an extdump/ntfsdump partition image
// (SNF-IMAGE-REFERENCE §3.2): an MBR with the syslinux boot code from the
// installed syslinux-common package and one bootable primary partition at
// sector 2048 covering the dump, type 0x83 (ext) or 0x07 (NTFS).

#include <cstdint>
#include <string>
#include <vector>

namespace imgdeploy {

inline constexpr uint64_t k_preamble_bytes = 1u << 20;

enum class PartitionKind { linux_ext, ntfs };

/// Builds the preamble for a dump of `dump_bytes` bytes. boot_code_path is
/// the syslinux mbr.bin (at most 440 bytes are used).
std::vector<char> make_fsdump_preamble(uint64_t dump_bytes, PartitionKind kind,
                                       const std::string& boot_code_path);

}  // namespace imgdeploy
