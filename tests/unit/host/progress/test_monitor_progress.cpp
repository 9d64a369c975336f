#include "host/progress/monitor_progress.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imgdeploy;
using nlohmann::json;

namespace {

/// A monitor program (a shell script) in a scratch directory.
class MonitorScript {
  public:
    explicit MonitorScript(const std::string& body)
        : m_dir("/tmp", "imgdeploy-unit-"), m_path(m_dir.path() + "/monitor") {
        std::string text = "#!/bin/sh\nd=$(dirname \"$0\")\n" + body;
        UniqueFd fd = sys::open(m_path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
        sys::write_full(fd.get(), text.data(), text.size(), m_path);
        ::fchmod(fd.get(), 0700);
    }
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_dir.path() + "/" + name; }
    std::string read(const std::string& name) const { return sys::read_file(file(name)); }

  private:
    TempDir m_dir;
    std::string m_path;
};

/// Records the arguments and copies stdin to "lines".
const char* const k_recording_monitor =
    "printf '%s\\n' \"$#\" \"$1\" > \"$d/argv\"\n"
    "exec cat > \"$d/lines\"\n";

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> out;
    for (const auto& line : split(text, '\n')) {
        if (!line.empty()) {
            out.push_back(json::parse(line));
        }
    }
    return out;
}

/// Sends what is written to `fd` (1 or 2) into a file until finish().
class FdCapture {
  public:
    FdCapture(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {
        std::cout.flush();
        std::cerr.flush();
        std::fflush(nullptr);
        m_saved = UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
        UniqueFd file = sys::open(m_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(file.get(), fd);
    }
    ~FdCapture() { restore(); }
    FdCapture(const FdCapture&) = delete;
    FdCapture& operator=(const FdCapture&) = delete;

    std::string finish() {
        restore();
        return sys::read_file(m_path);
    }

  private:
    void restore() {
        if (m_saved) {
            std::fflush(nullptr);
            ::dup2(m_saved.get(), m_fd);
            m_saved.reset();
        }
    }
    int m_fd;
    std::string m_path;
    UniqueFd m_saved;
};

/// SIGPIPE ignored for the scope, as cli_main arranges for the program.
class IgnoreSigpipe {
  public:
    IgnoreSigpipe() {
        struct sigaction sa {};
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGPIPE, &sa, &m_old);
    }
    ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &m_old, nullptr); }
    IgnoreSigpipe(const IgnoreSigpipe&) = delete;
    IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

  private:
    struct sigaction m_old {};
};

/// Silences the log for the scope (a stuck monitor warns once per message).
class QuietLog {
  public:
    QuietLog() : m_level(spdlog::get_level()) { spdlog::set_level(spdlog::level::off); }
    ~QuietLog() { spdlog::set_level(m_level); }
    QuietLog(const QuietLog&) = delete;
    QuietLog& operator=(const QuietLog&) = delete;

  private:
    spdlog::level::level_enum m_level;
};

/// Waits for one line on a FIFO written by the monitor script. The 30 s
/// limit only keeps a broken test from hanging.
std::string wait_for_fifo_line(const std::string& fifo) {
    UniqueFd fd = sys::open(fifo, O_RDWR);
    pollfd p{fd.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);
    char buf[256];
    size_t n = sys::read_some(fd.get(), buf, sizeof buf, fifo);
    return std::string(buf, n);
}

}  // namespace

TEST_CASE("MonitorProgress starts the monitor with the instance name", "[monitor_progress]") {
    MonitorScript script(k_recording_monitor);
    {
        MonitorProgress m(script.path(), "inst1.example.com");
        m.info("Starting image copy...");
    }
    CHECK(script.read("argv") == "1\ninst1.example.com\n");
}

TEST_CASE("MonitorProgress sends one JSON object per line", "[monitor_progress]") {
    MonitorScript script(k_recording_monitor);
    const std::string helper_line =
        R"({"type":"image-helper","subtype":"task-start","task":"FixPartitionTable",)"
        R"("timestamp":1.5})";
    {
        MonitorProgress m(script.path(), "inst1");
        m.info("Starting image copy...");
        m.copy_progress(5, 10, false);
        m.copy_progress(10, 10, true);
        m.helper_event(helper_line);
        m.error({"first", "second"});
    }
    std::string text = script.read("lines");
    auto lines = json_lines(text);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].at("type") == "image-info");
    CHECK(lines[0].at("messages") == json::array({"Starting image copy..."}));
    CHECK(lines[0].at("timestamp").is_number_float());
    CHECK(lines[1].at("type") == "image-copy-progress");
    CHECK(lines[1].at("position") == 5);
    CHECK(lines[1].at("total") == 10);
    CHECK(lines[1].at("progress").get<double>() == 50.0);
    CHECK(lines[2].at("type") == "image-copy-progress");
    CHECK(lines[2].at("position") == 10);
    CHECK(lines[2].at("progress").get<double>() == 100.0);
    CHECK(lines[3] == json::parse(helper_line));
    CHECK(lines[4].at("type") == "image-error");
    CHECK(lines[4].at("messages") == json::array({"first", "second"}));
    // The helper's line is passed through byte for byte.
    CHECK(split(text, '\n').at(3) == helper_line);
}

