#pragma once
// The installed helper image (DESIGN.md "Helper image"): what
// imgdeploy-build-helper leaves in the helper directory,
//   DIR/kernel  DIR/initramfs  DIR/manifest.json
// with manifest fields imgdeploy_version, protocol_version, kernel_version,
// kernel_format ("pvh-elf" | "bzimage") and files {kernel, initramfs:
// sha256}. The host refuses a helper built for another protocol version.

#include "host/vm/qemu_command.hpp"

#include <string>

namespace imgdeploy {

struct HelperImage {
    std::string dir;
    std::string kernel;     // DIR/kernel
    std::string initramfs;  // DIR/initramfs
    KernelFormat kernel_format = KernelFormat::bzimage;
    std::string kernel_version;
    std::string imgdeploy_version;  // of the builder that made it
    int protocol_version = 0;
};

/// Loads DIR/manifest.json and checks it. Throws Error:
/// "the helper image is not installed (no DIR/manifest.json); run
/// imgdeploy-build-helper", "the helper image in DIR was built for helper
/// protocol N, this imgdeploy speaks M; run imgdeploy-build-helper", or
/// naming the bad field or the missing file.
HelperImage load_helper_image(const std::string& dir);

}  // namespace imgdeploy
