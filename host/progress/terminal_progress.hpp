#pragma once
// TerminalProgress: a one-line bar on a terminal (stderr) with bytes, rate
// and ETA, redrawn at most 5 times a second; milestones print as lines.

#include "host/progress/progress_sink.hpp"

#include <chrono>

namespace imgdeploy {

class TerminalProgress final : public ProgressSink {
  public:
    TerminalProgress();
    void info(const std::string& message) override;
    void copy_progress(uint64_t position, uint64_t total, bool final) override;
    void error(const std::vector<std::string>& messages) override;
    void helper_event(const std::string& json_line) override;

  private:
    void clear_line();
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw{};
    bool m_bar_shown = false;
};

/// "[=====>     ]  42%  850.0 MiB / 2.0 GiB  412.3 MiB/s  ETA 0:03"
std::string render_bar(uint64_t position, uint64_t total, double seconds, size_t width);

}  // namespace imgdeploy
