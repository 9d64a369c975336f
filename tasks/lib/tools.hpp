#pragma once
// Running the helper's own tools (e2fsck, resize2fs, xfs_growfs, btrfs,
// ssh-keygen) from a task: an explicit, minimal environment (PATH and
// LC_ALL=C only, never the task's SNF_IMAGE_* secrets), stdin from
// /dev/null, stdout and stderr into the task's own (the console log).

#include "common/child_process.hpp"

#include <string>
#include <vector>

namespace imgdeploy::tasks {

/// The absolute path of a tool in /usr/sbin:/usr/bin:/sbin:/bin (posix_spawnp
/// would search the task's PATH instead); throws Error when it is missing.
std::string find_tool(const std::string& name);
WaitStatus run_tool(const std::vector<std::string>& argv);
/// run_tool(), throwing Error("<what>: <argv0> exited with status N") on failure.
void run_tool_checked(const std::vector<std::string>& argv, const std::string& what);

}  // namespace imgdeploy::tasks
