#include "host/ops/answer_file.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"
#include "host/image/http_source.hpp"
#include "host/ops/parameters.hpp"
#include "common/syscalls.hpp"

namespace imgdeploy {

std::vector<FloppyFile> answer_file_floppy_files(const Config& config, const OsParameters& params) {
    std::optional<std::string> url = params.get("os_answer_file");
    if (!url) {
        return {};
    }
    std::string text;
    try {
        if (url->starts_with("file://")) {
            text = sys::read_file(url->substr(7), k_answer_file_max_bytes);
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
