#include "common/monitor_lines.hpp"

#include "common/strings.hpp"

#include <utility>

namespace imgdeploy {

namespace {

/// Control characters and invalid bytes become '?', so hostile bytes never
/// reach logs or JSON as anything but text.
std::string sanitize(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        out.push_back(c == '\t' || (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?');
    }
    return out;
}

bool take_prefix(std::string& s, std::string_view prefix) {
    if (s.rfind(prefix, 0) != 0) {
        return false;
    }
    s.erase(0, prefix.size());
    return true;
}

}  // namespace

std::vector<MonitorEvent> MonitorLineParser::feed(std::string_view bytes) {
    std::vector<MonitorEvent> events;
    for (char c : bytes) {
        if (exhausted()) {
            break;
        }
        if (c == '\n') {
            if (!m_truncating || !m_partial.empty()) {
                if (auto e = line(std::exchange(m_partial, std::string()))) {
                    events.push_back(std::move(*e));
                }
            }
            m_partial.clear();
            m_truncating = false;
            continue;
        }
        if (c == '\r') {
            continue;
        }
        if (m_partial.size() >= k_max_line) {
            m_truncating = true;  // the rest of this line is dropped
            continue;
        }
        m_partial.push_back(c);
    }
    return events;
}

std::vector<MonitorEvent> MonitorLineParser::finish() {
    std::vector<MonitorEvent> events;
    if (!m_partial.empty() && !exhausted()) {
        if (auto e = line(std::exchange(m_partial, std::string()))) {
            events.push_back(std::move(*e));
        }
    }
    if (m_stderr_left > 0) {
        m_stderr_left = 0;
        events.push_back({MonitorEvent::Kind::error, std::exchange(m_stderr, std::string())});
    }
    return events;
}

std::optional<MonitorEvent> MonitorLineParser::line(std::string text) {
    ++m_lines;
    text = sanitize(text);
    if (m_stderr_left > 0) {
        m_stderr += "\n" + text;
        if (--m_stderr_left == 0) {
            return MonitorEvent{MonitorEvent::Kind::error, std::exchange(m_stderr, std::string())};
        }
        return std::nullopt;
    }
    if (text.empty()) {
        --m_lines;  // empty lines are free
        return std::nullopt;
    }
    if (take_prefix(text, "TASK_START:")) {
        return MonitorEvent{MonitorEvent::Kind::task_start, text};
    }
    if (take_prefix(text, "TASK_END:")) {
        return MonitorEvent{MonitorEvent::Kind::task_end, text};
    }
    if (take_prefix(text, "WARNING:")) {
        return MonitorEvent{MonitorEvent::Kind::warning, text};
    }
    if (take_prefix(text, "ERROR:")) {
        return MonitorEvent{MonitorEvent::Kind::error, text};
    }
    if (take_prefix(text, "STDERR:")) {
        auto colon = text.find(':');
        auto n = parse_u64(text.substr(0, colon));
        if (colon == std::string::npos || !n || *n == 0 || *n > k_max_stderr_lines) {
            return MonitorEvent{MonitorEvent::Kind::protocol_error, "bad STDERR header"};
        }
        m_stderr = text.substr(colon + 1);
        m_stderr_left = *n - 1;
        if (m_stderr_left == 0) {
            return MonitorEvent{MonitorEvent::Kind::error, std::exchange(m_stderr, std::string())};
        }
        return std::nullopt;
    }
    return MonitorEvent{MonitorEvent::Kind::protocol_error,
                        "unknown monitor line: " + text.substr(0, 80)};
}

std::string format_monitor_line(MonitorEvent::Kind kind, std::string_view text) {
    const char* prefix = "ERROR:";
    switch (kind) {
    case MonitorEvent::Kind::task_start:
        prefix = "TASK_START:";
        break;
    case MonitorEvent::Kind::task_end:
        prefix = "TASK_END:";
        break;
    case MonitorEvent::Kind::warning:
        prefix = "WARNING:";
        break;
    case MonitorEvent::Kind::error:
    case MonitorEvent::Kind::protocol_error:
        break;
    }
    std::string line = prefix;
    for (char c : text) {
        line.push_back(c == '\n' || c == '\r' ? ' ' : c);
    }
    if (line.size() > MonitorLineParser::k_max_line) {
        line.resize(MonitorLineParser::k_max_line);
    }
    return line;
}

}  // namespace imgdeploy
