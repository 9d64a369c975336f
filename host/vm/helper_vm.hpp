#pragma once
// HelperVm: a started qemu process (the helper VM) and everything it holds
// open towards us: its pidfd and the read ends of the pipes behind its
// serial ports and its stderr. It runs in its own process group (so a
// terminal's ^C does not reach it and anything it leaves behind can be
// killed with it); the destructor kills that group with SIGKILL and reaps
// qemu, so no process is left behind on any path.
//
// The disks, the floppy and the pipes' write ends reach qemu as inherited
// fds: start() makes inheritable (not close-on-exec) copies of them, spawns,
// and closes the copies at once. While the copies exist another thread
// spawning a child would inherit them too; imgdeploy starts the VM when its
// streaming threads are gone, and no other thread spawns.

#include "common/child_process.hpp"
#include "common/unique_fd.hpp"
#include "host/vm/qemu_command.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

/// pidfd_open(2) (glibc 2.36's <sys/pidfd.h> lacks C linkage for C++).
UniqueFd open_pidfd(pid_t pid, const std::string& what);

class HelperVm {
  public:
    /// Starts qemu for `spec`, whose disk and floppy fds are the caller's own
    /// (close-on-exec is fine); its console/result/monitor fds are ignored:
    /// start() makes the pipes. The environment is exactly `env`.
    static HelperVm start(QemuSpec spec, const std::vector<std::string>& env = default_env());
    static std::vector<std::string> default_env();

    HelperVm(HelperVm&& other) noexcept;
    HelperVm& operator=(HelperVm&&) = delete;
    HelperVm(const HelperVm&) = delete;
    ~HelperVm();

    pid_t pid() const { return m_child ? m_child->pid() : -1; }
    /// Readable (POLLIN) once qemu has exited.
    int pidfd() const { return m_pidfd.get(); }
    /// Non-blocking read ends: ttyS0, ttyS1, ttyS2 and qemu's stdout+stderr.
    UniqueFd& console() { return m_console; }
    UniqueFd& result() { return m_result; }
    UniqueFd& monitor() { return m_monitor; }
    UniqueFd& stderr_pipe() { return m_stderr; }
    /// The command that was run (for the log).
    const std::vector<std::string>& argv() const { return m_argv; }
    std::chrono::steady_clock::time_point started() const { return m_started; }

    /// Sends a signal to qemu's whole process group (no-op once reaped).
    void signal_group(int signo) const;
    /// Kills the group and reaps qemu; call once the pidfd is readable (or to
    /// end it now). Returns how qemu ended.
    WaitStatus kill_and_reap();
    bool reaped() const { return !m_child.has_value(); }

  private:
    HelperVm() = default;

    std::optional<ChildProcess> m_child;
    UniqueFd m_pidfd;
    UniqueFd m_console;
    UniqueFd m_result;
    UniqueFd m_monitor;
    UniqueFd m_stderr;
    std::vector<std::string> m_argv;
    std::chrono::steady_clock::time_point m_started;
};

}  // namespace imgdeploy
