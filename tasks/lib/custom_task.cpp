#include "tasks/lib/custom_task.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "common/unique_fd.hpp"

#include <cerrno>
#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <iostream>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

constexpr size_t k_tail_lines = 10;

void write_all(int fd, const char* data, size_t len) {
    while (len > 0) {
        ssize_t n = ::write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;  // the console went away: keep draining the pipe
        }
        data += n;
        len -= static_cast<size_t>(n);
    }
}

/// Copies the pipe to our stderr until EOF; returns the last lines.
std::vector<std::string> drain(int fd) {
    std::deque<std::string> tail;
    std::string partial;
    char buf[4096];
    auto keep = [&](std::string line) {
        if (!trim(line).empty()) {
            tail.push_back(line.substr(0, 300));
            if (tail.size() > k_tail_lines) {
                tail.pop_front();
            }
        }
    };
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        write_all(2, buf, static_cast<size_t>(n));
        partial.append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
            keep(partial.substr(0, nl));
            partial.erase(0, nl + 1);
        }
        if (partial.size() > 4096) {
            keep(partial);
            partial.clear();
        }
    }
    keep(partial);
    return {tail.begin(), tail.end()};
}

}  // namespace

int ScriptResult::exit_code() const {
    return status.kind == WaitStatus::Kind::exited ? status.code : 128 + status.code;
}

ScriptResult run_script(const std::string& path, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, int monitor_fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        throw SystemError(path, "pipe2", errno);
    }
    UniqueFd read_end(p[0]);
    UniqueFd write_end(p[1]);
    std::cout.flush();
    std::cerr.flush();
    SpawnOptions o;
    o.argv.push_back(path);
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = env;
    o.stdin_fd = -1;
    o.stdout_fd = 1;
    o.stderr_fd = write_end.get();
    if (monitor_fd >= 0) {
        o.extra_fds.emplace_back(monitor_fd, monitor_fd);
    }
    ChildProcess child(o);
    write_end.reset();
    ScriptResult result;
    result.stderr_tail = drain(read_end.get());
    result.status = child.wait();
    return result;
}

std::string describe_script_end(const ScriptResult& result) {
    std::string text = result.status.describe();
    if (!result.stderr_tail.empty()) {
        text += " (last stderr line: '" + result.stderr_tail.back() + "')";
    }
    return text;
}

void run_custom_task(const TaskContext& ctx) {
    auto encoded = ctx.env.property("CUSTOM_TASK");
    if (!encoded || trim(*encoded).empty()) {
        ctx.report.info("CUSTOM_TASK is not set: nothing to run");
        return;
    }
    auto script = base64_decode(*encoded);
    if (!script) {
        throw Error("property CUSTOM_TASK is not valid base64");
    }
    if (script->empty()) {
        throw Error("property CUSTOM_TASK decodes to an empty script");
    }
    TempDir dir("/tmp", "imgdeploy-custom-task.");
    std::string path = dir.path() + "/custom_task";
    {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);
        sys::write_full(fd.get(), script->data(), script->size(), path);
        if (::fchmod(fd.get(), 0700) != 0) {
            throw SystemError(path, "fchmod", errno);
        }
    }  // closed before it runs (ETXTBSY otherwise)
    ctx.report.info("running CUSTOM_TASK (" + std::to_string(script->size()) + " bytes)");
    ScriptResult result = run_script(path, {}, ctx.env.environment, ctx.env.monitor_fd);
    if (!result.status.success()) {
        throw Error("CUSTOM_TASK script " + describe_script_end(result));
    }
    ctx.report.info("CUSTOM_TASK script finished successfully");
}

}  // namespace imgdeploy::tasks
