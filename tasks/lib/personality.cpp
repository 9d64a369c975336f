#include "tasks/lib/personality.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/root_dir.hpp"

#include <nlohmann/json.hpp>

namespace imgdeploy::tasks {

namespace {

std::string entry_ref(size_t index) { return "personality entry " + std::to_string(index); }

std::string string_field(const nlohmann::json& e, const char* key, size_t index, const char* fallback) {
    if (!e.contains(key) || e[key].is_null()) {
        if (fallback == nullptr) {
            throw Error(entry_ref(index) + ": \"" + key + "\" is missing");
        }
        return fallback;
    }
    if (!e[key].is_string()) {
        throw Error(entry_ref(index) + ": \"" + key + "\" must be a string");
    }
    return e[key].get<std::string>();
}

unsigned mode_field(const nlohmann::json& e, size_t index) {
    if (!e.contains("mode") || e["mode"].is_null()) {
        return 0440;
    }
    if (!e["mode"].is_number_integer() || e["mode"].get<int64_t>() < 0 || e["mode"].get<int64_t>() > 07777) {
        throw Error(entry_ref(index) + ": \"mode\" must be an integer from 0 to 4095 (07777)");
    }
    return static_cast<unsigned>(e["mode"].get<int64_t>());
}

void check_path(const std::string& path, size_t index) {
    if (path.empty() || path.front() != '/') {
        throw Error(entry_ref(index) + ": path '" + path + "' is not absolute");
    }
    if (path.find('\0') != std::string::npos) {
        throw Error(entry_ref(index) + ": path contains a NUL byte");
    }
    auto parts = path_components(path);
    if (parts.empty()) {
        throw Error(entry_ref(index) + ": path '" + path + "' does not name a file");
    }
    for (const auto& p : parts) {
        if (p == "..") {
            throw Error(entry_ref(index) + ": path '" + path + "' contains '..'");
        }
    }
}

PersonalityFile parse_entry(const nlohmann::json& e, size_t index) {
    if (!e.is_object()) {
        throw Error(entry_ref(index) + ": not a JSON object");
    }
    PersonalityFile f;
    f.index = index;
    f.path = string_field(e, "path", index, nullptr);
    check_path(f.path, index);
    std::string encoded = string_field(e, "contents", index, nullptr);
    if (encoded.size() / 4 * 3 > k_personality_file_limit + 3) {
        throw Error(entry_ref(index) + ": contents larger than the " +
                    std::to_string(k_personality_file_limit >> 20) + " MiB limit");
    }
    auto decoded = base64_decode(encoded);
    if (!decoded) {
        throw Error(entry_ref(index) + ": \"contents\" is not valid base64");
    }
    if (decoded->size() > k_personality_file_limit) {
        throw Error(entry_ref(index) + ": contents larger than the " +
                    std::to_string(k_personality_file_limit >> 20) + " MiB limit");
    }
    f.contents = std::move(*decoded);
    f.owner = string_field(e, "owner", index, "root");
    f.group = string_field(e, "group", index, "root");
    if (!is_valid_account_name(f.owner) || !is_valid_account_name(f.group)) {
        throw Error(entry_ref(index) + ": invalid owner or group name");
    }
    f.mode = mode_field(e, index);
    return f;
}

}  // namespace

std::vector<PersonalityFile> parse_personality(std::string_view json) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("personality: not valid JSON: ") + e.what());
    }
    if (!doc.is_array()) {
        throw Error("personality: expected a JSON array of files");
    }
    std::vector<PersonalityFile> files;
    size_t total = 0;
    for (size_t i = 0; i < doc.size(); ++i) {
        files.push_back(parse_entry(doc[i], i));
        total += files.back().contents.size();
        if (total > k_personality_total_limit) {
            throw Error(entry_ref(i) + ": all contents together exceed the " +
                        std::to_string(k_personality_total_limit >> 20) + " MiB limit");
        }
    }
    return files;
}

}  // namespace imgdeploy::tasks