TEST_CASE("MonitorProgress drops copy progress within 3 s but never the final one",
          "[monitor_progress]") {
    MonitorScript script(k_recording_monitor);
    {
        MonitorProgress m(script.path(), "inst1");
        for (uint64_t pos = 0; pos < 100; ++pos) {
            m.copy_progress(pos, 1000, false);
        }
        m.info("between");
        m.copy_progress(1000, 1000, true);
        m.copy_progress(1000, 1000, true);
    }
    auto lines = json_lines(script.read("lines"));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].at("type") == "image-copy-progress");
    CHECK(lines[0].at("position") == 0);
    CHECK(lines[1].at("type") == "image-info");
    CHECK(lines[2].at("position") == 1000);
    CHECK(lines[3].at("position") == 1000);
}

TEST_CASE("MonitorProgress survives a monitor that exits at once", "[monitor_progress]") {
    IgnoreSigpipe ignore;
    MonitorScript script("exit 0\n");
    CHECK_NOTHROW([&] {
        MonitorProgress m(script.path(), "inst1");
        for (int i = 0; i < 50; ++i) {
            m.info("message " + std::to_string(i));
            m.copy_progress(static_cast<uint64_t>(i), 50, i == 49);
        }
    }());
}

TEST_CASE("MonitorProgress falls back to [MONITOR] lines once the monitor is gone",
          "[monitor_progress]") {
    IgnoreSigpipe ignore;
    MonitorScript script("exec 0<&-\necho closed > \"$d/fifo\"\n");
    REQUIRE(::mkfifo(script.file("fifo").c_str(), 0600) == 0);
    std::string captured;
    {
        MonitorProgress m(script.path(), "inst1");
        // The monitor has closed its stdin: nobody reads the pipe any more.
        REQUIRE(wait_for_fifo_line(script.file("fifo")) == "closed\n");
        FdCapture err(2, script.file("stderr"));
        m.info("after the monitor left");
        m.error({"still reported"});
        captured = err.finish();
    }
    auto lines = split(captured, '\n');
    REQUIRE(lines.size() == 3);
    CHECK(lines[2].empty());
    REQUIRE(lines[0].rfind("[MONITOR] ", 0) == 0);
    REQUIRE(lines[1].rfind("[MONITOR] ", 0) == 0);
    CHECK(json::parse(lines[0].substr(10)).at("messages") ==
          json::array({"after the monitor left"}));
    CHECK(json::parse(lines[1].substr(10)).at("type") == "image-error");
}

TEST_CASE("MonitorProgress does not block on a monitor that does not read",
          "[monitor_progress]") {
    // The monitor waits for the test to open "gate" before reading stdin.
    MonitorScript script("cat \"$d/gate\" > /dev/null\nexec cat > \"$d/lines\"\n");
    REQUIRE(::mkfifo(script.file("gate").c_str(), 0600) == 0);
    constexpr int k_messages = 3000;  // far more than a pipe holds
    QuietLog quiet;
    {
        MonitorProgress m(script.path(), "inst1");
        for (int i = 0; i < k_messages; ++i) {
            m.info("message " + std::to_string(i));
        }
        // Let the monitor read now: it sees what the pipe held, then EOF.
        UniqueFd gate = sys::open(script.file("gate"), O_WRONLY);
    }
    auto lines = json_lines(script.read("lines"));
    CHECK(lines.size() > 10);
    CHECK(lines.size() < static_cast<size_t>(k_messages));
    for (size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i].at("messages").at(0) == "message " + std::to_string(i));
    }
}

TEST_CASE("MonitorProgress without a program writes [MONITOR] lines to stderr",
          "[monitor_progress]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string captured;
    {
        FdCapture err(2, dir.path() + "/stderr");
        {
            MonitorProgress m("", "inst1");
            m.info("hello");
            m.copy_progress(1, 2, true);
        }
        captured = err.finish();
    }
    auto lines = split(captured, '\n');
    REQUIRE(lines.size() == 3);
    REQUIRE(lines[0].rfind("[MONITOR] ", 0) == 0);
    REQUIRE(lines[1].rfind("[MONITOR] ", 0) == 0);
    CHECK(json::parse(lines[0].substr(10)).at("messages") == json::array({"hello"}));
    CHECK(json::parse(lines[1].substr(10)).at("position") == 1);
}

TEST_CASE("MonitorProgress with a missing program falls back to [MONITOR] lines",
          "[monitor_progress]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string captured;
    {
        std::unique_ptr<MonitorProgress> m;
        REQUIRE_NOTHROW(m = std::make_unique<MonitorProgress>(dir.path() + "/no-such-monitor",
                                                              "inst1"));
        FdCapture err(2, dir.path() + "/stderr");
        m->info("hello");
        m.reset();
        captured = err.finish();
    }
    auto lines = split(captured, '\n');
    REQUIRE(lines.size() == 2);
    REQUIRE(lines[0].rfind("[MONITOR] ", 0) == 0);
    CHECK(json::parse(lines[0].substr(10)).at("type") == "image-info");
}

TEST_CASE("MonitorProgress to stdout writes plain JSON lines", "[monitor_progress]") {
    TempDir dir("/tmp", "imgdeploy-unit-");
    std::string captured;
    {
        FdCapture out(1, dir.path() + "/stdout");
        {
            MonitorProgress m(MonitorProgress::Destination::stdout_lines);
            m.info("hello");
            m.copy_progress(3, 4, true);
            m.error({"bad"});
        }
        captured = out.finish();
    }
    auto lines = json_lines(captured);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].at("type") == "image-info");
    CHECK(lines[1].at("type") == "image-copy-progress");
    CHECK(lines[1].at("progress").get<double>() == 75.0);
    CHECK(lines[2].at("type") == "image-error");
}
