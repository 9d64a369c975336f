#include "common/child_process.hpp"

#include "common/error.hpp"
#include "common/signals.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

const std::vector<std::string> k_env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};

SpawnOptions options(std::vector<std::string> argv) {
    SpawnOptions o;
    o.argv = std::move(argv);
    o.env = k_env;
    return o;
}

/// Field 5 of /proc/<pid>/stat: the process group.
pid_t process_group_of(pid_t pid) {
    std::string stat = sys::read_file("/proc/" + std::to_string(pid) + "/stat");
    // "pid (comm) state ppid pgrp ..."; comm may contain blanks, so start after ')'.
    auto fields = split_words(stat.substr(stat.rfind(')') + 1));
    REQUIRE(fields.size() > 2);
    return static_cast<pid_t>(*parse_i64(fields[2]));
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

/// Sets a signal's disposition for the scope of a test.
class ScopedDisposition {
  public:
    ScopedDisposition(int signo, void (*handler)(int)) : m_signo(signo) {
        struct sigaction sa {};
        sa.sa_handler = handler;
        sigemptyset(&sa.sa_mask);
        ::sigaction(signo, &sa, &m_old);
    }
    ~ScopedDisposition() { ::sigaction(m_signo, &m_old, nullptr); }
    ScopedDisposition(const ScopedDisposition&) = delete;
    ScopedDisposition& operator=(const ScopedDisposition&) = delete;

  private:
    int m_signo;
    struct sigaction m_old {};
};

}  // namespace

TEST_CASE("WaitStatus decodes exit codes and signals", "[child_process]") {
    WaitStatus ok = WaitStatus::from_raw(0);
    CHECK(ok.kind == WaitStatus::Kind::exited);
    CHECK(ok.code == 0);
    CHECK(ok.success());
    CHECK(ok.describe() == "exited with status 0");

    WaitStatus three = WaitStatus::from_raw(3 << 8);
    CHECK(three.kind == WaitStatus::Kind::exited);
    CHECK(three.code == 3);
    CHECK_FALSE(three.success());
    CHECK(three.describe() == "exited with status 3");

    WaitStatus killed = WaitStatus::from_raw(SIGKILL);
    CHECK(killed.kind == WaitStatus::Kind::signaled);
    CHECK(killed.code == SIGKILL);
    CHECK_FALSE(killed.success());
    CHECK(killed.describe() == "killed by SIGKILL");

    // A core dump flag does not change the signal.
    WaitStatus segv = WaitStatus::from_raw(SIGSEGV | 0x80);
    CHECK(segv.kind == WaitStatus::Kind::signaled);
    CHECK(segv.code == SIGSEGV);
    CHECK(segv.describe() == "killed by SIGSEGV");
}

TEST_CASE("run_capture returns stdout", "[child_process]") {
    CHECK(run_capture({"echo", "hello", "world"}) == "hello world\n");
    CHECK(run_capture({"printf", "a\\0b"}) == std::string("a\0b", 3));
    CHECK(run_capture({"true"}).empty());
}

TEST_CASE("run_capture reads more than a pipe buffer", "[child_process]") {
    std::string out = run_capture({"head", "-c", "300000", "/dev/zero"});
    CHECK(out.size() == 300000);
    CHECK(out == std::string(300000, '\0'));
}

TEST_CASE("run_capture gives the child exactly PATH and LC_ALL", "[child_process]") {
    std::string env = run_capture({"env"});
    auto lines = split_words(env);
    std::sort(lines.begin(), lines.end());
    CHECK(lines == std::vector<std::string>{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
}

TEST_CASE("run_capture gives the child /dev/null as stdin", "[child_process]") {
    CHECK(run_capture({"sh", "-c", "cat; echo end"}) == "end\n");
    CHECK(run_capture({"readlink", "/proc/self/fd/0"}) == "/dev/null\n");
}

TEST_CASE("run_capture throws naming the command and how it failed", "[child_process]") {
    CHECK_THROWS_WITH(run_capture({"sh", "-c", "exit 3"}), "sh exited with status 3");
    CHECK_THROWS_WITH(run_capture({"sh", "-c", "kill -TERM $$"}), "sh killed by SIGTERM");
    CHECK_THROWS_AS(run_capture({"sh", "-c", "exit 1"}), Error);
}

TEST_CASE("run_capture of a missing program throws a SystemError", "[child_process]") {
    try {
        run_capture({"/nonexistent/imgdeploy-no-such-program"});
        FAIL("no exception");
    } catch (const SystemError& e) {
        CHECK(e.code() == ENOENT);
        CHECK_THAT(e.what(), Contains("starting /nonexistent/imgdeploy-no-such-program") &&
                                 Contains("posix_spawn"));
    }
}

TEST_CASE("ChildProcess wait reports the exit code", "[child_process]") {
    ChildProcess child(options({"sh", "-c", "exit 7"}));
    CHECK(child.pid() > 0);
    WaitStatus st = child.wait();
    CHECK(st.kind == WaitStatus::Kind::exited);
    CHECK(st.code == 7);
    CHECK(child.pid() == -1);
}

TEST_CASE("ChildProcess try_wait and kill", "[child_process]") {
    ChildProcess child(options({"sleep", "100"}));
    CHECK_FALSE(child.try_wait());
    child.kill(SIGTERM);
    WaitStatus st = child.wait();
    CHECK(st.kind == WaitStatus::Kind::signaled);
    CHECK(st.code == SIGTERM);
    CHECK(st.describe() == "killed by SIGTERM");
}

TEST_CASE("ChildProcess try_wait reaps a child that has ended", "[child_process]") {
    ChildProcess child(options({"true"}));
    // Wait for the exit without reaping, so try_wait must find it.
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(child.pid()), &info, WEXITED | WNOWAIT) == 0);
    auto st = child.try_wait();
    REQUIRE(st);
    CHECK(st->success());
    CHECK(child.pid() == -1);
}

