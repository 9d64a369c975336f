#include "host/vm/supervisor.hpp"

#include "common/error.hpp"
#include "common/monitor_lines.hpp"
#include "common/monitor_message.hpp"
#include "common/signals.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

using Clock = std::chrono::steady_clock;

/// Printable ASCII, tab and UTF-8 bytes stay; other control bytes become
/// '?', so the VM cannot put escape sequences into the log.
char clean(char c) {
    auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u != 0x7f) || c == '\t' ? c : '?';
}

/// Splits a byte stream into bounded lines: a line longer than `max` is cut
/// and the rest of it dropped. Never holds more than `max` bytes.
class LineSplitter {
  public:
    explicit LineSplitter(size_t max) : m_max(max) {}

    template <typename F>
    void feed(const char* data, size_t len, F&& on_line) {
        for (size_t i = 0; i < len; ++i) {
            char c = data[i];
            if (c == '\n') {
                on_line(m_line);
                m_line.clear();
            } else if (c == '\r') {
                continue;
            } else if (m_line.size() < m_max) {
                m_line.push_back(clean(c));
            }
        }
    }

    template <typename F>
    void finish(F&& on_line) {
        if (!m_line.empty()) {
            on_line(m_line);
            m_line.clear();
        }
    }

  private:
    size_t m_max;
    std::string m_line;
};

/// A one-shot CLOCK_MONOTONIC timer; disarmed until set().
class Timer {
  public:
    Timer() : m_fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) {
        if (!m_fd) {
            throw SystemError("helper VM supervisor", "timerfd_create", errno);
        }
    }
    int fd() const { return m_fd.get(); }
    void set(std::chrono::milliseconds after) {
        itimerspec spec{};
        auto ms = std::max<int64_t>(after.count(), 1);
        spec.it_value.tv_sec = ms / 1000;
        spec.it_value.tv_nsec = (ms % 1000) * 1000000;
        if (::timerfd_settime(m_fd.get(), 0, &spec, nullptr) != 0) {
            throw SystemError("helper VM supervisor", "timerfd_settime", errno);
        }
    }
    /// Consumes an expiry; true when there was one.
    bool fired() {
        uint64_t n = 0;
        return ::read(m_fd.get(), &n, sizeof n) == static_cast<ssize_t>(sizeof n);
    }

  private:
    UniqueFd m_fd;
};

class Supervisor {
  public:
    Supervisor(HelperVm& vm, const SupervisorOptions& o) : m_vm(vm), m_o(o) {}
    VmOutcome run();

  private:
    enum Slot { signals, pidfd, timer, console, result, monitor, qemu_stderr, slot_count };

    void poll_once();
    void on_readable(Slot slot);
    void on_console(const char* data, size_t len);
    void on_result(const char* data, size_t len);
    void on_monitor(const char* data, size_t len);
    void on_monitor_events(const std::vector<MonitorEvent>& events);
    void on_stderr(const char* data, size_t len);
    void on_signal();
    void on_timer();
    void on_exit();
    void finish_streams();
    UniqueFd& pipe_of(Slot slot);
    bool pipes_open();

    HelperVm& m_vm;
    const SupervisorOptions& m_o;
    VmOutcome m_out;
    Timer m_timer;
    enum class Phase { running, terminating, draining, done } m_phase = Phase::running;

    LineSplitter m_console_lines{k_console_line_max};
    LineSplitter m_stderr_lines{k_console_line_max};
    std::string m_result;
    bool m_result_done = false;
    MonitorLineParser m_monitor;
    bool m_monitor_off = false;
    std::vector<char> m_buf = std::vector<char>(65536);
};

UniqueFd& Supervisor::pipe_of(Slot slot) {
    switch (slot) {
    case console:
        return m_vm.console();
    case result:
        return m_vm.result();
    case monitor:
        return m_vm.monitor();
    default:
        return m_vm.stderr_pipe();
    }
}

