#pragma once
// What PID 1 does before anything else: the pseudo file systems, the kernel
// command line, kernel modules, waiting for devices, and powering off.

#include <chrono>
#include <string>
#include <vector>

namespace imgdeploy {

/// Mounts /proc, /sys, /dev (devtmpfs), /run and /tmp (tmpfs) where absent.
void mount_pseudo_filesystems();

/// The words of /proc/cmdline.
std::vector<std::string> kernel_cmdline();

/// Loads the modules of one group listed in list_path (lines "<group>
/// <path>", paths relative to /lib/modules/<release>) with finit_module;
/// already loaded ones are fine. Returns the count.
size_t load_modules(const std::string& list_path, const std::string& group);

/// Waits (bounded) for a device node to appear; throws Error after timeout.
void wait_for_device(const std::string& path, std::chrono::milliseconds timeout);

/// sync, then power the VM off. Never returns.
[[noreturn]] void power_off() noexcept;

}  // namespace imgdeploy
