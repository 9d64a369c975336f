#pragma once
// Customization: the deployed disk goes to the helper VM, which runs the
// tasks and reports back (DESIGN.md "The create flow", from the parameter
// floppy on). customize_image() reads as its steps.

#include "common/helper_protocol.hpp"
#include "host/disk/target_disk.hpp"
#include "host/ganeti/os_parameters.hpp"
#include "host/ops/deployment.hpp"
#include "host/ops/parameters.hpp"

#include <string>
#include <vector>

namespace imgdeploy {

/// What the helper gets in params.json: the instance name as hostname, the
/// image format, the hypervisor, the guest disk names, the OS parameters
/// snf-image exports (PASSWD, PASSWD_HASH, AUTH_KEYS, OS_PRODUCT_KEY,
/// CLOUD_USERDATA when defined, even empty; PERSONALITY, PROPERTIES,
/// INST_PROPERTIES when not empty), the merged image properties (values as
/// strings) and every NIC_* variable.
HelperParams make_helper_params(const DeploymentRequest& request, const OsParameters& params,
                                const ImageRequest& image, const std::vector<std::string>& devices);

/// Boots the helper VM on `disk0` (held open and exclusive since the
/// streaming; its fd is passed on) and the instance's other disks, and
/// returns when the helper reported SUCCESS. Throws Error
/// ("customization failed: <the helper's error or how the VM ended>",
/// "customization did not finish within N s (helper VM killed)") or
/// Interrupted; the floppy is removed and qemu is gone on every path.
void customize_image(const DeploymentRequest& request, const OsParameters& params,
                     const ImageRequest& image, const TargetDisk& disk0);

}  // namespace imgdeploy
