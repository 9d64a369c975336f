#pragma once
// Small, strict string helpers. Number parsing never uses atoi/strtol
// leniency: the whole string must be a number in range.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy {

std::optional<uint64_t> parse_u64(std::string_view s);
std::optional<int64_t> parse_i64(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
/// Splits on runs of blanks (space, tab, newline), dropping empty fields.
std::vector<std::string> split_words(std::string_view s);
std::string_view trim(std::string_view s);
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with_icase(std::string_view s, std::string_view prefix);
/// "1.5 GiB"-style rendering for humans.
std::string human_bytes(uint64_t bytes);
/// Lower-case hex of a byte string.
std::string to_hex(const unsigned char* data, size_t len);
bool is_hex(std::string_view s);

/// snf-image boolean semantics (check_yes_no): yes/true/on/1/set are true,
/// no/false/off/0/unset and unset are false; other text is true (the
/// caller may warn).
bool parse_yes_no(std::string_view value);

}  // namespace imgdeploy
