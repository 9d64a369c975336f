#include "tasks/lib/hostname.hpp"

#include "common/strings.hpp"

namespace imgdeploy::tasks {

namespace {

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/// The address field of a hosts(5) line, "" for blank lines and comments.
std::string address_of(std::string_view line) {
    auto words = split_words(line);
    return words.empty() || words[0].front() == '#' ? "" : words[0];
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        out += (i ? "\n" : "") + lines[i];
    }
    return out;
}

}  // namespace

std::optional<std::string> hostname_problem(std::string_view name) {
    if (name.empty()) {
        return "the host name is empty";
    }
    if (name.size() > 253) {
        return "the host name is longer than 253 characters";
    }
    for (const auto& label : split(name, '.')) {
        if (label.empty()) {
            return "the host name has an empty label";
        }
        if (label.size() > 63) {
            return "the label '" + label + "' is longer than 63 characters";
        }
        for (char c : label) {
            if (!is_label_char(c)) {
                return "the host name may hold only letters, digits, '-' and '.'";
            }
        }
        if (label.front() == '-' || label.back() == '-') {
            return "the label '" + label + "' starts or ends with '-'";
        }
    }
    return std::nullopt;
}

std::string short_hostname(std::string_view name) { return std::string(name.substr(0, name.find('.'))); }

std::string loopback_hosts_line(std::string_view name) {
    std::string line = "127.0.1.1\t" + std::string(name);
    if (name.find('.') != std::string_view::npos) {
        line += " " + short_hostname(name);
    }
    return line;
}

std::string set_loopback_hosts_entry(std::string_view hosts_text, std::string_view name, bool add_if_missing) {
    auto lines = split(hosts_text, '\n');
    bool trailing_newline = !lines.empty() && lines.back().empty();
    if (trailing_newline) {
        lines.pop_back();
    }
    bool found = false;
    size_t insert_at = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        std::string address = address_of(lines[i]);
        if (address == "127.0.1.1") {
            lines[i] = loopback_hosts_line(name);
            found = true;
        } else if (address == "127.0.0.1") {
            insert_at = i + 1;
        }
    }
    if (!found && add_if_missing) {
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(insert_at), loopback_hosts_line(name));
    }
    return join_lines(lines) + (trailing_newline || (!found && add_if_missing) ? "\n" : "");
}

}  // namespace imgdeploy::tasks
