#pragma once
// Choosing the accelerator for helper.accel = auto: KVM when it really
// works for the helper user, TCG otherwise, decided in under ~2 s.
//
// An openable /dev/kvm is not enough: in some nested set-ups KVM starts
// but the guest hangs as soon as it leaves real mode, or qemu fails on an
// MSR. So the probe boots a tiny firmware under -accel kvm, as the helper
// user (setpriv, like the real VM: /dev/kvm must be usable by that user),
// that goes real mode -> protected mode -> long mode and only then writes
// 0x31 to an isa-debug-exit port: qemu exits with (0x31 << 1) | 1 = 99.
// Any other ending (an error, a hang past the deadline) means TCG.

#include "host/vm/qemu_command.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace imgdeploy {

struct AccelProbeOptions {
    std::string qemu_binary = "qemu-system-x86_64";
    std::string kvm_device = "/dev/kvm";
    /// Where the probe firmware is written (a temp file, readable by the
    /// helper user: the firmware is no secret).
    std::string tmp_dir = "/tmp";
    /// Run the probe as this user (the helper user); nullopt: as the caller.
    std::optional<RunAs> run_as;
    std::chrono::milliseconds deadline{2000};
    /// Cache file ("<boot_id> <uid> kvm|tcg"), reused while the boot id
    /// (/proc/sys/kernel/random/boot_id) and the user match; empty: no cache.
    std::string cache_path = "/run/imgdeploy/accel";
    std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
};

struct AccelChoice {
    VmAccel accel = VmAccel::tcg;
    std::string reason;  // for the log: "KVM probe: qemu exited with status 1"
    bool cached = false;
};

/// Probes (or reads the cache) and returns the choice. Never throws for a
/// KVM that does not work; only for failures of our own (e.g. tmp_dir).
AccelChoice choose_accel(const AccelProbeOptions& options);

/// The 64 KiB probe firmware (exposed for tests).
std::string kvm_probe_firmware();

}  // namespace imgdeploy
