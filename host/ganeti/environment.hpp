#pragma once
// The Ganeti OS-script environment (GANETI-TESTING.md Part A), parsed once
// into a struct. No other file calls getenv: callers pass environ in.

#include "host/ganeti/os_parameters.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace imgdeploy {

struct GanetiDisk {
    std::string path;  // DISK_<i>_PATH, or DISK_<i>_URI when PATH is absent
    std::optional<std::string> uri;
    std::string access;         // rw / ro
    std::string frontend_type;  // DISK_<i>_FRONTEND_TYPE, may be empty
    std::string backend_type;   // DISK_<i>_BACKEND_TYPE, may be empty
    std::optional<uint64_t> size_mib;
};

struct GanetiEnv {
    int api_version = 20;
    std::string os_name;
    std::string variant;  // OS_VARIANT, "default" when empty (API 10)
    int debug_level = 0;
    OsParameters params;  // OSP_* mapped to lower-case names

    // Instance scripts (create, rename, import, export).
    std::string instance_name;
    std::string hypervisor;
    std::string disk_type;  // INSTANCE_HV_disk_type
    bool reinstall = false;
    std::vector<GanetiDisk> disks;
    /// Every NIC_* variable verbatim (NIC_COUNT, NIC_0_MAC, ...), for the helper.
    std::map<std::string, std::string> nic_vars;

    // Per-script extras.
    std::string old_instance_name;         // rename
    std::string import_device;             // import: IMPORT_DISK_PATH or IMPORT_DEVICE
    std::string export_device;             // export: EXPORT_DISK_PATH or EXPORT_DEVICE
    std::optional<int> export_size_fd;     // export: EXP_SIZE_FD
};

/// Which script is running; decides which variables are required.
enum class GanetiScript { create, import, export_, rename, verify };
std::optional<GanetiScript> parse_ganeti_script(const std::string& name);
const char* to_string(GanetiScript script);

/// Parses the environment. Throws Error listing every missing or invalid
/// variable on one line ("Ganeti environment: INSTANCE_NAME is not set;
/// DISK_COUNT is 'x', expected ...") when something is wrong. OS parameter
/// values are copied, not validated (see validate_os_parameters).
GanetiEnv parse_ganeti_env(GanetiScript script, const std::map<std::string, std::string>& env);

/// environ as a map (for main only).
std::map<std::string, std::string> environment_map(char** envp);

}  // namespace imgdeploy
