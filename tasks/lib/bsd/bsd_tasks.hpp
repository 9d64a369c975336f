#pragma once
// The BSD (OSFAMILY freebsd, openbsd, netbsd) bodies of the built-in tasks
// (tasks/README.md, "BSD"). Network configuration is elsewhere.

#include <string>

#include "tasks/lib/task_runner.hpp"

namespace imgdeploy::tasks::bsd {

/// OSFAMILY freebsd, openbsd or netbsd.
bool is_bsd(const TaskContext& ctx);
/// OpenBSD / NetBSD: an MBR slice holding a BSD disklabel.
bool has_disklabel(const TaskContext& ctx);

void grow_disklabel(const TaskContext& ctx);       // 10FixPartitionTable (OpenBSD, NetBSD)
void resize_ufs_unmounted(const TaskContext& ctx); // 20FilesystemResizeUnmounted (UFS)
void mount_ufs_root(const TaskContext& ctx, const std::string& device); // 30MountImage
void assign_hostname_bsd(const TaskContext& ctx);                       // 50AssignHostname
void change_password_bsd(const TaskContext& ctx);                       // 50ChangePassword

/// rc.conf with hostname="name" set (replaced or appended).
std::string set_rc_conf_hostname(std::string_view rc_conf, std::string_view name);

} // namespace imgdeploy::tasks::bsd
