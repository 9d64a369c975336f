#pragma once
// What the Windows tasks share: the OS family test, the image's
// architecture and version from its hives, the answer file the image will
// use, and the first-boot scripts (SetupComplete.cmd and
// C:\Windows\SnfScripts\, SNF-IMAGE-REFERENCE §5.5/§5.9).

#include <string>
#include <string_view>

#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/task_runner.hpp"

namespace imgdeploy::tasks::windows {

inline constexpr const char* k_setup_complete = "/Windows/Setup/Scripts/SetupComplete.cmd";
inline constexpr const char* k_scripts_dir = "/Windows/SnfScripts";
inline constexpr const char* k_password_script = "/Windows/SnfScripts/ChangeAdminPassword.cmd";
inline constexpr const char* k_extend_script = "/Windows/SnfScripts/ExtendFilesystem";
inline constexpr const char* k_sysprep_inf = "/sysprep/sysprep.inf";
/// The same scripts as Windows names them.
inline constexpr const char* k_password_script_win =
    "C:\\Windows\\SnfScripts\\ChangeAdminPassword.cmd";
inline constexpr const char* k_extend_script_win = "C:\\Windows\\SnfScripts\\ExtendFilesystem";
inline constexpr const char* k_setup_complete_win =
    "C:\\Windows\\Setup\\Scripts\\SetupComplete.cmd";

/// OSFAMILY windows or windows-legacy.
bool is_windows(const TaskContext& ctx);
/// OSFAMILY windows-legacy (NT 5: XP, 2003; sysprep.inf).
bool is_windows_legacy(const TaskContext& ctx);

/// unattend.xml's processorArchitecture (amd64, x86, arm64) from
/// PROCESSOR_ARCHITECTURE in the SYSTEM hive's current control set.
std::string image_architecture(const RootDir& root);

/// The answer file the image will use in its specialize pass, as
/// 35InstallUnattend left it: /unattend.xml, else /autounattend.xml.
/// Throws Error when there is none (35InstallUnattend did not run).
std::string active_unattend_path(const RootDir& root);

/// Text with CRLF line endings, as cmd.exe and notepad want them.
std::string crlf(std::string_view text);
/// Replaces (creates) a file of the image with `text` in CRLF form.
void write_text(const RootDir& root, const std::string& path, std::string_view text);

/// Inserts lines into SetupComplete.cmd before imgdeploy's cleanup lines
/// (the file is made by 35InstallUnattend; throws Error when missing).
void add_setup_complete_lines(const RootDir& root, const std::vector<std::string>& lines);
/// The SetupComplete.cmd 35InstallUnattend writes: imgdeploy's block
/// (wipes and deletes the password script, the answer files and
/// SnfScripts) followed by the image's own script, when it had one.
std::string setup_complete_script(std::string_view existing);

/// A double-quoted cmd.exe argument: '%' doubled, '"', control characters
/// and a trailing '\' refused (throws Error naming `what`, never the value).
std::string cmd_quote(std::string_view value, std::string_view what);

/// Renames an existing file to "<name>.bak.<unix time>" in its directory,
/// inside the root; returns the new name, "" when there was nothing.
std::string backup_existing(const RootDir& root, const std::string& path);

} // namespace imgdeploy::tasks::windows
