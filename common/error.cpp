#include "common/error.hpp"

#include <cstring>
#include <exception>

namespace imgdeploy {

SystemError::SystemError(const std::string& context, const char* syscall, int err)
    : Error(context + ": " + syscall + ": " + std::strerror(err)), m_errno(err) {}

Interrupted::Interrupted(int signo)
    : Error(std::string("interrupted by ") + sigabbrev_np(signo)), m_signo(signo) {}

void rethrow_with_context(const std::string& context) {
    try {
        throw;
    } catch (const Interrupted&) {
        throw;
    } catch (const UsageError& e) {
        throw UsageError(context + ": " + e.what());
    } catch (const std::exception& e) {
        throw Error(context + ": " + e.what());
    }
}

}  // namespace imgdeploy
