#include "tasks/lib/sshd_config.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

namespace imgdeploy::tasks {

namespace {

/// Splits "Keyword value..." / "Keyword=value" into keyword and arguments.
std::vector<std::string> tokens(std::string_view line) {
    std::string text(line);
    size_t key_end = text.find_first_of(" \t=");
    if (key_end != std::string::npos && text[key_end] == '=') {
        text[key_end] = ' ';
    }
    std::vector<std::string> out;
    for (auto& word : split_words(text)) {
        if (word.size() >= 2 && word.front() == '"' && word.back() == '"') {
            word = word.substr(1, word.size() - 2);
        }
        out.push_back(word);
    }
    return out;
}

}  // namespace

SshdConfig parse_sshd_config(std::string_view text) {
    SshdConfig config;
    bool in_match = false;
    for (const auto& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        auto t = tokens(line);
        if (t.empty()) {
            continue;
        }
        std::string key = to_lower(t[0]);
        if (key == "match") {
            in_match = true;
        } else if (key == "authorizedkeysfile" && t.size() > 1 && !in_match && !config.authorized_keys_file) {
            config.authorized_keys_file = t[1];
        } else if (key == "hostkey" && t.size() > 1 && !in_match) {
            config.host_keys.push_back(t[1]);
        }
    }
    return config;
}

std::string expand_authorized_keys_path(std::string_view pattern, const UserEntry& user) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '%') {
            out.push_back(pattern[i]);
            continue;
        }
        char token = i + 1 < pattern.size() ? pattern[++i] : '\0';
        switch (token) {
        case '%':
            out.push_back('%');
            break;
        case 'h':
            out += user.home;
            break;
        case 'u':
            out += user.name;
            break;
        case 'U':
            out += std::to_string(user.uid);
            break;
        default:
            throw Error("AuthorizedKeysFile '" + std::string(pattern) + "': unsupported token '%" +
                        std::string(1, token) + "'");
        }
    }
    if (out.empty() || out.front() != '/') {
        std::string home = user.home.empty() ? "/" : user.home;
        out = home + (home.back() == '/' ? "" : "/") + out;
    }
    return out;
}

}  // namespace imgdeploy::tasks
