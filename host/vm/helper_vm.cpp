#include "host/vm/helper_vm.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/syscall.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// A copy of `fd` that survives exec (no FD_CLOEXEC), above stdio.
UniqueFd inheritable_copy(int fd) {
    UniqueFd copy(::fcntl(fd, F_DUPFD, 3));
    if (!copy) {
        throw SystemError("helper VM: passing fd " + std::to_string(fd), "fcntl(F_DUPFD)", errno);
    }
    return copy;
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw SystemError("helper VM pipe", "fcntl(O_NONBLOCK)", errno);
    }
}

/// The pipes between qemu and us: read ends kept, write ends passed.
struct VmPipes {
    Pipe console = sys::make_pipe("helper VM console");
    Pipe result = sys::make_pipe("helper VM result");
    Pipe monitor = sys::make_pipe("helper VM monitor");
    Pipe stderr_ = sys::make_pipe("helper VM stderr");
};

}  // namespace

UniqueFd open_pidfd(pid_t pid, const std::string& what) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) {
        throw SystemError(what, "pidfd_open", errno);
    }
    return fd;
}

std::vector<std::string> HelperVm::default_env() {
    return {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
}

HelperVm HelperVm::start(QemuSpec spec, const std::vector<std::string>& env) {
    VmPipes pipes;
    // A console flood should cost few wake-ups; best effort (1 MiB is the
    // default pipe-max-size, so root or not this normally works).
    ::fcntl(pipes.console.read.get(), F_SETPIPE_SZ, 1 << 20);
    std::vector<UniqueFd> copies;
    auto pass = [&copies](int fd) {
        copies.push_back(inheritable_copy(fd));
        return copies.back().get();
    };
    for (QemuDisk& d : spec.disks) {
        d.fd = pass(d.fd);
    }
    if (spec.floppy_fd >= 0) {
        spec.floppy_fd = pass(spec.floppy_fd);
    }
    spec.console_fd = pass(pipes.console.write.get());
    spec.result_fd = pass(pipes.result.write.get());
    spec.monitor_fd = pass(pipes.monitor.write.get());
    QemuInvocation inv = build_qemu_command(spec);

    HelperVm vm;
    vm.m_argv = inv.argv;
    SpawnOptions o;
    o.argv = inv.argv;
    o.env = env;
    o.stdin_fd = -1;
    o.stdout_fd = pipes.stderr_.write.get();
    o.stderr_fd = pipes.stderr_.write.get();
    o.new_process_group = true;
    vm.m_started = std::chrono::steady_clock::now();
    vm.m_child.emplace(o);
    copies.clear();  // qemu has its own now; only it may hold the write ends
    vm.m_pidfd = open_pidfd(vm.m_child->pid(), "helper VM");
    spdlog::info("VM START: helper VM pid {}", vm.m_child->pid());
    spdlog::debug("helper VM command: {}", fmt::join(inv.argv, " "));
    vm.m_console = std::move(pipes.console.read);
    vm.m_result = std::move(pipes.result.read);
    vm.m_monitor = std::move(pipes.monitor.read);
    vm.m_stderr = std::move(pipes.stderr_.read);
    for (UniqueFd* fd : {&vm.m_console, &vm.m_result, &vm.m_monitor, &vm.m_stderr}) {
        set_nonblocking(fd->get());
    }
    return vm;
}

HelperVm::HelperVm(HelperVm&& o) noexcept
    : m_child(std::move(o.m_child)),
      m_pidfd(std::move(o.m_pidfd)),
      m_console(std::move(o.m_console)),
      m_result(std::move(o.m_result)),
      m_monitor(std::move(o.m_monitor)),
      m_stderr(std::move(o.m_stderr)),
      m_argv(std::move(o.m_argv)),
      m_started(o.m_started) {
    o.m_child.reset();  // a moved-from optional stays engaged
}

HelperVm::~HelperVm() {
    if (m_child) {
        try {
            kill_and_reap();
        } catch (const std::exception&) {
            // waitpid failed (ECHILD): nothing left to reap.
        }
    }
}

void HelperVm::signal_group(int signo) const {
    // The group id is qemu's pid, which stays ours until it is reaped (even
    // as a zombie), so this never hits a stranger.
    if (m_child && m_child->pid() > 0) {
        ::kill(-m_child->pid(), signo);
    }
}

WaitStatus HelperVm::kill_and_reap() {
    signal_group(SIGKILL);
    WaitStatus status = m_child->wait();
    m_child.reset();
    return status;
}

}  // namespace imgdeploy
