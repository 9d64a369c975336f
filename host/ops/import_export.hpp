#pragma once
// Ganeti's import (a raw disk stream on stdin -> the disk) and export (the
// disk -> stdout, its size announced on EXP_SIZE_FD first).

#include <optional>
#include <string>

namespace imgdeploy {

class SignalFd;
class ProgressSink;

/// Writes the raw stream on `in_fd` to `device` through the streaming engine
/// (no decompression; the first MiB is written last).
void import_disk(const std::string& device, int in_fd, ProgressSink& progress, SignalFd* signals);

/// Writes `device` to `out_fd`, after writing its size and "\n" to size_fd.
void export_disk(const std::string& device, int out_fd, std::optional<int> size_fd,
                 SignalFd* signals);

}  // namespace imgdeploy
