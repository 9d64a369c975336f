#pragma once
// A deployment: the create flow shared by `imgdeploy ganeti create` and
// `imgdeploy deploy`. See run_deployment() for the steps.

#include "host/config/config.hpp"
#include "host/ganeti/os_parameters.hpp"
#include "host/progress/progress_sink.hpp"

#include <map>
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
    /// Every NIC_* variable from Ganeti, verbatim, for the helper.
    std::map<std::string, std::string> nic_vars;
    /// HYPERVISOR, told to the helper (empty means kvm).
    std::string hypervisor = "kvm";
    /// INSTANCE_HV_disk_type: scsi* puts the disks on virtio-scsi in the
    /// helper VM (/dev/sda...), anything else on virtio-blk (/dev/vda...).
    std::string disk_type = "paravirtual";
    Config config;
    ProgressSink* progress = nullptr;
    SignalFd* signals = nullptr;
};

/// Runs the whole flow; throws Error (or Interrupted) after reporting the
/// failure to the progress sink and zeroing the disk's boot areas when
/// anything had been written.
void run_deployment(const DeploymentRequest& request);

}  // namespace imgdeploy
