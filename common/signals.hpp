#pragma once
// Signals are blocked in every thread and taken through a signalfd in the
// owner's poll loop (Ninja's and systemd's shape); no work in handlers.

#include "common/unique_fd.hpp"

#include <csignal>
#include <initializer_list>
#include <optional>

namespace imgdeploy {

/// Blocks the given signals in the calling thread (and so in the threads it
/// starts afterwards); restores the old mask on destruction.
class ScopedSignalBlock {
  public:
    ScopedSignalBlock(std::initializer_list<int> signals);
    ~ScopedSignalBlock();
    ScopedSignalBlock(const ScopedSignalBlock&) = delete;
    ScopedSignalBlock& operator=(const ScopedSignalBlock&) = delete;
    const sigset_t& blocked() const { return m_set; }

  private:
    sigset_t m_set{};
    sigset_t m_old{};
};

/// A non-blocking signalfd for a blocked signal set.
class SignalFd {
  public:
    explicit SignalFd(const sigset_t& set);
    int fd() const { return m_fd.get(); }
    /// The next pending signal, if any.
    std::optional<int> take();

  private:
    UniqueFd m_fd;
};

}  // namespace imgdeploy
