// The supervisor against fake qemu programs (tests/fakes/fake-qemu): the
// real HelperVm start-up (pipes, inherited fds, process group, pidfd) and
// the real poll loop, with the guest's behaviour scripted.

#include "host/vm/supervisor.hpp"

#include "common/error.hpp"
#include "common/monitor_lines.hpp"
#include "common/signals.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "host/vm/floppy.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

using namespace imgdeploy;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

const std::string k_fake = std::string(IMGDEPLOY_SOURCE_DIR) + "/tests/fakes/fake-qemu";

/// Collects log lines (bounded: a flood test logs 4 MiB).
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
  public:
    std::vector<std::string> lines;
    size_t count = 0;

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        ++count;
        if (lines.size() < 200000) {
            lines.emplace_back(msg.payload.data(), msg.payload.size());
        }
    }
    void flush_() override {}
};

/// Routes spdlog into a CaptureSink for the scope.
struct LogCapture {
    std::shared_ptr<CaptureSink> sink = std::make_shared<CaptureSink>();
    std::shared_ptr<spdlog::logger> old = spdlog::default_logger();
    LogCapture() {
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(old); }
    size_t matching(const std::string& needle) const {
        size_t n = 0;
        for (const auto& l : sink->lines) {
            n += l.find(needle) != std::string::npos;
        }
        return n;
    }
    size_t longest() const {
        size_t n = 0;
        for (const auto& l : sink->lines) {
            n = std::max(n, l.size());
        }
        return n;
    }
};

class RecordingProgress final : public ProgressSink {
  public:
    std::vector<std::string> events;
    void info(const std::string&) override {}
    void copy_progress(uint64_t, uint64_t, bool) override {}
    void error(const std::vector<std::string>&) override {}
    void helper_event(const std::string& json_line) override { events.push_back(json_line); }
};

/// One fake VM run: a disk file, a floppy, the fake in a given mode.
struct FakeRun {
    TempDir dir{"/tmp", "imgdeploy-supervisor-test."};
    UniqueFd disk;
    std::optional<ParameterFloppy> floppy;
    RecordingProgress progress;
    SupervisorOptions options;

    FakeRun() {
        std::string path = dir.path() + "/disk0";
        disk = sys::open(path, O_RDWR | O_CREAT, 0600);
        std::string head = "DISK0-CONTENT-16";
        sys::write_full(disk.get(), head.data(), head.size(), path);
        ::lseek(disk.get(), 0, SEEK_SET);
        FloppySpec fs;
        fs.tmp_dir = dir.path();
        fs.params_json = R"({"hostname":"fake"})";
        floppy.emplace(fs);
        options.progress = &progress;
        options.soft_timeout = 20s;
        options.hard_timeout = 5s;
    }

    QemuSpec spec() const {
        QemuSpec s;
        s.binary = k_fake;
        s.kernel = "/nonexistent/kernel";
        s.initramfs = "/nonexistent/initramfs";
        s.disks = {QemuDisk{disk.get(), false}};
        s.floppy_fd = floppy->read_only_fd();
        return s;
    }

    std::vector<std::string> env(const std::string& mode) const {
        auto e = HelperVm::default_env();
        e.push_back("FAKE_QEMU_MODE=" + mode);
        e.push_back("FAKE_QEMU_OUT=" + dir.path());
        return e;
    }

    VmOutcome run(const std::string& mode) {
        HelperVm vm = HelperVm::start(spec(), env(mode));
        return supervise(vm, options);
    }
};

/// Live (not zombie) members of a process group, from /proc.
size_t live_members(pid_t pgid) {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        std::string name = entry.path().filename();
        if (!parse_u64(name)) {
            continue;
        }
        std::string stat;
        try {
            stat = sys::read_file(entry.path().string() + "/stat");
        } catch (const Error&) {
            continue;  // gone meanwhile
        }
        // "pid (comm) state ppid pgrp ..."; comm may contain blanks.
        auto fields = split_words(stat.substr(stat.rfind(')') + 1));
        if (fields.size() > 2 && fields[0] != "Z" && fields[2] == std::to_string(pgid)) {
            ++n;
        }
    }
    return n;
}

