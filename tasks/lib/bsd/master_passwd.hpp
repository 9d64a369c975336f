#pragma once
// /etc/master.passwd (BSD): name:password:uid:gid:class:change:expire:gecos:home:shell.

#include <string>
#include <string_view>

namespace imgdeploy::tasks::bsd {

/// Replaces the password field of `user`'s line, keeping every other field
/// and line as it is. Throws Error when the user has no line (or the line
/// does not have the 10 fields); never puts the hash in a message.
std::string
set_master_passwd_password(std::string_view text, std::string_view user, std::string_view hash);

/// The first-boot wrapper installed as /etc/rc.local: rebuilds the
/// password databases with pwd_mkdb, then puts back the image's own
/// rc.local (saved as `saved`, "" when it had none) and runs it.
std::string pwd_mkdb_rc_local(std::string_view saved);

} // namespace imgdeploy::tasks::bsd
