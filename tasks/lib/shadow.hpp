#pragma once
// Rewriting one user's /etc/shadow line in place: only the password field
// and the date of the last change are set; the line keeps its position and
// the aging fields (unlike snf-image, which moved the line to the end with
// lastchange 15103 and reset aging).

#include <cstdint>
#include <string>
#include <string_view>

namespace imgdeploy::tasks {

/// Returns `shadow_text` with `user`'s line carrying `hash` and
/// `days_since_epoch`. Throws Error when the user has no line (the message
/// names the user, never the hash).
std::string set_shadow_password(std::string_view shadow_text, std::string_view user, std::string_view hash,
                                int64_t days_since_epoch);

/// Days since 1970-01-01 (UTC) now: shadow(5)'s "date of last password change".
int64_t days_since_epoch_now();

}  // namespace imgdeploy::tasks
