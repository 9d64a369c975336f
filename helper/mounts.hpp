#pragma once
// Mount bookkeeping inside the helper.

#include <string>

namespace imgdeploy {

/// Unmounts everything mounted at or below `root`, deepest first (from
/// /proc/self/mountinfo). Never throws; returns how many it could not.
int umount_all_under(const std::string& root) noexcept;

}  // namespace imgdeploy