bool Supervisor::pipes_open() {
    for (Slot s : {console, result, monitor, qemu_stderr}) {
        if (pipe_of(s).valid()) {
            return true;
        }
    }
    return false;
}

VmOutcome Supervisor::run() {
    m_timer.set(m_o.soft_timeout);
    while (m_phase != Phase::done) {
        poll_once();
    }
    finish_streams();
    m_out.seconds = std::chrono::duration<double>(Clock::now() - m_vm.started()).count();
    spdlog::info("VM STOP: the helper VM {} after {:.2f} s{}", m_out.status.describe(),
                 m_out.seconds, m_out.timed_out ? " (timed out)" : "");
    return m_out;
}

void Supervisor::poll_once() {
    std::array<pollfd, slot_count> fds{};
    fds[signals] = {m_o.signals ? m_o.signals->fd() : -1, POLLIN, 0};
    fds[pidfd] = {m_vm.reaped() ? -1 : m_vm.pidfd(), POLLIN, 0};
    fds[timer] = {m_timer.fd(), POLLIN, 0};
    for (Slot s : {console, result, monitor, qemu_stderr}) {
        fds[s] = {pipe_of(s).get(), POLLIN, 0};
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) {
            return;
        }
        throw SystemError("helper VM supervisor", "poll", errno);
    }
    // Signals first: an interrupted run ends now, whatever else is ready.
    if (fds[signals].revents != 0) {
        on_signal();
    }
    for (Slot s : {console, result, monitor, qemu_stderr}) {
        if (fds[s].revents != 0) {
            on_readable(s);
        }
    }
    if (fds[pidfd].revents != 0) {
        on_exit();
    }
    if (fds[timer].revents != 0) {
        on_timer();
    }
    if (m_phase == Phase::draining && !pipes_open()) {
        m_phase = Phase::done;
    }
}

void Supervisor::on_readable(Slot slot) {
    UniqueFd& fd = pipe_of(slot);
    // One bounded read per wake-up keeps the pipes fair to each other.
    std::vector<char>& buf = m_buf;
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            return;
        }
        throw SystemError("helper VM supervisor: reading a serial pipe", "read", errno);
    }
    if (n == 0) {
        fd.reset();  // end of stream: every writer is gone
        return;
    }
    auto len = static_cast<size_t>(n);
    switch (slot) {
    case console:
        on_console(buf.data(), len);
        break;
    case result:
        on_result(buf.data(), len);
        break;
    case monitor:
        on_monitor(buf.data(), len);
        break;
    default:
        on_stderr(buf.data(), len);
        break;
    }
}

void Supervisor::on_console(const char* data, size_t len) {
    uint64_t before = m_out.console_bytes;
    m_out.console_bytes += len;
    if (m_out.console_truncated) {
        return;  // read and dropped, so the guest never blocks on its console
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(len, k_console_total_max - before));
    m_console_lines.feed(data, take, [](const std::string& line) {
        spdlog::info("HELPER: {}", line);
    });
    if (take < len) {
        m_console_lines.finish([](const std::string& line) { spdlog::info("HELPER: {}", line); });
        m_out.console_truncated = true;
        spdlog::warn("HELPER: console output truncated after {} MiB; the rest is dropped",
                     k_console_total_max >> 20);
    }
}

void Supervisor::on_result(const char* data, size_t len) {
    for (size_t i = 0; i < len && !m_result_done; ++i) {
        if (data[i] == '\n' || m_result.size() >= k_result_max) {
            m_result_done = true;
        } else if (data[i] != '\r') {
            m_result.push_back(clean(data[i]));
        }
    }
    m_out.result_line = m_result;
}

void Supervisor::on_monitor(const char* data, size_t len) {
    if (m_monitor_off) {
        return;
    }
    on_monitor_events(m_monitor.feed(std::string_view(data, len)));
    if (!m_monitor_off && m_monitor.exhausted()) {
        m_monitor_off = true;
        spdlog::warn("helper monitor channel: more than {} lines; ignoring the rest",
                     MonitorLineParser::k_max_lines);
    }
}

