// HttpSource against a real, misbehaving local server
// (tests/integration/http_server.py) on 127.0.0.1.

#include "host/image/http_source.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <random>
#include <thread>

using namespace imgdeploy;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t k_image_size = 3 * 1024 * 1024 + 123;

std::string random_bytes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) {
        c = static_cast<char>(rng() & 0xff);
    }
    return out;
}

void write_file(const std::string& path, const std::string& data) {
    UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    sys::write_full(fd.get(), data.data(), data.size(), path);
}

/// Reads the source to its end with an odd buffer size.
std::string read_all(ByteSource& source) {
    std::string out;
    char buf[10007];
    while (size_t n = source.read(buf, sizeof buf)) {
        out.append(buf, n);
    }
    return out;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The python test server over a temporary directory holding image.bin
/// (pseudo-random bytes), small.txt and empty.bin.
class TestServer {
  public:
    TestServer() : m_dir("/tmp", "imgdeploy-http-test-"), m_image(random_bytes(k_image_size, 42)) {
        write_file(m_dir.path() + "/image.bin", m_image);
        write_file(m_dir.path() + "/small.txt", "hello\n");
        write_file(m_dir.path() + "/empty.bin", "");
        Pipe out = sys::make_pipe("http server stdout");
        SpawnOptions o;
        o.argv = {"/usr/bin/python3", IMGDEPLOY_SOURCE_DIR "/tests/integration/http_server.py",
                  "--port", "0", "--root", m_dir.path()};
        o.env = {"PATH=/usr/bin:/bin"};
        o.stdout_fd = out.write.get();
        m_child.emplace(o);
        out.write.reset();
        m_stdout = std::move(out.read);
        m_port = read_port_line();
    }
    ~TestServer() {
        if (m_child) {
            stop();
        }
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    std::string url(const std::string& path) const { return "http://127.0.0.1:" + m_port + path; }
    const std::string& image() const { return m_image; }

    /// SIGTERM, then up to 10 s for a clean exit (else the ChildProcess
    /// destructor kills it).
    std::optional<WaitStatus> stop() {
        m_child->kill(SIGTERM);
        Clock::time_point start = Clock::now();
        std::optional<WaitStatus> status;
        while (!(status = m_child->try_wait()) && seconds_since(start) < 10) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        m_child.reset();
        return status;
    }

  private:
    std::string read_port_line() {
        std::string line;
        char c = 0;
        while (sys::read_some(m_stdout.get(), &c, 1, "http server stdout") == 1 && c != '\n') {
            line += c;
        }
        REQUIRE(!line.empty());
        return line;
    }

    TempDir m_dir;
    std::string m_image;
    UniqueFd m_stdout;
    std::optional<ChildProcess> m_child;
    std::string m_port;
};

HttpOptions quick_options() {
    HttpOptions o;
    o.connect_timeout_s = 10;
    o.low_speed_timeout_s = 10;
    o.retries = 3;
    return o;
}

}  // namespace

TEST_CASE("HttpSource downloads a file and learns its size", "[http]") {
    TestServer server;
    HttpSource source(server.url("/ok/image.bin"), quick_options());
    CHECK(source.describe() == server.url("/ok/image.bin"));
    CHECK_FALSE(source.size().has_value());
    std::string got = read_all(source);
    CHECK(got == server.image());
    REQUIRE(source.size().has_value());
    CHECK(*source.size() == k_image_size);
    char c = 0;
    CHECK(source.read(&c, 1) == 0);  // Stays at the end.
}

TEST_CASE("HttpSource reads an empty file", "[http]") {
    TestServer server;
    HttpSource source(server.url("/ok/empty.bin"), quick_options());
    CHECK(read_all(source).empty());
    CHECK(source.size() == std::optional<uint64_t>(0));
}

TEST_CASE("HttpSource resumes a dropped connection with a range request", "[http]") {
    TestServer server;
    HttpSource source(server.url("/drop/image.bin"), quick_options());
    CHECK(read_all(source) == server.image());
    CHECK(source.size() == std::optional<uint64_t>(k_image_size));
}

TEST_CASE("HttpSource resumes from a server that ignores Range", "[http]") {
    TestServer server;
    HttpSource source(server.url("/norange/image.bin"), quick_options());
    CHECK(read_all(source) == server.image());
}

TEST_CASE("HttpSource gives up after its retries", "[http]") {
    TestServer server;
    HttpOptions o = quick_options();
    o.retries = 2;
    HttpSource source(server.url("/dropalways/image.bin"), o);
    REQUIRE_THROWS_WITH(read_all(source), Contains("after 2 retries") &&
                                              Contains(server.url("/dropalways/image.bin")));
    char c = 0;
    CHECK_THROWS_AS(source.read(&c, 1), Error);  // A failed source stays failed.
}

TEST_CASE("HttpSource fails a stalled transfer after the low-speed timeout", "[http]") {
    TestServer server;
    HttpOptions o = quick_options();
    o.low_speed_timeout_s = 1;
    o.retries = 0;
    HttpSource source(server.url("/stall/image.bin"), o);
    Clock::time_point start = Clock::now();
    // curl averages the speed over a few seconds, so this takes ~1 + 5 s.
    REQUIRE_THROWS_WITH(read_all(source), Contains("transfer failed"));
    CHECK(seconds_since(start) < 30);
}

TEST_CASE("HttpSource never returns the body of an HTTP error", "[http]") {
    TestServer server;
    auto code = GENERATE(std::string("404"), std::string("500"));
    HttpSource source(server.url("/status/" + code), quick_options());
    size_t body_bytes = 0;
    std::string message;
    try {
        char buf[4096];
        while (size_t n = source.read(buf, sizeof buf)) {
            body_bytes += n;
        }
    } catch (const Error& e) {
        message = e.what();
    }
    CHECK(body_bytes == 0);
    CHECK_THAT(message, Contains("HTTP " + code) && Contains(server.url("/status/" + code)));
    CHECK_THAT(message, !Contains("NOT AN IMAGE"));
}

TEST_CASE("HttpSource reads a response without Content-Length", "[http]") {
    TestServer server;
    HttpSource source(server.url("/nolength/image.bin"), quick_options());
    CHECK(read_all(source) == server.image());
    CHECK_FALSE(source.size().has_value());
}

TEST_CASE("HttpSource::cancel stops a blocked read from another thread", "[http]") {
    TestServer server;
    HttpOptions o = quick_options();
    o.low_speed_timeout_s = 600;
    HttpSource source(server.url("/stall/image.bin"), o);
    Clock::time_point cancelled_at;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        cancelled_at = Clock::now();
        source.cancel();
    });
    CHECK_THROWS_WITH(read_all(source), Contains("cancelled"));
    canceller.join();
    CHECK(seconds_since(cancelled_at) < 5);
}

