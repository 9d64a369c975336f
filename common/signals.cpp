#include "common/signals.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace imgdeploy {

ScopedSignalBlock::ScopedSignalBlock(std::initializer_list<int> signals) {
    sigemptyset(&m_set);
    for (int s : signals) {
        sigaddset(&m_set, s);
    }
    pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
}

ScopedSignalBlock::~ScopedSignalBlock() { pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }

SignalFd::SignalFd(const sigset_t& set) : m_fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) {
    if (!m_fd) {
        throw SystemError("signal handling", "signalfd", errno);
    }
}

std::optional<int> SignalFd::take() {
    signalfd_siginfo info{};
    ssize_t n = ::read(m_fd.get(), &info, sizeof info);
    if (n != static_cast<ssize_t>(sizeof info)) {
        return std::nullopt;
    }
    return static_cast<int>(info.ssi_signo);
}

}  // namespace imgdeploy