void Supervisor::on_monitor_events(const std::vector<MonitorEvent>& events) {
    for (const MonitorEvent& e : events) {
        if (m_monitor_off) {
            return;
        }
        std::string json;
        switch (e.kind) {
        case MonitorEvent::Kind::task_start:
            spdlog::debug("helper task started: {}", e.text);
            json = monitor::helper_task("task-start", e.text);
            break;
        case MonitorEvent::Kind::task_end:
            spdlog::debug("helper task ended: {}", e.text);
            json = monitor::helper_task("task-end", e.text);
            break;
        case MonitorEvent::Kind::warning:
            spdlog::warn("helper warning: {}", e.text);
            json = monitor::helper_message("warning", e.text);
            break;
        case MonitorEvent::Kind::error:
            spdlog::warn("helper error: {}", e.text);
            json = monitor::helper_message("error", e.text);
            m_out.errors.push_back(e.text);
            if (m_out.errors.size() > k_kept_errors) {
                m_out.errors.erase(m_out.errors.begin());
            }
            break;
        case MonitorEvent::Kind::protocol_error:
            spdlog::warn("helper monitor channel: {}; ignoring the rest of it", e.text);
            m_out.monitor_protocol_error = true;
            m_monitor_off = true;
            return;
        }
        if (m_o.progress != nullptr) {
            m_o.progress->helper_event(json);
        }
    }
}

void Supervisor::on_stderr(const char* data, size_t len) {
    m_stderr_lines.feed(data, len, [this](const std::string& line) {
        if (!line.empty()) {
            spdlog::info("QEMU: {}", line);
            m_out.last_stderr = line;
        }
    });
}

void Supervisor::on_signal() {
    auto signo = m_o.signals->take();
    if (!signo) {
        return;
    }
    spdlog::warn("VM STOP: killing the helper VM (pid {}) on signal {}", m_vm.pid(), *signo);
    if (!m_vm.reaped()) {
        m_vm.kill_and_reap();
    }
    throw Interrupted(*signo);
}

void Supervisor::on_timer() {
    if (!m_timer.fired()) {
        return;
    }
    switch (m_phase) {
    case Phase::running:
        spdlog::warn("helper VM still running after {} s: sending SIGTERM",
                     m_o.soft_timeout.count() / 1000.0);
        m_out.timed_out = true;
        m_vm.signal_group(SIGTERM);
        m_phase = Phase::terminating;
        m_timer.set(m_o.hard_timeout);
        break;
    case Phase::terminating:
        spdlog::warn("helper VM did not stop {} s after SIGTERM: sending SIGKILL",
                     m_o.hard_timeout.count() / 1000.0);
        m_out.hard_killed = true;
        m_vm.signal_group(SIGKILL);
        break;
    case Phase::draining:
        spdlog::warn("helper VM output pipes still open {} s after it ended; closing them",
                     m_o.drain_timeout.count() / 1000.0);
        m_phase = Phase::done;
        break;
    case Phase::done:
        break;
    }
}

void Supervisor::on_exit() {
    // Whatever qemu left in its process group goes with it; then reap.
    m_out.status = m_vm.kill_and_reap();
    m_phase = Phase::draining;
    m_timer.set(m_o.drain_timeout);
}

void Supervisor::finish_streams() {
    m_console_lines.finish([this](const std::string& line) {
        if (!m_out.console_truncated) {
            spdlog::info("HELPER: {}", line);
        }
    });
    m_stderr_lines.finish([this](const std::string& line) {
        spdlog::info("QEMU: {}", line);
        m_out.last_stderr = line;
    });
    if (!m_monitor_off) {
        on_monitor_events(m_monitor.finish());
    }
}

}  // namespace

VmOutcome supervise(HelperVm& vm, const SupervisorOptions& options) {
    return Supervisor(vm, options).run();
}

}  // namespace imgdeploy
