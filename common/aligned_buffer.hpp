#pragma once
// A heap buffer aligned for O_DIRECT I/O (4096 bytes covers every logical
// sector size Linux supports).

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace imgdeploy {

inline constexpr size_t k_direct_alignment = 4096;

class AlignedBuffer {
  public:
    AlignedBuffer() = default;
    explicit AlignedBuffer(size_t capacity)
        : m_data(static_cast<char*>(std::aligned_alloc(k_direct_alignment, round_up(capacity)))),
          m_capacity(capacity) {
        if (m_data == nullptr) {
            throw std::bad_alloc();
        }
    }
    AlignedBuffer(AlignedBuffer&& o) noexcept
        : m_data(std::exchange(o.m_data, nullptr)), m_capacity(std::exchange(o.m_capacity, 0)),
          m_size(std::exchange(o.m_size, 0)) {}
    AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
        std::free(m_data);
        m_data = std::exchange(o.m_data, nullptr);
        m_capacity = std::exchange(o.m_capacity, 0);
        m_size = std::exchange(o.m_size, 0);
        return *this;
    }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    ~AlignedBuffer() { std::free(m_data); }

    char* data() const { return m_data; }
    size_t capacity() const { return m_capacity; }
    /// Bytes in use, set by whoever fills the buffer.
    size_t size() const { return m_size; }
    void set_size(size_t n) { m_size = n; }

  private:
    static size_t round_up(size_t n) {
        return (n + k_direct_alignment - 1) / k_direct_alignment * k_direct_alignment;
    }
    char* m_data = nullptr;
    size_t m_capacity = 0;
    size_t m_size = 0;
};

}  // namespace imgdeploy
