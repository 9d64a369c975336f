#include "host/ops/answer_file.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"
#include "host/image/http_source.hpp"
#include "host/ops/parameters.hpp"

namespace imgdeploy {

namespace {

std::string read_local(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        throw SystemError(path, "open", errno);
    }
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw SystemError(path, "read", errno);
        }
        if (n == 0) {
            return out;
        }
        out.append(buf, size_t(n));
        if (out.size() > k_answer_file_max_bytes) {
            throw Error("larger than " + std::to_string(k_answer_file_max_bytes) + " bytes");
        }
    }
}

} // namespace

std::vector<FloppyFile> answer_file_floppy_files(const Config& config, const OsParameters& params) {
    std::optional<std::string> url = params.get("os_answer_file");
    if (!url) {
        return {};
    }
    std::string text;
    try {
        if (url->starts_with("file://")) {
            text = read_local(url->substr(7));
        } else {
            text = http_fetch_small(*url, http_options(config), k_answer_file_max_bytes);
        }
    } catch (const Error& e) {
        throw Error("os_answer_file " + redact_url(*url) + ": " + e.what());
    }
    if (text.empty()) {
        throw Error("os_answer_file " + redact_url(*url) + ": the answer file is empty");
    }
    return {FloppyFile{"unattend.xml", text}, FloppyFile{"sysprep.inf", text}};
}

} // namespace imgdeploy
