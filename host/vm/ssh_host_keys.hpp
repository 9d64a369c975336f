#pragma once
// Fresh SSH host keys for the instance, made on the host and sent on the
// parameter floppy: 50DeleteSSHKeys installs them instead of running
// ssh-keygen in the helper, where an RSA key takes seconds under TCG. The
// host only generates random keys here; it never reads the image.

#include "host/vm/floppy.hpp"

#include <string>
#include <vector>

namespace imgdeploy {

/// ssh_host_{rsa,ecdsa,ed25519}_key and their .pub, commented
/// root@<hostname>; empty when ssh-keygen is not installed (the task then
/// generates keys inside the helper).
std::vector<FloppyFile> make_ssh_host_keys(const std::string& tmp_dir, const std::string& hostname);

/// "random_seed": 512 bytes from the host's getrandom(). The helper credits
/// them to its kernel's entropy pool at once: the guest CPU has no RDRAND
/// under TCG, and its first getrandom() would otherwise block for a second.
FloppyFile make_random_seed();

}  // namespace imgdeploy
