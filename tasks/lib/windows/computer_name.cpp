#include "tasks/lib/windows/computer_name.hpp"

#include <algorithm>

namespace imgdeploy::tasks::windows {

std::optional<std::string> computer_name_problem(std::string_view name) {
    if (name.empty()) {
        return "it is empty";
    }
    if (name.size() > 15) {
        return "longer than 15 bytes (" + std::to_string(name.size()) + ")";
    }
    static constexpr std::string_view k_invalid = "\\/:*?\"<>|,~!@#$%^&'.(){}_ ";
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            return "it holds a control character";
        }
        if (k_invalid.find(c) != std::string_view::npos) {
            return std::string("it holds the character '") + c + "'";
        }
    }
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return "it is all digits";
    }
    return std::nullopt;
}

} // namespace imgdeploy::tasks::windows
