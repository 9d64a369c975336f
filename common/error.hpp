#pragma once
// One error model: exceptions for failure, caught once at the top of each
// program, which prints "imgdeploy: error: <what>" and maps to an exit code.
// Context is added where a layer boundary knows more (see Error::wrap).

#include <cstdint>
#include <stdexcept>
#include <string>

namespace imgdeploy {

/// Exit codes of every imgdeploy program.
enum class ExitCode : int {
    ok = 0,
    failure = 1,
    usage = 2,
    interrupted = 130,  // SIGINT
    terminated = 143,   // SIGTERM
};

/// A failure the user can act on; what() is a complete sentence fragment.
class Error : public std::runtime_error {
  public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// A failed system call: "<context>: <syscall>: <strerror>".
class SystemError : public Error {
  public:
    SystemError(const std::string& context, const char* syscall, int err);
    int code() const noexcept { return m_errno; }

  private:
    int m_errno;
};

/// Bad command-line use; the top level prints it and exits 2.
class UsageError : public Error {
  public:
    using Error::Error;
};

/// The run was stopped by SIGINT or SIGTERM.
class Interrupted : public Error {
  public:
    explicit Interrupted(int signo);
    int signal() const noexcept { return m_signo; }

  private:
    int m_signo;
};

/// Prefixes the message of the exception in flight with context and rethrows
/// it as an Error (SystemError/Interrupted keep their type's meaning through
/// the message only where they are not Interrupted).
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace imgdeploy