TEST_CASE("redact_url removes credentials", "[http]") {
    CHECK(redact_url("http://user:secret@example.com/a@b") == "http://example.com/a@b");
    CHECK(redact_url("ftp://user@host:21/x") == "ftp://host:21/x");
    CHECK(redact_url("https://p%40ss:w@h/?q=a@b#c@d") == "https://h/?q=a@b#c@d");
    CHECK(redact_url("https://example.com/x.img") == "https://example.com/x.img");
    CHECK(redact_url("http://a:b@host") == "http://host");
    CHECK(redact_url("/srv/images/a@b.img") == "/srv/images/a@b.img");
}

TEST_CASE("HttpSource keeps credentials out of messages", "[http]") {
    TestServer server;
    std::string url = server.url("/status/404");
    url.insert(url.find("127.0.0.1"), "user:secret@");
    HttpSource source(url, quick_options());
    CHECK(source.describe() == server.url("/status/404"));
    char c = 0;
    CHECK_THROWS_WITH(source.read(&c, 1), !Contains("secret") && Contains("HTTP 404"));
}

TEST_CASE("http_fetch_small fetches small documents only", "[http]") {
    TestServer server;
    CHECK(http_fetch_small(server.url("/ok/small.txt"), quick_options(), 6) == "hello\n");
    CHECK_THROWS_WITH(http_fetch_small(server.url("/ok/small.txt"), quick_options(), 5),
                      Contains("larger than the limit of 5 bytes"));
    CHECK_THROWS_WITH(http_fetch_small(server.url("/nolength/image.bin"), quick_options(), 1000),
                      Contains("larger than the limit"));
    CHECK_THROWS_WITH(http_fetch_small(server.url("/status/404"), quick_options(), 1000),
                      Contains("HTTP 404"));
}

TEST_CASE("The test HTTP server exits cleanly on SIGTERM", "[http]") {
    TestServer server;
    std::optional<WaitStatus> status = server.stop();
    REQUIRE(status.has_value());
    CHECK(status->describe() == "exited with status 0");
}
