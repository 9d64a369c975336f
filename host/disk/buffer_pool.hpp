#pragma once
// BufferPool: a fixed set of aligned buffers shared by the pipeline stages.
// acquire() blocks until a stage gives one back, which bounds memory (peak
// RSS) and gives back-pressure from the disk to the network.

#include "common/aligned_buffer.hpp"
#include "common/bounded_queue.hpp"

#include <optional>

namespace imgdeploy {

class BufferPool {
  public:
    BufferPool(size_t count, size_t buffer_bytes) : m_free(count), m_buffer_bytes(buffer_bytes) {
        for (size_t i = 0; i < count; ++i) {
            m_free.push(AlignedBuffer(buffer_bytes));
        }
    }
    /// A free buffer with size() 0, or nullopt once the pool is aborted.
    std::optional<AlignedBuffer> acquire() {
        auto b = m_free.pop();
        if (b) {
            b->set_size(0);
        }
        return b;
    }
    void release(AlignedBuffer b) { m_free.push(std::move(b)); }
    /// Wakes every acquire() with nullopt (cancellation).
    void abort() { m_free.abort(); }
    size_t buffer_bytes() const { return m_buffer_bytes; }

  private:
    BoundedQueue<AlignedBuffer> m_free;
    size_t m_buffer_bytes;
};

}  // namespace imgdeploy
