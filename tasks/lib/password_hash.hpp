#pragma once
// Password hashing with libxcrypt, as the image's PAM will verify it.

#include <string>
#include <string_view>

namespace imgdeploy::tasks {

/// PASSWD_HASHING_METHOD values: md5, sha256, sha512 (the Linux default),
/// blowfish (bcrypt "$2b$"), sha1 ("$sha1$"), yescrypt ("$y$"). Throws
/// Error for another name or when libxcrypt fails; never puts the password
/// or the hash in a message.
std::string hash_password(std::string_view password, std::string_view method);

/// The crypt(3) prefix of a method, "" when unknown.
std::string_view hash_prefix(std::string_view method);

/// A hash given verbatim (PASSWD_HASH) must fit in a shadow field.
bool is_valid_password_hash(std::string_view hash);

}  // namespace imgdeploy::tasks
