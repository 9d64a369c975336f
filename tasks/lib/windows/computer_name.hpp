#pragma once
// Windows ComputerName rules (snf-image 50AssignHostname, SNF-IMAGE-REFERENCE §5.5).

#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy::tasks::windows {

/// Why `name` cannot be a Windows ComputerName (NetBIOS name: 1-15 bytes,
/// none of \ / : * ? " < > | , ~ ! @ # $ % ^ & ' . ( ) { } _ or a space or a
/// control character, not all digits), nullopt when it can.
std::optional<std::string> computer_name_problem(std::string_view name);

} // namespace imgdeploy::tasks::windows
