#pragma once
// The mounted image, as the mounted tasks (35-70) see it.

#include "tasks/lib/root_dir.hpp"
#include "tasks/lib/task_runner.hpp"

#include <string>

namespace imgdeploy::tasks {

/// SNF_IMAGE_TARGET as a RootDir; throws Error when nothing is mounted
/// there (a mounted task must never write into the helper's empty dir).
RootDir open_mounted_target(const TaskContext& ctx);

/// The path an fd refers to (readlink of /proc/self/fd/N).
std::string fd_target(int fd);

enum class Distro { debian, redhat, suse, slackware, gentoo, arch, coreos, unknown };

/// The image's distribution family, from marker files (/etc/debian_version,
/// /etc/redhat-release, ...) and /etc/os-release ID / ID_LIKE.
Distro detect_distro(const RootDir& root);

}  // namespace imgdeploy::tasks
