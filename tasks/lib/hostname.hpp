#pragma once
// Instance host names: validation (RFC 1123) and the /etc/hosts line that
// makes the name resolvable on Debian-like systems ("127.0.1.1 fqdn short").

#include <optional>
#include <string>
#include <string_view>

namespace imgdeploy::tasks {

/// nullopt when `name` is a valid host name or FQDN: at most 253
/// characters, dot-separated labels of 1-63 letters, digits and hyphens,
/// not starting or ending with a hyphen (one trailing dot is not allowed
/// either); otherwise the reason.
std::optional<std::string> hostname_problem(std::string_view name);

/// The first label ("web1" for "web1.example.org").
std::string short_hostname(std::string_view name);

/// The "127.0.1.1 ..." line for a name: "127.0.1.1\tfqdn short", or
/// "127.0.1.1\tname" when it has no dot.
std::string loopback_hosts_line(std::string_view name);

/// Rewrites every 127.0.1.1 line of hosts(5) text to loopback_hosts_line();
/// when there is none and add_if_missing, inserts one after the last
/// 127.0.0.1 line (or first). Other lines are kept byte for byte.
std::string set_loopback_hosts_entry(std::string_view hosts_text, std::string_view name, bool add_if_missing);

}  // namespace imgdeploy::tasks
