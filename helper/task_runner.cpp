#include "helper/task_runner.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/monitor_lines.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

constexpr size_t k_stderr_tail = 10;
constexpr size_t k_max_console_line = 1024;

/// Splits a pipe's bytes into lines, bounded in length.
class LineBuffer {
  public:
    template <typename F> void feed(const char* data, size_t n, F on_line) {
        for (size_t i = 0; i < n; ++i) {
            if (data[i] == '\n') {
                on_line(std::exchange(m_partial, std::string()));
            } else if (m_partial.size() < k_max_console_line) {
                m_partial.push_back(data[i]);
            }
        }
    }
    template <typename F> void flush(F on_line) {
        if (!m_partial.empty()) {
            on_line(std::exchange(m_partial, std::string()));
        }
    }

  private:
    std::string m_partial;
};

void console_line(int fd, const std::string& task, const std::string& text) {
    std::string line = task + ": " + text + "\n";
    try {
        sys::write_full(fd, line.data(), line.size(), "console");
    } catch (...) {
    }
}

/// One running task and the pipes the runner reads.
struct RunningTask {
    std::string name;
    std::optional<ChildProcess> child;
    UniqueFd pidfd;
    UniqueFd out;
    UniqueFd err;
    UniqueFd mon;
    LineBuffer out_lines;
    LineBuffer err_lines;
    MonitorLineParser monitor;
    std::deque<std::string> stderr_tail;
    pid_t pgid = 0;
};

std::vector<std::string> env_vector(const std::map<std::string, std::string>& env) {
    std::vector<std::string> out;
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

void start(RunningTask& t, const TaskRunOptions& o) {
    Pipe out = sys::make_pipe("task " + t.name);
    Pipe err = sys::make_pipe("task " + t.name);
    Pipe mon = sys::make_pipe("task " + t.name);
    auto env = o.env;
    env["TASKNAME"] = t.name;
    env["IMGDEPLOY_MONITOR_FD"] = "3";
    if (!env.count("PATH")) {
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
    }
    SpawnOptions so;
    so.argv = {o.tasks_dir + "/" + t.name};
    so.env = env_vector(env);
    so.stdin_fd = -1;
    so.stdout_fd = out.write.get();
    so.stderr_fd = err.write.get();
    so.extra_fds = {{mon.write.get(), 3}};
    so.new_process_group = true;
    t.child.emplace(so);
    t.pgid = t.child->pid();
    t.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, t.child->pid(), 0)));
    if (!t.pidfd) {
        throw SystemError("task " + t.name, "pidfd_open", errno);
    }
    t.out = std::move(out.read);
    t.err = std::move(err.read);
    t.mon = std::move(mon.read);
}

/// Reads what is available on fd; false at end of file.
bool drain(UniqueFd& fd, std::string& into) {
    char buf[4096];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
        into.assign(buf, static_cast<size_t>(n));
        return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        into.clear();
        return true;
    }
    fd.reset();
    return false;
}

void forward_monitor(RunningTask& t, const std::vector<MonitorEvent>& events, Channels& ch, int console) {
    for (const auto& e : events) {
        switch (e.kind) {
        case MonitorEvent::Kind::warning:
            ch.warning(e.text);
            console_line(console, t.name, "warning: " + e.text);
            break;
        case MonitorEvent::Kind::error:
            ch.error(e.text);
            console_line(console, t.name, "error: " + e.text);
            break;
        default:
            console_line(console, t.name, "ignored monitor line from the task");
            break;
        }
    }
}

