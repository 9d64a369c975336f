#pragma once
// A bounded multi-producer multi-consumer queue joining pipeline threads.
// close() wakes every waiter: push() then fails and pop() drains what is
// left before returning nullopt. This is how a failing stage stops the others.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace imgdeploy {

template <typename T> class BoundedQueue {
  public:
    explicit BoundedQueue(size_t capacity) : m_capacity(capacity) {}

    /// Blocks while full; returns false if the queue was closed.
    bool push(T item) {
        std::unique_lock lock(m_mutex);
        m_not_full.wait(lock, [&] { return m_closed || m_items.size() < m_capacity; });
        if (m_closed) {
            return false;
        }
        m_items.push_back(std::move(item));
        m_not_empty.notify_one();
        return true;
    }

    /// Blocks while empty; nullopt once closed and drained.
    std::optional<T> pop() {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [&] { return m_closed || !m_items.empty(); });
        if (m_items.empty()) {
            return std::nullopt;
        }
        T item = std::move(m_items.front());
        m_items.pop_front();
        m_not_full.notify_one();
        return item;
    }

    void close() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_not_empty.notify_all();
        m_not_full.notify_all();
    }

    /// Closes and discards what is queued (for cancellation).
    void abort() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_items.clear();
        m_not_empty.notify_all();
        m_not_full.notify_all();
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_not_empty;
    std::condition_variable m_not_full;
    std::deque<T> m_items;
    size_t m_capacity;
    bool m_closed = false;
};

}  // namespace imgdeploy
