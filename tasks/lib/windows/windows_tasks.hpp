#pragma once
// The Windows (OSFAMILY windows / windows-legacy) bodies of the built-in
// tasks (tasks/README.md, "Windows").

#include <string>

#include "tasks/lib/task_runner.hpp"
#include "tasks/lib/windows/windows_image.hpp"

namespace imgdeploy::tasks::windows {

void mount_ntfs_root(const TaskContext& ctx, const std::string& device); // 30MountImage
void install_unattend(const TaskContext& ctx);                           // 35InstallUnattend
void resize_filesystem_mounted_windows(const TaskContext& ctx); // 40FilesystemResizeMounted
void assign_hostname_windows(const TaskContext& ctx);           // 50AssignHostname
void change_password_windows(const TaskContext& ctx);           // 50ChangePassword
void disable_remote_desktop(const TaskContext& ctx);            // 50DisableRemoteDesktopConnections
void enforce_personality_windows(const TaskContext& ctx);       // 60EnforcePersonality
void resize_filesystem_after_umount(const TaskContext& ctx);    // 81FilesystemResizeAfterUmount

/// The diskpart script that grows the file system of Linux partition
/// `partition` of disk 0 (selected by its diskpart partition index, not by
/// a volume number).
std::string extend_filesystem_script(unsigned diskpart_index);

} // namespace imgdeploy::tasks::windows