/// The poll loop for one task: output, monitor lines, exit, deadline.
/// Returns the exit status, or nullopt when the deadline passed.
std::optional<WaitStatus> supervise(RunningTask& t, const TaskRunOptions& o, Channels& ch) {
    auto deadline = std::chrono::steady_clock::now() + o.timeout;
    bool exited = false;
    while (!exited || t.out || t.err || t.mon) {
        pollfd fds[4] = {{t.pidfd.get(), POLLIN, 0},
                         {t.out ? t.out.get() : -1, POLLIN, 0},
                         {t.err ? t.err.get() : -1, POLLIN, 0},
                         {t.mon ? t.mon.get() : -1, POLLIN, 0}};
        if (exited) {
            fds[0].fd = -1;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        int rc = ::poll(fds, 4, static_cast<int>(left.count()));
        if (rc < 0 && errno != EINTR) {
            throw SystemError("running task " + t.name, "poll", errno);
        }
        std::string data;
        if (fds[1].revents && drain(t.out, data)) {
            t.out_lines.feed(data.data(), data.size(),
                             [&](const std::string& l) { console_line(o.console_fd, t.name, l); });
        }
        if (fds[2].revents && drain(t.err, data)) {
            t.err_lines.feed(data.data(), data.size(), [&](const std::string& l) {
                console_line(o.console_fd, t.name, l);
                t.stderr_tail.push_back(l);
                if (t.stderr_tail.size() > k_stderr_tail) {
                    t.stderr_tail.pop_front();
                }
            });
        }
        if (fds[3].revents && drain(t.mon, data)) {
            forward_monitor(t, t.monitor.feed(data), ch, o.console_fd);
        }
        if (fds[0].revents) {
            exited = true;
        }
    }
    forward_monitor(t, t.monitor.finish(), ch, o.console_fd);
    t.err_lines.flush([&](const std::string& l) { t.stderr_tail.push_back(l); });
    return t.child->wait();
}

std::string failure_message(const RunningTask& t, const std::string& how) {
    std::string msg = "task " + task_display_name(t.name) + " " + how;
    if (!t.stderr_tail.empty()) {
        msg += ": " + t.stderr_tail.back();
    }
    return msg;
}

}  // namespace

/// run-parts' default name rule: ^[A-Za-z0-9_-]+$.
static bool is_task_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

std::vector<std::string> list_tasks(const std::string& dir, std::vector<std::string>* skipped) {
    std::vector<std::string> tasks;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        throw SystemError("tasks directory " + dir, "opendir", errno);
    }
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        struct stat st {};
        std::string path = dir + "/" + name;
        bool runnable = is_task_name(name) && ::stat(path.c_str(), &st) == 0 &&
                        S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
        if (runnable) {
            tasks.push_back(name);
        } else if (skipped) {
            skipped->push_back(name);
        }
    }
    ::closedir(d);
    std::sort(tasks.begin(), tasks.end());
    return tasks;
}

std::string task_display_name(const std::string& file_name) {
    if (file_name.size() > 2 && std::isdigit(static_cast<unsigned char>(file_name[0])) &&
        std::isdigit(static_cast<unsigned char>(file_name[1]))) {
        return file_name.substr(2);
    }
    return file_name;
}

std::optional<TaskFailure> run_tasks(const TaskRunOptions& o, Channels& ch) {
    std::vector<std::string> skipped;
    for (const auto& name : list_tasks(o.tasks_dir, &skipped)) {
        RunningTask t;
        t.name = name;
        std::string shown = task_display_name(name);
        ch.task_start(shown);
        start(t, o);
        std::optional<WaitStatus> status = supervise(t, o, ch);
        if (!status) {
            ::kill(-t.pgid, SIGKILL);  // the task's whole process group
            t.child.reset();                   // kills and reaps
            std::string msg = failure_message(
                t, "did not finish within " + std::to_string(o.timeout.count()) + " s (killed)");
            ch.stderr_block({t.stderr_tail.begin(), t.stderr_tail.end()});
            return TaskFailure{name, msg};
        }
        // Whatever the task left running in its process group goes too.
        ::kill(-t.pgid, SIGKILL);
        if (!status->success()) {
            std::string msg = failure_message(t, "failed (" + status->describe() + ")");
            ch.stderr_block({t.stderr_tail.begin(), t.stderr_tail.end()});
            return TaskFailure{name, msg};
        }
        ch.task_end(shown);
    }
    return std::nullopt;
}

}  // namespace imgdeploy
