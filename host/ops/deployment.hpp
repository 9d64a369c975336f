#pragma once
// A deployment: the create flow shared by `imgdeploy ganeti create` and
// `imgdeploy deploy`. See run_deployment() for the steps.

#include "host/config/config.hpp"
#include "host/ganeti/os_parameters.hpp"
#include "host/progress/progress_sink.hpp"

#include <string>
#include <vector>

namespace imgdeploy {

class SignalFd;

struct DeploymentRequest {
    std::string instance_name;
    std::vector<std::string> disks;  // disk 0 receives the image
    std::string variant = "default";
    OsParameters params;             // as given (OSP_* or -O)
    /// false for --no-customize: same as EXCLUDE_ALL_TASKS=yes.
    bool customize = true;
    Config config;
    ProgressSink* progress = nullptr;
    SignalFd* signals = nullptr;
};

/// Runs the whole flow; throws Error (or Interrupted) after reporting the
/// failure to the progress sink and zeroing the disk's boot areas when
/// anything had been written.
void run_deployment(const DeploymentRequest& request);

}  // namespace imgdeploy
