#pragma once
// Writing a network rendering into the mounted image, through RootDir.

#include "tasks/lib/net_render.hpp"
#include "tasks/lib/root_dir.hpp"

#include <string>
#include <vector>

namespace imgdeploy::tasks {

/// Moves the move_aside files away, then writes each file (creating its
/// missing parent directories 0755): an existing file that `backup` asks
/// for and whose content changes is kept first as
/// <path>.imgdeploy-<stamp>.bak (".bak": a name the stacks skip). Returns
/// the image paths written, backups and moves included, for the output.
std::vector<std::string> apply_rendering(const RootDir& root, const Rendering& rendering, const std::string& stamp);

/// The current UTC time as YYYYmmddHHMMSS, for backup names.
std::string backup_stamp();

}  // namespace imgdeploy::tasks
