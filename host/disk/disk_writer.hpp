#pragma once
// DiskWriter: writes image blocks to a TargetDisk on several threads, so
// several O_DIRECT writes are in flight. Each block is split into runs of
// 64 KiB units: data runs are written, aligned all-zero runs are zeroed
// without writing data, falling back to writing zeros where the kernel
// refuses. On a block device that is fallocate(ZERO_RANGE) (BLKZEROOUT's
// semantics: the device's write-zeroes command, or the kernel writing zero
// pages itself, with no copy from user space; what qemu-img does); on a
// regular file PUNCH_HOLE, so the disk file stays sparse. Bytes past a
// block's end are never touched; an unaligned tail goes through the
// page-cache fd.

#include "common/aligned_buffer.hpp"
#include "common/bounded_queue.hpp"
#include "host/disk/buffer_pool.hpp"
#include "host/disk/target_disk.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace imgdeploy {

inline constexpr size_t k_zero_unit = 64 * 1024;
/// The largest hole of a sparse source passed as one block (no memory is
/// behind it; one fallocate call zeroes it).
inline constexpr uint64_t k_max_hole_block = 1ull << 30;

/// True when all n bytes at p are zero.
bool is_all_zero(const char* p, size_t n);

struct WriteBlock {
    uint64_t offset = 0;  // disk offset of buffer.data()[0]
    /// size() bytes are valid; a buffer without data (data() null) stands
    /// for size() zero bytes, a hole of the source that is zeroed unread.
    AlignedBuffer buffer;
    size_t skip = 0;      // leading bytes not to write (held back by the caller)
};

struct WriterStats {
    uint64_t bytes_written = 0;
    uint64_t bytes_zeroed = 0;
};

class DiskWriter {
  public:
    /// Buffers of finished blocks go back to `pool`.
    DiskWriter(const TargetDisk& disk, BufferPool& pool, unsigned threads);
    ~DiskWriter();
    DiskWriter(const DiskWriter&) = delete;
    DiskWriter& operator=(const DiskWriter&) = delete;

    /// Queues a block; rethrows a writer thread's error if one failed.
    void submit(WriteBlock block);
    /// Waits for every queued block; rethrows the first write error.
    void finish();
    /// Stops the threads, dropping queued blocks.
    void abort();

    /// Synchronous write of any range (alignment handled here).
    void write(uint64_t offset, const char* data, size_t len);
    /// Synchronous zeroing of any range.
    void zero(uint64_t offset, uint64_t len);
    /// fdatasync on both fds.
    void sync();
    WriterStats stats() const { return {m_written.load(), m_zeroed.load()}; }

  private:
    void worker();
    void write_block(const WriteBlock& block);
    void write_run(uint64_t offset, const char* data, size_t len);
    void zero_run(uint64_t offset, uint64_t len);
    void write_zeros(uint64_t offset, uint64_t len);

    const TargetDisk& m_disk;
    BufferPool& m_pool;
    BoundedQueue<WriteBlock> m_queue;
    std::vector<std::thread> m_threads;
    std::mutex m_error_mutex;
    std::exception_ptr m_error;
    std::atomic<bool> m_failed{false};
    /// fallocate mode for zero runs; 0 once the kernel refused it.
    std::atomic<int> m_zero_mode;
    std::atomic<uint64_t> m_written{0};
    std::atomic<uint64_t> m_zeroed{0};
    bool m_finished = false;
};

/// After a failed deployment: zeroes the disk's first and last MiB (boot
/// code, partition tables, GPT backup header) so a half-written disk never
/// boots as a broken OS. Never throws; returns false if it could not.
bool wipe_boot_areas(const TargetDisk& disk) noexcept;

}  // namespace imgdeploy
