#include "helper/channels.hpp"

#include "common/syscalls.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

UniqueFd open_channel(const std::string& path) {
    int err = 0;
    UniqueFd fd = sys::try_open(path, O_WRONLY | O_NOCTTY | O_APPEND | O_CREAT, err, 0600);
    if (fd && ::isatty(fd.get())) {
        termios t{};
        if (::tcgetattr(fd.get(), &t) == 0) {
            ::cfmakeraw(&t);
            ::cfsetospeed(&t, B115200);
            ::tcsetattr(fd.get(), TCSANOW, &t);
        }
    }
    return fd;
}

void write_line(const UniqueFd& fd, const std::string& line) noexcept {
    if (!fd) {
        return;
    }
    try {
        std::string text = line + "\n";
        sys::write_full(fd.get(), text.data(), text.size(), "channel");
        ::tcdrain(fd.get());
    } catch (...) {
    }
}

}  // namespace

Channels::Channels(const std::string& result_path, const std::string& monitor_path)
    : m_result(open_channel(result_path)), m_monitor(open_channel(monitor_path)) {}

void Channels::monitor(MonitorEvent::Kind kind, std::string_view text) {
    write_line(m_monitor, format_monitor_line(kind, text));
}

void Channels::error(std::string_view text) {
    monitor(MonitorEvent::Kind::error, text);
    std::string line = "ERROR: ";
    for (char c : text) {
        line.push_back(c == '\n' || c == '\r' ? ' ' : c);
    }
    result(line.substr(0, 1024));
}

void Channels::stderr_block(const std::vector<std::string>& lines) {
    if (lines.empty()) {
        return;
    }
    size_t n = std::min<size_t>(lines.size(), MonitorLineParser::k_max_stderr_lines);
    std::string block = "STDERR:" + std::to_string(n) + ":";
    for (size_t i = lines.size() - n; i < lines.size(); ++i) {
        std::string l = lines[i].substr(0, 400);
        block += (i == lines.size() - n ? "" : "\n") + l;
    }
    write_line(m_monitor, block);
}

void Channels::success() { result("SUCCESS"); }

void Channels::result(const std::string& line) {
    if (m_result_written) {
        return;  // the first line is the result
    }
    m_result_written = true;
    write_line(m_result, line);
}

}  // namespace imgdeploy
