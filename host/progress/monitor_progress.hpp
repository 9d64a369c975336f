#pragma once
// MonitorProgress speaks the snf-image monitor protocol (one JSON object per
// line): to the configured progress_monitor program's stdin, started with
// the instance name as argv[1], or as "[MONITOR] <json>" lines on stderr
// (the Ganeti OS log) when no program is configured. Copy progress goes out
// at most every 3 s, plus once at the end. A dead or stuck monitor never
// stops a deployment: writes are non-blocking and a broken pipe only warns.
// Also used for `deploy --progress json` with stdout as the destination.

#include "common/child_process.hpp"
#include "common/unique_fd.hpp"
#include "host/progress/progress_sink.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace imgdeploy {

class MonitorProgress final : public ProgressSink {
  public:
    enum class Destination { log_lines, stdout_lines };
    /// Starts `program instance_name` when program is non-empty.
    MonitorProgress(const std::string& program, const std::string& instance_name);
    /// Writes plain JSON lines (`--progress json`) or [MONITOR] lines.
    explicit MonitorProgress(Destination destination);
    ~MonitorProgress() override;

    void info(const std::string& message) override;
    void copy_progress(uint64_t position, uint64_t total, bool final) override;
    void error(const std::vector<std::string>& messages) override;
    void helper_event(const std::string& json_line) override;

  private:
    void send(const std::string& json);

    std::optional<ChildProcess> m_child;
    UniqueFd m_pipe;
    Destination m_destination = Destination::log_lines;
    bool m_dead = false;
    std::chrono::steady_clock::time_point m_last_progress{};
};

}  // namespace imgdeploy
