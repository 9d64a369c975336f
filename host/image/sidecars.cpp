#include "host/image/sidecars.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

namespace imgdeploy {

nlohmann::json read_meta_properties(const std::string& image_path) {
    std::string path = image_path + ".meta";
    if (!sys::stat_if_exists(path)) {
        return nlohmann::json::object();
    }
    nlohmann::json meta;
    try {
        meta = nlohmann::json::parse(sys::read_file(path));
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not valid JSON: " + e.what());
    }
    if (!meta.is_object()) {
        throw Error(path + ": expected a JSON object");
    }
    if (meta.contains("properties")) {
        if (!meta["properties"].is_object()) {
            throw Error(path + ": \"properties\" must be a JSON object");
        }
        return meta["properties"];
    }
    return meta;
}

std::optional<std::string> read_sha256_sidecar(const std::string& image_path) {
    std::string path = image_path + ".sha256";
    if (!sys::stat_if_exists(path)) {
        return std::nullopt;
    }
    auto words = split_words(sys::read_file(path));
    if (words.empty() || words[0].size() != 64 || !is_hex(words[0])) {
        throw Error(path + ": expected a sha256 digest (64 hex digits) as the first word");
    }
    return to_lower(words[0]);
}

}  // namespace imgdeploy
