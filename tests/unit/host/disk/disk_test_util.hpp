#pragma once
// Helpers shared by the host/disk unit tests: disk images as regular files
// in a scratch directory.

#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <cstdint>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>

namespace imgdeploy::test {

/// Creates `path` holding `size` bytes of `fill` (allocated, not sparse).
inline void make_disk_file(const std::string& path, uint64_t size, char fill) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string chunk(1u << 20, fill);
    for (uint64_t done = 0; done < size;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - done));
        sys::write_full(fd.get(), chunk.data(), n, path);
        done += n;
    }
    sys::fdatasync(fd.get(), path);
}

/// Deterministic bytes with no 64 KiB all-zero unit.
inline std::string pattern(size_t n, unsigned seed) {
    std::string s(n, '\0');
    uint32_t x = seed * 2654435761u + 3;
    for (auto& c : s) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>((x >> 24) | 1);
    }
    return s;
}

/// Bytes of the file actually allocated on disk.
inline uint64_t allocated_bytes(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace imgdeploy::test
