#include "tasks/lib/ssh_host_keys.hpp"

#include "common/strings.hpp"

#include <array>

namespace imgdeploy::tasks {

namespace {

constexpr std::array<std::string_view, 4> k_types = {"rsa", "ecdsa", "ed25519", "dsa"};

std::optional<std::string> type_of_public_key(std::string_view public_key) {
    auto words = split_words(public_key);
    if (words.empty()) {
        return std::nullopt;
    }
    const std::string& algo = words[0];
    if (algo == "ssh-rsa") {
        return "rsa";
    }
    if (algo.starts_with("ecdsa-sha2-")) {
        return "ecdsa";
    }
    if (algo == "ssh-ed25519") {
        return "ed25519";
    }
    if (algo == "ssh-dss") {
        return "dsa";
    }
    return std::nullopt;
}

std::optional<std::string> type_of_pem(std::string_view private_key) {
    if (private_key.find("BEGIN RSA PRIVATE KEY") != std::string_view::npos) {
        return "rsa";
    }
    if (private_key.find("BEGIN EC PRIVATE KEY") != std::string_view::npos) {
        return "ecdsa";
    }
    if (private_key.find("BEGIN DSA PRIVATE KEY") != std::string_view::npos) {
        return "dsa";
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> default_host_key_type(std::string_view file_name) {
    for (std::string_view type : k_types) {
        if (file_name == "ssh_host_" + std::string(type) + "_key") {
            return std::string(type);
        }
    }
    return std::nullopt;
}

std::optional<std::string> guess_host_key_type(std::string_view path, std::string_view public_key,
                                               std::string_view private_key) {
    if (auto t = type_of_public_key(public_key)) {
        return t;
    }
    if (auto t = type_of_pem(private_key)) {
        return t;
    }
    std::string name = to_lower(path.substr(path.rfind('/') + 1));
    // "ecdsa" before "dsa", which it contains.
    for (std::string_view type : {"ed25519", "ecdsa", "rsa", "dsa"}) {
        if (name.find(type) != std::string::npos) {
            return std::string(type);
        }
    }
    return std::nullopt;
}

}  // namespace imgdeploy::tasks
