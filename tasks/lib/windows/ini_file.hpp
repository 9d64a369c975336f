#pragma once
// A small, tolerant INI editor for sysprep.inf and $OEM$\cmdlines.txt:
// lines it does not understand are kept as they are, section and key
// names match case-insensitively, line endings (CRLF) are kept.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks::windows {

class IniFile {
  public:
    explicit IniFile(std::string_view text);

    /// The value of KEY in [SECTION] (trimmed, quotes kept), nullopt when missing.
    std::optional<std::string> get(std::string_view section, std::string_view key) const;
    /// Replaces KEY's value in [SECTION], or adds the key at the end of the
    /// section, or adds the section at the end of the file.
    void set(std::string_view section, std::string_view key, std::string_view value);
    /// Appends a bare line to [SECTION] (cmdlines.txt [Commands] holds
    /// "quoted command" lines) unless an equal line is there already.
    void append_line(std::string_view section, std::string_view line);

    std::string text() const;

  private:
    /// Index of the section header line, nullopt when missing.
    std::optional<size_t> find_section(std::string_view section) const;
    /// One past the last line of the section starting at header (blank
    /// lines at its end are not counted).
    size_t section_end(size_t header) const;
    size_t ensure_section(std::string_view section);

    std::vector<std::string> m_lines;
    std::string m_eol = "\r\n";
};

} // namespace imgdeploy::tasks::windows
