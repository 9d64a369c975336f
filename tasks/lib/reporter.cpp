#include "tasks/lib/reporter.hpp"

#include "common/monitor_lines.hpp"

#include <cerrno>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

/// Best effort: a monitor line that cannot be written must not fail the task.
void write_line(int fd, const std::string& line) {
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(fd, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += static_cast<size_t>(n);
    }
}

}  // namespace

Reporter::Reporter(std::string task_name, int monitor_fd)
    : m_task_name(std::move(task_name)), m_monitor_fd(monitor_fd) {
    if (m_monitor_fd < 0) {
        return;
    }
    int flags = ::fcntl(m_monitor_fd, F_GETFD);
    if (flags < 0) {
        std::cerr << m_task_name << ": note: IMGDEPLOY_MONITOR_FD " << m_monitor_fd
                  << " is not open; monitor lines go to stderr only" << std::endl;
        m_monitor_fd = -1;
        return;
    }
    ::fcntl(m_monitor_fd, F_SETFD, flags | FD_CLOEXEC);
}

void Reporter::info(std::string_view text) const {
    std::cout << m_task_name << ": " << text << std::endl;
}

void Reporter::warn(std::string_view text) const {
    std::cerr << m_task_name << ": warning: " << text << std::endl;
    monitor(false, text);
}

void Reporter::error(std::string_view text) const {
    std::cerr << m_task_name << ": " << text << std::endl;
    monitor(true, text);
}

void Reporter::monitor(bool is_error, std::string_view text) const {
    if (m_monitor_fd < 0) {
        return;
    }
    auto kind = is_error ? MonitorEvent::Kind::error : MonitorEvent::Kind::warning;
    write_line(m_monitor_fd, format_monitor_line(kind, text) + "\n");
}

}  // namespace imgdeploy::tasks