/// SIGKILL takes effect asynchronously, and orphans are reaped by whoever
/// PID 1 is: wait a little for the group's last live member to go.
bool group_gone(pid_t pgid) {
    auto until = std::chrono::steady_clock::now() + 3s;
    while (live_members(pgid) > 0) {
        if (std::chrono::steady_clock::now() > until) {
            return false;
        }
        ::usleep(20000);
    }
    return true;
}

size_t peak_rss_kib() {
    for (const auto& line : split(sys::read_file("/proc/self/status"), '\n')) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return *parse_u64(split_words(line)[1]);
        }
    }
    return 0;
}

}  // namespace

TEST_CASE("supervisor: a successful helper") {
    LogCapture log;
    FakeRun r;
    VmOutcome out = r.run("success");
    CHECK(out.status.success());
    CHECK_FALSE(out.timed_out);
    REQUIRE(out.result_line);
    CHECK(*out.result_line == "SUCCESS");  // first line only, \r stripped
    CHECK(out.errors.empty());
    CHECK(log.matching("HELPER: Linux version 6.1.0 (fake)") == 1);
    CHECK(log.matching("HELPER: all done") == 1);
    CHECK(log.matching("VM START") == 1);
    CHECK(log.matching("VM STOP: the helper VM exited with status 0") == 1);
    REQUIRE(r.progress.events.size() == 3);
    CHECK_THAT(r.progress.events[0], Contains(R"("subtype":"task-start")"));
    CHECK_THAT(r.progress.events[0], Contains(R"("task":"FixPartitionTable")"));
    CHECK_THAT(r.progress.events[1], Contains(R"("subtype":"task-end")"));
    CHECK_THAT(r.progress.events[2], Contains(R"("subtype":"warning")"));
    // The fake saw the floppy and the disk through inherited fds.
    CHECK(sys::read_file(r.dir.path() + "/floppy.img").size() == ParameterFloppy::k_size);
    CHECK(sys::read_file(r.dir.path() + "/disk0.head") == "DISK0-CONTENT-16");
}

TEST_CASE("supervisor: ERROR lines reach the result and the monitor") {
    LogCapture log;
    FakeRun r;
    VmOutcome out = r.run("error");
    CHECK(out.status.success());
    REQUIRE(out.result_line);
    CHECK(*out.result_line == "ERROR: task ConfigureNetwork failed");
    CHECK(out.errors == std::vector<std::string>{"no network config found"});
    REQUIRE(r.progress.events.size() == 2);
    CHECK_THAT(r.progress.events[1], Contains(R"("subtype":"error")"));
    CHECK_THAT(r.progress.events[1], Contains("no network config found"));
}

TEST_CASE("supervisor: a helper that crashes") {
    LogCapture log;
    FakeRun r;
    SECTION("exit 1 with a message on stderr") {
        VmOutcome out = r.run("crash");
        CHECK(out.status.kind == WaitStatus::Kind::exited);
        CHECK(out.status.code == 1);
        CHECK_FALSE(out.result_line);
        CHECK_THAT(out.last_stderr, Contains("Could not open"));
        CHECK(log.matching("QEMU: qemu-system-x86_64: -drive") == 1);
    }
    SECTION("killed by a signal") {
        VmOutcome out = r.run("segv");
        CHECK(out.status.kind == WaitStatus::Kind::signaled);
        CHECK(out.status.code == SIGSEGV);
        CHECK(log.matching("HELPER: about to crash") == 1);
    }
    SECTION("ends without a result") {
        VmOutcome out = r.run("no-result");
        CHECK(out.status.success());
        CHECK_FALSE(out.result_line);
    }
}

