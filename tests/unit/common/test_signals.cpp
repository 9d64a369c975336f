#include "common/signals.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <poll.h>
#include <pthread.h>

using namespace imgdeploy;

namespace {

bool blocked_now(int signo) {
    sigset_t current;
    sigemptyset(&current);
    pthread_sigmask(SIG_SETMASK, nullptr, &current);
    return sigismember(&current, signo) == 1;
}

}  // namespace

TEST_CASE("ScopedSignalBlock blocks the signals and restores the mask", "[signals]") {
    REQUIRE_FALSE(blocked_now(SIGUSR1));
    REQUIRE_FALSE(blocked_now(SIGUSR2));
    {
        ScopedSignalBlock block{SIGUSR1, SIGUSR2};
        CHECK(blocked_now(SIGUSR1));
        CHECK(blocked_now(SIGUSR2));
        CHECK(sigismember(&block.blocked(), SIGUSR1) == 1);
        CHECK(sigismember(&block.blocked(), SIGUSR2) == 1);
        CHECK(sigismember(&block.blocked(), SIGTERM) == 0);
        {
            ScopedSignalBlock inner{SIGUSR1};
            CHECK(blocked_now(SIGUSR1));
        }
        // The inner block restores the mask it found, which had SIGUSR1.
        CHECK(blocked_now(SIGUSR1));
    }
    CHECK_FALSE(blocked_now(SIGUSR1));
    CHECK_FALSE(blocked_now(SIGUSR2));
}

TEST_CASE("SignalFd takes a raised blocked signal", "[signals]") {
    ScopedSignalBlock block{SIGUSR1, SIGUSR2};
    SignalFd fd(block.blocked());
    REQUIRE(fd.fd() >= 0);
    CHECK(fd.take() == std::nullopt);  // nothing pending: non-blocking read

    REQUIRE(::raise(SIGUSR1) == 0);
    pollfd p{fd.fd(), POLLIN, 0};
    CHECK(::poll(&p, 1, 0) == 1);
    CHECK(fd.take() == SIGUSR1);
    CHECK(fd.take() == std::nullopt);

    REQUIRE(::raise(SIGUSR2) == 0);
    CHECK(fd.take() == SIGUSR2);
    CHECK(fd.take() == std::nullopt);
}

TEST_CASE("SignalFd ignores signals outside its set", "[signals]") {
    ScopedSignalBlock block{SIGUSR1, SIGUSR2};
    sigset_t only_usr2;
    sigemptyset(&only_usr2);
    sigaddset(&only_usr2, SIGUSR2);
    SignalFd fd(only_usr2);
    REQUIRE(::raise(SIGUSR1) == 0);
    CHECK(fd.take() == std::nullopt);
    // Consume the pending SIGUSR1 before the block ends, or it would be delivered.
    SignalFd usr1(block.blocked());
    CHECK(usr1.take() == SIGUSR1);
}
