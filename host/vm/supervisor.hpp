#pragma once
// The helper-VM supervisor: ONE poll loop, no sleeps, over
//   - the signalfd (SIGINT/SIGTERM: kill qemu, reap, throw Interrupted),
//   - qemu's pidfd (it ended: kill what is left of its process group, reap,
//     then drain the pipes),
//   - the console pipe (ttyS0): lines to the log as "HELPER: <line>", each
//     cut at k_console_line_max bytes, the whole capped at
//     k_console_total_max, then "console output truncated" once,
//   - the result pipe (ttyS1): the first line only, at most k_result_max,
//   - the monitor pipe (ttyS2): MonitorLineParser events forwarded to the
//     ProgressSink as image-helper messages; after a protocol error the rest
//     of that stream is ignored,
//   - qemu's stderr: lines to the log as "QEMU: <line>", the last one kept,
//   - a timerfd: the soft deadline sends SIGTERM, the hard one (that much
//     later) SIGKILL, and after qemu ends, a short drain deadline.
// Everything the VM sends is hostile input (it runs untrusted images): every
// buffer here is bounded and control bytes are replaced before logging.

#include "common/child_process.hpp"
#include "host/progress/progress_sink.hpp"
#include "host/vm/helper_vm.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

class SignalFd;

struct SupervisorOptions {
    /// After this long: SIGTERM to qemu.
    std::chrono::milliseconds soft_timeout{std::chrono::seconds(120)};
    /// This long after the SIGTERM: SIGKILL.
    std::chrono::milliseconds hard_timeout{std::chrono::seconds(5)};
    /// After qemu ended, how long to wait for its pipes to close (anything
    /// it left behind is killed with its process group first).
    std::chrono::milliseconds drain_timeout{std::chrono::seconds(2)};
    ProgressSink* progress = nullptr;  // helper events; may be null
    SignalFd* signals = nullptr;       // may be null
};

inline constexpr size_t k_console_line_max = 1024;
inline constexpr uint64_t k_console_total_max = 4 << 20;
inline constexpr size_t k_result_max = 4096;
inline constexpr size_t k_kept_errors = 10;

/// How the helper VM run ended.
struct VmOutcome {
    WaitStatus status;
    /// The soft deadline passed (qemu got SIGTERM); hard_killed: SIGKILL too.
    bool timed_out = false;
    bool hard_killed = false;
    /// First line of ttyS1 without "\r", if any byte came.
    std::optional<std::string> result_line;
    /// The last k_kept_errors ERROR events of the monitor channel.
    std::vector<std::string> errors;
    /// qemu's last stderr line (for the error message), may be empty.
    std::string last_stderr;
    uint64_t console_bytes = 0;
    bool console_truncated = false;
    bool monitor_protocol_error = false;
    double seconds = 0;
};

/// Runs the loop until qemu has ended and its pipes are drained (or the
/// drain deadline passed). Throws Interrupted when a signal arrived (qemu
/// killed and reaped first); system-call failures throw SystemError (the
/// HelperVm's destructor then kills qemu).
VmOutcome supervise(HelperVm& vm, const SupervisorOptions& options);

}  // namespace imgdeploy
