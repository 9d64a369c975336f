// Helpers shared by the network renderers (net_render.hpp).

#include "common/strings.hpp"
#include "tasks/lib/net_render.hpp"

#include <algorithm>

namespace imgdeploy::tasks {

void Rendering::append(Rendering other) {
    for (auto& f : other.files) {
        files.push_back(std::move(f));
    }
    for (auto& p : other.move_aside) {
        move_aside.push_back(std::move(p));
    }
    for (auto& w : other.warnings) {
        warnings.push_back(std::move(w));
    }
}

std::string linux_interface_name(const Nic& nic) { return "eth" + std::to_string(nic.index); }

std::string drop_assignments(const std::string& text, const std::vector<std::string>& keys) {
    std::vector<std::string> lines = split(text, '\n');
    if (!lines.empty() && lines.back().empty()) {
        lines.pop_back();  // text ended with a newline
    }
    std::string out;
    for (const auto& line : lines) {
        std::string_view l = trim(line);
        size_t eq = l.find('=');
        bool drop = eq != std::string_view::npos &&
                    std::find(keys.begin(), keys.end(), std::string(trim(l.substr(0, eq)))) != keys.end();
        if (!drop) {
            out += line;
            out += '\n';
        }
    }
    return out;
}

}  // namespace imgdeploy::tasks
