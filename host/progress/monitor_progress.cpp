#include "host/progress/monitor_progress.hpp"

#include "common/monitor_message.hpp"
#include "common/syscalls.hpp"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

constexpr auto k_progress_interval = std::chrono::seconds(3);
constexpr int k_monitor_exit_grace_ms = 5000;

/// Waits up to timeout_ms for pid to exit, as a poll on its pidfd.
void wait_for_exit(pid_t pid, int timeout_ms) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) {
        return;
    }
    UniqueFd pidfd(fd);
    pollfd p{pidfd.get(), POLLIN, 0};
    while (::poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
    }
}

}  // namespace

MonitorProgress::MonitorProgress(const std::string& program, const std::string& instance_name) {
    if (program.empty()) {
        return;
    }
    Pipe pipe = sys::make_pipe("progress monitor");
    SpawnOptions o;
    o.argv = {program, instance_name};
    o.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8"};
    o.stdin_fd = pipe.read.get();
    o.stdout_fd = 2;
    o.stderr_fd = 2;
    try {
        m_child.emplace(o);
    } catch (const std::exception& e) {
        spdlog::warn("progress monitor not started, messages go to the log: {}", e.what());
        return;
    }
    m_pipe = std::move(pipe.write);
    ::fcntl(m_pipe.get(), F_SETFL, O_NONBLOCK);
}

MonitorProgress::MonitorProgress(Destination destination) : m_destination(destination) {}

MonitorProgress::~MonitorProgress() {
    if (!m_child) {
        return;
    }
    m_pipe.reset();  // EOF tells the monitor we are done
    wait_for_exit(m_child->pid(), k_monitor_exit_grace_ms);
    if (!m_child->try_wait()) {
        spdlog::warn("progress monitor did not exit {} s after the end; killing it",
                     k_monitor_exit_grace_ms / 1000);
    }
    // ~ChildProcess kills and reaps whatever is left.
}

void MonitorProgress::send(const std::string& json) {
    if (m_child) {
        if (m_dead) {
            return;
        }
        std::string line = json + "\n";
        ssize_t n = ::write(m_pipe.get(), line.data(), line.size());
        if (n == static_cast<ssize_t>(line.size())) {
            return;
        }
        if (n < 0 && errno == EAGAIN) {
            spdlog::warn("progress monitor is not reading; a message was dropped");
            return;
        }
        spdlog::warn("progress monitor has gone away; messages go to the log from now on");
        m_dead = true;
        m_child.reset();
        m_pipe.reset();
        m_destination = Destination::log_lines;
    }
    if (m_destination == Destination::stdout_lines) {
        std::string line = json + "\n";
        try {
            sys::write_full(1, line.data(), line.size(), "stdout");
        } catch (const std::exception&) {
            // A closed stdout must not stop a deployment.
        }
        return;
    }
    std::string line = "[MONITOR] " + json + "\n";
    try {
        sys::write_full(2, line.data(), line.size(), "stderr");
    } catch (const std::exception&) {
    }
}

void MonitorProgress::info(const std::string& message) { send(monitor::info({message})); }

void MonitorProgress::copy_progress(uint64_t position, uint64_t total, bool final) {
    auto now = std::chrono::steady_clock::now();
    if (!final && now - m_last_progress < k_progress_interval) {
        return;
    }
    m_last_progress = now;
    send(monitor::copy_progress(position, total));
}

void MonitorProgress::error(const std::vector<std::string>& messages) {
    send(monitor::error(messages));
}

void MonitorProgress::helper_event(const std::string& json_line) { send(json_line); }

}  // namespace imgdeploy
