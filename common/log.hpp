#pragma once
// Diagnostics go to stderr through spdlog (Ganeti captures stderr into the
// OS log). Errors are not logged by library code: the top level prints the
// one "imgdeploy: error: ..." line.

#include <spdlog/spdlog.h>

namespace imgdeploy {

/// Sets the stderr logger up once: "YYYY-mm-dd HH:MM:SS.mmm [level] text".
/// debug_level > 0 (Ganeti's DEBUG_LEVEL or -v) enables debug lines.
void init_logging(int debug_level);

}  // namespace imgdeploy
