#pragma once
// Which SSH host keys an image has, so that they can be replaced by new ones
// of the same types.

#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy::tasks {

/// The key type (rsa, ecdsa, ed25519, dsa) of a default-named host key file
/// "ssh_host_<type>_key"; nullopt for other names (.pub, -cert.pub, ...).
std::optional<std::string> default_host_key_type(std::string_view file_name);

/// The type of a host key at a non-default path, from (in order) the first
/// word of its .pub file, the PEM header of the private key, or the name.
std::optional<std::string> guess_host_key_type(std::string_view path, std::string_view public_key,
                                               std::string_view private_key);

}  // namespace imgdeploy::tasks
