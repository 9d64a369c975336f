#pragma once
// The imgdeploy configuration: /etc/imgdeploy/imgdeploy.yaml (or
// $IMGDEPLOY_CONFIG, or --config) and per-variant OS-parameter defaults in
// <variants_dir>/<variant>.yaml. An unknown key or a bad value is an Error
// naming the file and line ("/etc/imgdeploy/imgdeploy.yaml:7: http.retries:
// expected a whole number from 0 to 100, got 'many'").

#include "host/ganeti/os_parameters.hpp"

#include <string>

namespace imgdeploy {

enum class Accel { auto_, kvm, tcg };

struct HttpConfig {
    unsigned connect_timeout_s = 30;
    unsigned low_speed_timeout_s = 60;
    unsigned retries = 3;
};

struct HelperConfig {
    std::string dir = "/var/lib/imgdeploy/helper";
    Accel accel = Accel::auto_;
    unsigned memory_mib = 512;
    unsigned soft_timeout_s = 120;
    unsigned hard_timeout_s = 5;
    std::string user = "nobody";
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
/// absent, giving built-in defaults.
Config load_config(const std::string& path, bool required);

/// OS-parameter defaults of a variant: <variants_dir>/<variant>.yaml, a
/// mapping of OS parameter names to string values. A missing file gives no
/// defaults for "default" and is an error for any other variant. Unknown
/// parameter names are errors with file:line.
OsParameters load_variant_defaults(const Config& config, const std::string& variant);

}  // namespace imgdeploy
