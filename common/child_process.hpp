#pragma once
// ChildProcess: a process started with posix_spawn, with an explicit
// environment, default signal dispositions and an empty signal mask. Its
// owner kills (SIGKILL) and reaps it on destruction unless wait() ran.

#include "common/unique_fd.hpp"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace imgdeploy {

/// How a child ended; decoded once so no call site uses WIFEXITED.
struct WaitStatus {
    enum class Kind { exited, signaled } kind = Kind::exited;
    int code = 0;  // exit code or signal number
    bool success() const { return kind == Kind::exited && code == 0; }
    /// "exited with status 3" / "killed by SIGKILL".
    std::string describe() const;
    static WaitStatus from_raw(int status);
};

struct SpawnOptions {
    std::vector<std::string> argv;
    std::vector<std::string> env;  // exactly this environment
    /// fd to dup onto the child's 0, 1, 2; -1 means /dev/null.
    int stdin_fd = -1;
    int stdout_fd = 2;
    int stderr_fd = 2;
    /// Put the child in its own process group, so a terminal's ^C does not reach it.
    bool new_process_group = false;
    /// More descriptors to hand over: {fd in this process, fd number in the child}.
    std::vector<std::pair<int, int>> extra_fds;
};

class ChildProcess {
  public:
    explicit ChildProcess(const SpawnOptions& options);
    ChildProcess(ChildProcess&& o) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return m_pid; }
    /// Blocks until the child ends.
    WaitStatus wait();
    /// Reaps the child if it has ended, without blocking.
    std::optional<WaitStatus> try_wait();
    void kill(int signo) const;

  private:
    pid_t m_pid = -1;
    std::string m_name;
    /// Once reaped, how it ended (so waiting again never reaps another child).
    std::optional<WaitStatus> m_status;
};

/// Runs a command to completion and returns its stdout; throws Error naming
/// the command when it fails. For short helper tools only.
std::string run_capture(const std::vector<std::string>& argv);

}  // namespace imgdeploy
