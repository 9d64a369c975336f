#pragma once
// The helper's two channels to the host: the result (ttyS1: one line,
// "SUCCESS" or "ERROR: <message>") and the monitor (ttyS2: task events,
// warnings and errors in the monitor line protocol). Writes never throw: a
// broken channel must not stop the helper from powering off.

#include "common/monitor_lines.hpp"
#include "common/unique_fd.hpp"

#include <string>
#include <string_view>

namespace imgdeploy {

class Channels {
  public:
    /// Opens the serial devices (raw mode); a path that cannot be opened is
    /// silently unused (tests pass files instead).
    Channels(const std::string& result_path, const std::string& monitor_path);

    void task_start(std::string_view task) { monitor(MonitorEvent::Kind::task_start, task); }
    void task_end(std::string_view task) { monitor(MonitorEvent::Kind::task_end, task); }
    void warning(std::string_view text) { monitor(MonitorEvent::Kind::warning, text); }
    /// An error: to the monitor, and as the result if none was written yet.
    void error(std::string_view text);
    /// The last lines of a failing task's stderr (at most 10).
    void stderr_block(const std::vector<std::string>& lines);
    void success();
    bool result_written() const { return m_result_written; }

  private:
    void monitor(MonitorEvent::Kind kind, std::string_view text);
    void result(const std::string& line);

    UniqueFd m_result;
    UniqueFd m_monitor;
    bool m_result_written = false;
};

}  // namespace imgdeploy
