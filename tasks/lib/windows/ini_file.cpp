#include "tasks/lib/windows/ini_file.hpp"

#include "common/strings.hpp"

namespace imgdeploy::tasks::windows {

namespace {

std::optional<std::string> section_name(std::string_view line) {
    std::string_view t = trim(line);
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']') {
        return std::string(trim(t.substr(1, t.size() - 2)));
    }
    return std::nullopt;
}

/// The key of a "key = value" line, nullopt for others (comments too).
std::optional<std::string> key_of(std::string_view line) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == ';' || t.front() == '#') {
        return std::nullopt;
    }
    auto eq = t.find('=');
    if (eq == std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(trim(t.substr(0, eq)));
}

} // namespace

IniFile::IniFile(std::string_view text) {
    if (text.find("\r\n") == std::string_view::npos && text.find('\n') != std::string_view::npos) {
        m_eol = "\n";
    }
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    for (auto& line : split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        m_lines.push_back(line);
    }
    while (!m_lines.empty() && m_lines.back().empty()) {
        m_lines.pop_back();
    }
}

std::optional<size_t> IniFile::find_section(std::string_view section) const {
    for (size_t i = 0; i < m_lines.size(); ++i) {
        auto name = section_name(m_lines[i]);
        if (name && iequals(*name, section)) {
            return i;
        }
    }
    return std::nullopt;
}

size_t IniFile::section_end(size_t header) const {
    size_t end = header + 1;
    while (end < m_lines.size() && !section_name(m_lines[end])) {
        ++end;
    }
    while (end > header + 1 && trim(m_lines[end - 1]).empty()) {
        --end;
    }
    return end;
}

size_t IniFile::ensure_section(std::string_view section) {
    if (auto h = find_section(section)) {
        return *h;
    }
    if (!m_lines.empty()) {
        m_lines.emplace_back();
    }
    m_lines.push_back("[" + std::string(section) + "]");
    return m_lines.size() - 1;
}

std::optional<std::string> IniFile::get(std::string_view section, std::string_view key) const {
    auto h = find_section(section);
    if (!h) {
        return std::nullopt;
    }
    for (size_t i = *h + 1; i < section_end(*h); ++i) {
        auto k = key_of(m_lines[i]);
        if (k && iequals(*k, key)) {
            std::string_view t = trim(m_lines[i]);
            return std::string(trim(t.substr(t.find('=') + 1)));
        }
    }
    return std::nullopt;
}

void IniFile::set(std::string_view section, std::string_view key, std::string_view value) {
    size_t h = ensure_section(section);
    size_t end = section_end(h);
    std::string line = std::string(key) + "=" + std::string(value);
    for (size_t i = h + 1; i < end; ++i) {
        auto k = key_of(m_lines[i]);
        if (k && iequals(*k, key)) {
            m_lines[i] = line;
            return;
        }
    }
    m_lines.insert(m_lines.begin() + static_cast<long>(end), line);
}

void IniFile::append_line(std::string_view section, std::string_view line) {
    size_t h = ensure_section(section);
    size_t end = section_end(h);
    for (size_t i = h + 1; i < end; ++i) {
        if (iequals(trim(m_lines[i]), trim(line))) {
            return;
        }
    }
    m_lines.insert(m_lines.begin() + static_cast<long>(end), std::string(line));
}

std::string IniFile::text() const {
    std::string out;
    for (const auto& l : m_lines) {
        out += l + m_eol;
    }
    return out;
}

} // namespace imgdeploy::tasks::windows
