#pragma once
// Strict base64 (RFC 4648, standard alphabet, padding required, whitespace
// and line breaks allowed) through OpenSSL's decoder.

#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy {

/// The decoded bytes, or nullopt when the text is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace imgdeploy