TEST_CASE("supervisor: a helper that never ends is stopped by the deadlines") {
    LogCapture log;
    FakeRun r;
    r.options.soft_timeout = 500ms;
    r.options.hard_timeout = 500ms;
    SECTION("SIGTERM is enough") {
        auto t0 = std::chrono::steady_clock::now();
        HelperVm vm = HelperVm::start(r.spec(), r.env("hang"));
        pid_t pgid = vm.pid();
        VmOutcome out = supervise(vm, r.options);
        CHECK(out.timed_out);
        CHECK_FALSE(out.hard_killed);
        CHECK(out.status.kind == WaitStatus::Kind::signaled);
        CHECK(out.status.code == SIGTERM);
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);
        CHECK(group_gone(pgid));  // its sleep child went with it
    }
    SECTION("SIGKILL when SIGTERM is ignored") {
        HelperVm vm = HelperVm::start(r.spec(), r.env("hang-ignore-term"));
        pid_t pgid = vm.pid();
        VmOutcome out = supervise(vm, r.options);
        CHECK(out.timed_out);
        CHECK(out.hard_killed);
        CHECK(out.status.code == SIGKILL);
        CHECK(out.seconds >= 0.9);
        CHECK(out.seconds < 5);
        CHECK(group_gone(pgid));
        CHECK(log.matching("sending SIGKILL") == 1);
    }
}

TEST_CASE("supervisor: what the helper leaves behind is killed, and the pipes drain") {
    LogCapture log;
    FakeRun r;
    HelperVm vm = HelperVm::start(r.spec(), r.env("orphan"));
    pid_t pgid = vm.pid();
    VmOutcome out = supervise(vm, r.options);
    CHECK(out.status.success());
    CHECK(out.result_line == std::optional<std::string>("SUCCESS"));
    CHECK(out.seconds < 5);
    CHECK(group_gone(pgid));
}

TEST_CASE("supervisor: floods and garbage stay bounded") {
    LogCapture log;
    FakeRun r;
    size_t rss_before = peak_rss_kib();
    VmOutcome out = r.run("flood");
    CHECK(out.status.success());
    CHECK(out.result_line == std::optional<std::string>("SUCCESS"));
    CHECK(out.console_truncated);
    CHECK(out.console_bytes == 250ull * 1024 * 1024 + 0);
    CHECK(log.matching("console output truncated") == 1);
    // Console text logged is at most 4 MiB, lines at most 1024 bytes.
    size_t logged = 0;
    for (const auto& l : log.sink->lines) {
        if (l.rfind("HELPER: ", 0) == 0) {
            logged += l.size() - 8;
        }
    }
    CHECK(logged <= k_console_total_max);
    CHECK(log.longest() <= k_console_line_max + 100);
    // The monitor: the task event, then garbage is a protocol error; the
    // rest is ignored.
    REQUIRE_FALSE(r.progress.events.empty());
    CHECK_THAT(r.progress.events[0], Contains("Flood"));
    CHECK(out.monitor_protocol_error);
    CHECK(log.matching("helper monitor channel") == 1);
    INFO("peak RSS before " << rss_before << " KiB, after " << peak_rss_kib() << " KiB");
    CHECK(peak_rss_kib() < rss_before + 64 * 1024);
}

TEST_CASE("supervisor: a result line is at most 4 KiB, monitor lines are counted") {
    LogCapture log;
    FakeRun r;
    VmOutcome out = r.run("long-result");
    REQUIRE(out.result_line);
    CHECK(out.result_line->size() == k_result_max);
    r.progress.events.clear();
    out = r.run("monitor-limit");
    CHECK(out.result_line == std::optional<std::string>("SUCCESS"));
    CHECK(r.progress.events.size() == MonitorLineParser::k_max_lines);
    CHECK(log.matching("more than") == 1);
}

TEST_CASE("supervisor: SIGTERM to the host kills the helper and interrupts") {
    LogCapture log;
    FakeRun r;
    ScopedSignalBlock block{SIGINT, SIGTERM};
    SignalFd signals(block.blocked());
    r.options.signals = &signals;
    HelperVm vm = HelperVm::start(r.spec(), r.env("sigterm-parent"));
    pid_t pgid = vm.pid();
    try {
        supervise(vm, r.options);
        FAIL("supervise returned");
    } catch (const Interrupted& e) {
        CHECK(e.signal() == SIGTERM);
    }
    CHECK(vm.reaped());
    CHECK(group_gone(pgid));
    CHECK(log.matching("killing the helper VM") == 1);
}

TEST_CASE("supervisor: a HelperVm going out of scope kills its group") {
    FakeRun r;
    pid_t pgid = 0;
    {
        HelperVm vm = HelperVm::start(r.spec(), r.env("hang"));
        pgid = vm.pid();
        CHECK(live_members(pgid) > 0);
    }
    CHECK(group_gone(pgid));
}
