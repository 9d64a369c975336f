#pragma once
// The personality parameter (img_personality, SNF-IMAGE-REFERENCE §5.5
// EnforcePersonality): a JSON array of files to inject,
//   [{"path": "/etc/motd", "contents": "<base64>", "owner": "root",
//     "group": "root", "mode": 288}, ...]
// owner/group default to root, mode (decimal) to 0440. Everything is checked
// before anything is written.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imgdeploy::tasks {

struct PersonalityFile {
    size_t index = 0;  // position in the array, for messages
    std::string path;  // absolute, no ".." component
    std::string contents;
    std::string owner = "root";
    std::string group = "root";
    unsigned mode = 0440;
};

inline constexpr size_t k_personality_file_limit = 10u << 20;   // decoded bytes per file
inline constexpr size_t k_personality_total_limit = 32u << 20;  // decoded bytes in all

/// Throws Error naming the entry index and the problem: not JSON, not an
/// array of objects, a missing or non-string field, a path that is not
/// absolute or holds "..", invalid base64, a mode outside 0..07777, or a
/// size limit exceeded.
std::vector<PersonalityFile> parse_personality(std::string_view json);

}  // namespace imgdeploy::tasks
