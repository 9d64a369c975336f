#pragma once
// The helper -> host monitor line protocol on the third serial port
// (SNF-IMAGE-REFERENCE §4.4):
//   TASK_START:<name>   TASK_END:<name>   WARNING:<text>   ERROR:<text>
//   STDERR:<n>:<first line> followed by n-1 raw lines (n <= 10)
// The helper runs untrusted images, so on the host this is hostile input:
// lines are cut at k_max_line bytes, at most k_max_lines are accepted per
// deployment, unknown commands and bytes that are not printable UTF-8 are
// reported as protocol errors and the rest ignored. Empty lines are ignored.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy {

struct MonitorEvent {
    enum class Kind { task_start, task_end, warning, error, protocol_error };
    Kind kind;
    std::string text;  // task name, message, or (STDERR) the joined lines
};

class MonitorLineParser {
  public:
    static constexpr size_t k_max_line = 512;
    static constexpr size_t k_max_lines = 2000;
    static constexpr size_t k_max_stderr_lines = 10;

    /// Feeds raw bytes; returns the events completed by them.
    std::vector<MonitorEvent> feed(std::string_view bytes);
    /// At end of stream: a last unterminated line, if any.
    std::vector<MonitorEvent> finish();
    /// True once the line budget is spent (further input is dropped).
    bool exhausted() const { return m_lines >= k_max_lines; }

  private:
    std::optional<MonitorEvent> line(std::string text);

    std::string m_partial;
    bool m_truncating = false;  // inside an over-long line
    size_t m_lines = 0;
    size_t m_stderr_left = 0;
    std::string m_stderr;
};

/// Formats one line for the helper side (without the newline); text is
/// cut to fit and newlines become spaces.
std::string format_monitor_line(MonitorEvent::Kind kind, std::string_view text);

}  // namespace imgdeploy
