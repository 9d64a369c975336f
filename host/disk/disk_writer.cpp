#include "host/disk/disk_writer.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <linux/falloc.h>

namespace imgdeploy {

namespace {

const AlignedBuffer& zero_buffer() {
    static const AlignedBuffer buf = [] {
        AlignedBuffer b(1u << 20);
        std::memset(b.data(), 0, b.capacity());
        return b;
    }();
    return buf;
}

bool is_aligned(uint64_t v, uint64_t a) { return v % a == 0; }

}  // namespace

bool is_all_zero(const char* p, size_t n) {
    // 256-byte strides that the compiler vectorises, with an early exit.
    size_t i = 0;
    for (; i + 256 <= n; i += 256) {
        uint64_t acc = 0;
        uint64_t w[32];
        std::memcpy(w, p + i, 256);
        for (uint64_t x : w) {
            acc |= x;
        }
        if (acc != 0) {
            return false;
        }
    }
    for (; i < n; ++i) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

DiskWriter::DiskWriter(const TargetDisk& disk, BufferPool& pool, unsigned threads)
    : m_disk(disk),
      m_pool(pool),
      m_queue(threads * 2),
      m_zero_mode(disk.is_block_device() ? FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE
                                         : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) {
    for (unsigned i = 0; i < threads; ++i) {
        m_threads.emplace_back([this] { worker(); });
    }
}

DiskWriter::~DiskWriter() {
    if (!m_finished) {
        abort();
    }
}

void DiskWriter::submit(WriteBlock block) {
    if (m_failed.load() || !m_queue.push(std::move(block))) {
        finish();  // rethrows the writer's error
        throw Error("writing disk " + m_disk.path() + ": writer stopped");
    }
}

void DiskWriter::finish() {
    if (!m_finished) {
        m_queue.close();
        for (auto& t : m_threads) {
            t.join();
        }
        m_finished = true;
    }
    std::lock_guard lock(m_error_mutex);
    if (m_error) {
        std::rethrow_exception(m_error);
    }
}

void DiskWriter::abort() {
    m_queue.abort();
    for (auto& t : m_threads) {
        if (t.joinable()) {
            t.join();
        }
    }
    m_finished = true;
}

void DiskWriter::worker() {
    while (auto block = m_queue.pop()) {
        try {
            if (!m_failed.load()) {
                write_block(*block);
            }
        } catch (...) {
            std::lock_guard lock(m_error_mutex);
            if (!m_error) {
                m_error = std::current_exception();
            }
            // Keep draining (without writing) so every buffer returns to
            // the pool and no producer waits forever.
            m_failed = true;
        }
        if (block->buffer.data() != nullptr) {
            m_pool.release(std::move(block->buffer));
        }
    }
}

void DiskWriter::write_block(const WriteBlock& block) {
    const char* data = block.buffer.data();
    size_t end = block.buffer.size();
    size_t pos = block.skip;
    if (data == nullptr) {  // a hole of the source
        uint64_t offset = block.offset + pos;
        if (is_aligned(offset, m_disk.alignment()) && is_aligned(end - pos, m_disk.alignment())) {
            zero_run(offset, end - pos);
        } else {
            write_zeros(offset, end - pos);
        }
        return;
    }
    while (pos < end) {
        // Grow a run of units that are all zero or all data.
        size_t unit = std::min(k_zero_unit, end - pos);
        bool zero = unit == k_zero_unit && is_all_zero(data + pos, unit);
        size_t run_end = pos + unit;
        while (run_end < end) {
            size_t next = std::min(k_zero_unit, end - run_end);
            bool next_zero = next == k_zero_unit && is_all_zero(data + run_end, next);
            if (next_zero != zero) {
                break;
            }
            run_end += next;
        }
        uint64_t offset = block.offset + pos;
        if (zero && is_aligned(offset, m_disk.alignment())) {
            zero_run(offset, run_end - pos);
        } else {
            write_run(offset, data + pos, run_end - pos);
        }
        pos = run_end;
    }
}

void DiskWriter::write_run(uint64_t offset, const char* data, size_t len) {
    const std::string what = "writing disk " + m_disk.path();
    uint64_t align = m_disk.alignment();
    bool aligned_ptr = is_aligned(reinterpret_cast<uintptr_t>(data), k_direct_alignment);
    size_t direct_len = is_aligned(offset, align) && aligned_ptr ? len / align * align : 0;
    if (direct_len > 0) {
        sys::pwrite_full(m_disk.direct_fd(), data, direct_len, offset, what);
    }
    if (direct_len < len) {
        // The unaligned tail (or unaligned data) goes through the page cache.
        sys::pwrite_full(m_disk.buffered_fd(), data + direct_len, len - direct_len,
                         offset + direct_len, what);
    }
    m_written += len;
}

void DiskWriter::zero_run(uint64_t offset, uint64_t len) {
    if (int mode = m_zero_mode.load(); mode != 0) {
        int err = sys::try_fallocate(m_disk.direct_fd(), mode, offset, len);
        if (err == 0) {
            m_zeroed += len;
            return;
        }
        if (err != EOPNOTSUPP && err != EINVAL && err != ENODEV && err != ENOTTY) {
            throw SystemError("zeroing disk " + m_disk.path() + " at offset " +
                                  std::to_string(offset),
                              "fallocate", err);
        }
        m_zero_mode = 0;  // refused: write zeros from now on
    }
    write_zeros(offset, len);
}

void DiskWriter::write_zeros(uint64_t offset, uint64_t len) {
    const AlignedBuffer& zeros = zero_buffer();
    while (len > 0) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(len, zeros.capacity()));
        write_run(offset, zeros.data(), n);
        offset += n;
        len -= n;
    }
}

void DiskWriter::write(uint64_t offset, const char* data, size_t len) {
    if (is_aligned(reinterpret_cast<uintptr_t>(data), k_direct_alignment)) {
        write_run(offset, data, len);
        return;
    }
    AlignedBuffer bounce(len);
    std::memcpy(bounce.data(), data, len);
    write_run(offset, bounce.data(), len);
}

void DiskWriter::zero(uint64_t offset, uint64_t len) { write_zeros(offset, len); }

void DiskWriter::sync() {
    sys::fdatasync(m_disk.buffered_fd(), "syncing disk " + m_disk.path());
    sys::fdatasync(m_disk.direct_fd(), "syncing disk " + m_disk.path());
}

bool wipe_boot_areas(const TargetDisk& disk) noexcept {
    try {
        constexpr uint64_t mib = 1u << 20;
        BufferPool none(0, 0);
        DiskWriter writer(disk, none, 0);
        uint64_t head = std::min(mib, disk.size());
        writer.zero(0, head);
        if (disk.size() > head) {
            uint64_t tail = std::min(mib, disk.size() - head);
            writer.zero(disk.size() - tail, tail);
        }
        writer.sync();
        writer.finish();
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace imgdeploy
