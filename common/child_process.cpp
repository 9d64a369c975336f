#include "common/child_process.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

namespace imgdeploy {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) {
        out.push_back(const_cast<char*>(s.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

/// RAII for the two posix_spawn attribute objects.
struct SpawnAttrs {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnAttrs() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnAttrs() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnAttrs(const SpawnAttrs&) = delete;
    SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

void redirect(posix_spawn_file_actions_t& actions, int from, int to, int flags) {
    if (from < 0) {
        posix_spawn_file_actions_addopen(&actions, to, "/dev/null", flags, 0);
    } else if (from != to) {
        posix_spawn_file_actions_adddup2(&actions, from, to);
    } else {
        // dup2(fd, fd) would keep O_CLOEXEC set; posix_spawn in glibc >= 2.29
        // clears it for this case.
        posix_spawn_file_actions_adddup2(&actions, from, to);
    }
}

}  // namespace

std::string WaitStatus::describe() const {
    if (kind == Kind::exited) {
        return "exited with status " + std::to_string(code);
    }
    const char* name = sigabbrev_np(code);
    return std::string("killed by SIG") + (name ? name : std::to_string(code).c_str());
}

WaitStatus WaitStatus::from_raw(int status) {
    if (WIFSIGNALED(status)) {
        return {Kind::signaled, WTERMSIG(status)};
    }
    return {Kind::exited, WEXITSTATUS(status)};
}

ChildProcess::ChildProcess(const SpawnOptions& o) : m_name(o.argv.at(0)) {
    SpawnAttrs sa;
    redirect(sa.actions, o.stdin_fd, 0, O_RDONLY);
    redirect(sa.actions, o.stdout_fd, 1, O_WRONLY);
    redirect(sa.actions, o.stderr_fd, 2, O_WRONLY);
    for (const auto& [from, to] : o.extra_fds) {
        posix_spawn_file_actions_adddup2(&sa.actions, from, to);
    }
    sigset_t all;
    sigset_t none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&sa.attr, &all);
    posix_spawnattr_setsigmask(&sa.attr, &none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (o.new_process_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&sa.attr, 0);
    }
    posix_spawnattr_setflags(&sa.attr, flags);
    auto argv = c_strings(o.argv);
    auto envp = c_strings(o.env);
    int rc = posix_spawnp(&m_pid, argv[0], &sa.actions, &sa.attr, argv.data(), envp.data());
    if (rc != 0) {
        m_pid = -1;
        throw SystemError("starting " + m_name, "posix_spawn", rc);
    }
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : m_pid(std::exchange(o.m_pid, -1)), m_name(std::move(o.m_name)), m_status(o.m_status) {}

ChildProcess::~ChildProcess() {
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

WaitStatus ChildProcess::wait() {
    if (m_pid <= 0) {
        if (m_status) {
            return *m_status;
        }
        throw Error("waiting for " + m_name + ": no such child");
    }
    int status = 0;
    while (::waitpid(m_pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw SystemError("waiting for " + m_name, "waitpid", errno);
        }
    }
    m_pid = -1;
    m_status = WaitStatus::from_raw(status);
    return *m_status;
}

std::optional<WaitStatus> ChildProcess::try_wait() {
    if (m_pid <= 0) {
        return m_status;
    }
    int status = 0;
    pid_t r = ::waitpid(m_pid, &status, WNOHANG);
    if (r == 0) {
        return std::nullopt;
    }
    if (r < 0) {
        throw SystemError("waiting for " + m_name, "waitpid", errno);
    }
    m_pid = -1;
    m_status = WaitStatus::from_raw(status);
    return *m_status;
}

void ChildProcess::kill(int signo) const {
    if (m_pid > 0) {
        ::kill(m_pid, signo);
    }
}

std::string run_capture(const std::vector<std::string>& argv) {
    Pipe out = sys::make_pipe("running " + argv.at(0));
    SpawnOptions o;
    o.argv = argv;
    o.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
    o.stdout_fd = out.write.get();
    ChildProcess child(o);
    out.write.reset();
    std::string text;
    char buf[4096];
    while (size_t n = sys::read_some(out.read.get(), buf, sizeof buf, argv[0])) {
        text.append(buf, n);
    }
    WaitStatus st = child.wait();
    if (!st.success()) {
        throw Error(argv[0] + " " + st.describe());
    }
    return text;
}

}  // namespace imgdeploy
