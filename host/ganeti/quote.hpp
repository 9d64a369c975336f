#pragma once
// Putting a user-supplied value into a one-line message.

#include <string>
#include <string_view>

namespace imgdeploy {

/// The value in single quotes, safe for a one-line log message: control
/// characters, quotes, backslashes and non-ASCII bytes become escapes
/// (\n, \x01, ...) and anything past `max_chars` input bytes becomes "...".
/// Never use it for a secret value.
std::string quote_value(std::string_view value, size_t max_chars = 80);

}  // namespace imgdeploy