TEST_CASE("ChildProcess is killed and reaped on destruction", "[child_process]") {
    pid_t pid = -1;
    {
        ChildProcess child(options({"sleep", "100"}));
        pid = child.pid();
        REQUIRE(pid > 0);
        REQUIRE(process_exists(pid));
    }
    // Reaped: the pid no longer exists (not even as a zombie).
    CHECK_FALSE(process_exists(pid));
    errno = 0;
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
}

TEST_CASE("A moved ChildProcess is owned by the new object", "[child_process]") {
    pid_t pid = -1;
    {
        ChildProcess a(options({"sleep", "100"}));
        pid = a.pid();
        ChildProcess b(std::move(a));
        CHECK(a.pid() == -1);
        CHECK(b.pid() == pid);
        CHECK(process_exists(pid));
    }
    CHECK_FALSE(process_exists(pid));
}

TEST_CASE("ChildProcess resets the signal mask and ignored signals", "[child_process]") {
    // The parent blocks SIGTERM and ignores SIGINT; the child must do neither.
    ScopedSignalBlock block{SIGTERM};
    ScopedDisposition ignore(SIGINT, SIG_IGN);
    {
        ChildProcess child(options({"sleep", "100"}));
        child.kill(SIGTERM);
        WaitStatus st = child.wait();
        CHECK(st.kind == WaitStatus::Kind::signaled);
        CHECK(st.code == SIGTERM);
    }
    {
        ChildProcess child(options({"sleep", "100"}));
        child.kill(SIGINT);
        WaitStatus st = child.wait();
        CHECK(st.kind == WaitStatus::Kind::signaled);
        CHECK(st.code == SIGINT);
    }
}

TEST_CASE("ChildProcess runs in its own process group when asked", "[child_process]") {
    {
        ChildProcess child(options({"sleep", "100"}));
        CHECK(process_group_of(child.pid()) == ::getpgrp());
    }
    SpawnOptions o = options({"sleep", "100"});
    o.new_process_group = true;
    ChildProcess child(o);
    CHECK(process_group_of(child.pid()) == child.pid());
}

TEST_CASE("ChildProcess connects the given fds and the given environment", "[child_process]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string in_path = dir.path() + "/in";
    std::string out_path = dir.path() + "/out";
    std::string err_path = dir.path() + "/err";
    {
        UniqueFd fd = sys::open(in_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        sys::write_full(fd.get(), "from stdin\n", 11, in_path);
    }
    UniqueFd in = sys::open(in_path, O_RDONLY);
    UniqueFd out = sys::open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    UniqueFd err = sys::open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    SpawnOptions o = options({"sh", "-c", "cat; echo \"$MARKER\"; echo to-stderr >&2"});
    o.env = {"PATH=/usr/bin:/bin", "MARKER=marker-value"};
    o.stdin_fd = in.get();
    o.stdout_fd = out.get();
    o.stderr_fd = err.get();
    ChildProcess child(o);
    REQUIRE(child.wait().success());
    CHECK(sys::read_file(out_path) == "from stdin\nmarker-value\n");
    CHECK(sys::read_file(err_path) == "to-stderr\n");
}

// Once a ChildProcess has been reaped, waiting again must return the same
// status and never call waitpid(-1, ...), which would reap *any* child of
// the process (stealing `other`'s exit status here).
TEST_CASE("try_wait after the child was reaped leaves other children alone",
          "[child_process]") {
    ChildProcess first(options({"true"}));
    REQUIRE(first.wait().success());
    ChildProcess other(options({"sh", "-c", "exit 4"}));
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(other.pid()), &info, WEXITED | WNOWAIT) == 0);
    auto again = first.try_wait();
    if (again) {
        CHECK(again->success());  // not `other`'s status 4
    }
    WaitStatus st{};
    REQUIRE_NOTHROW(st = other.wait());
    CHECK(st.code == 4);
}
