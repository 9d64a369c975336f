#pragma once
// The imgdeploy configuration: /etc/imgdeploy/imgdeploy.yaml (or
// $IMGDEPLOY_CONFIG, or --config) and per-variant OS-parameter defaults in
// <variants_dir>/<variant>.yaml. An unknown key or a bad value is an Error
// naming the file and line ("/etc/imgdeploy/imgdeploy.yaml:7: http.retries:
// expected a whole number from 0 to 100, got 'many'").

#include "host/ganeti/os_parameters.hpp"

#include <optional>
#include <string>

namespace imgdeploy {

/// How the helper VM runs: KVM when /dev/kvm is usable (auto_), or forced.
enum class Accel { auto_, kvm, tcg };
/// "auto", "kvm" or "tcg" (exact).
std::optional<Accel> parse_accel(const std::string& text);
const char* to_string(Accel accel);

/// Image downloads (http, https, ftp, ftps).
struct HttpConfig {
    unsigned connect_timeout_s = 30;    // 1..3600
    unsigned low_speed_timeout_s = 60;  // 1..86400: a stall this long aborts (or resumes)
    unsigned retries = 3;               // 0..100: resume attempts after a dropped transfer
    /// PEM file of the certificate authorities to trust for https/ftps;
    /// empty means the system's (ca-certificates).
    std::string ca_file;
};

/// The customization helper VM.
struct HelperConfig {
    std::string dir = "/var/lib/imgdeploy/helper";  // kernel, initramfs, manifest
    Accel accel = Accel::auto_;
    unsigned memory_mib = 512;      // 64..65536
    unsigned soft_timeout_s = 120;  // 1..86400: then SIGTERM
    unsigned hard_timeout_s = 5;    // 1..3600: after SIGTERM, then SIGKILL
    std::string user = "nobody";    // qemu runs as this user
};

struct Config {
    std::string image_dir = "/var/lib/imgdeploy/images";
    /// Program receiving monitor JSON lines on stdin, argv[1] = instance name.
    std::string progress_monitor;
    std::string variants_dir = "/etc/imgdeploy/variants";
    /// Where temporary files go.
    std::string tmp_dir = "/tmp";
    HttpConfig http;
    HelperConfig helper;
    /// The file this was read from, empty for built-in defaults.
    std::string source_path;
};

inline constexpr const char* k_default_config_path = "/etc/imgdeploy/imgdeploy.yaml";

/// Reads a config file. A missing file is an error only when `required`
/// (an explicit --config or $IMGDEPLOY_CONFIG); the default path may be
/// absent, giving built-in defaults (source_path then stays empty). An empty
/// file or a file holding only "~" gives the defaults too. Errors name the
/// file and the 1-based line: "FILE:LINE: unknown key 'xyz' in section
/// 'http'", "FILE:LINE: YAML syntax error: ...", "FILE: cannot read
/// config: No such file or directory".
Config load_config(const std::string& path, bool required);

/// OS-parameter defaults of a variant: <variants_dir>/<variant>.yaml, a
/// mapping of OS parameter names to scalar values (numbers and booleans are
/// kept as written). A missing file gives no defaults for "default" and is an
/// error for any other variant. Unknown parameter names are errors with
/// file:line ("FILE:LINE: unknown OS parameter 'x'"). The variant name must
/// match [A-Za-z0-9_.-]+ and not start with '.', so it cannot leave
/// variants_dir. Values are never quoted in errors (some are secret).
OsParameters load_variant_defaults(const Config& config, const std::string& variant);

}  // namespace imgdeploy
