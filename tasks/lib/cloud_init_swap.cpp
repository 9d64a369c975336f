// 50AddSwap in cloud-init mode, partition form (SNF-IMAGE-REFERENCE §5.5):
// 10FixPartitionTable does not run in this mode, so cloud-init makes a swap
// file instead: swap: {filename: /swap-<random>.img, size: auto,
// maxsize: MB * 2^20} (cloud-init sizes it from the memory, at most MB).

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/target.hpp"

#include <cerrno>
#include <sys/random.h>

namespace imgdeploy::tasks {

void add_swap_cloud_init(const TaskContext& ctx, uint64_t mib) {
    unsigned char r[4];
    if (::getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
        throw SystemError("swap file name", "getrandom", errno);
    }
    RootDir root = open_mounted_target(ctx);
    YAML::Node config;
    config["swap"]["filename"] = "/swap-" + to_hex(r, sizeof r) + ".img";
    config["swap"]["size"] = "auto";
    config["swap"]["maxsize"] = mib << 20;
    write_cloud_dropin(ctx, root, config);
}

}  // namespace imgdeploy::tasks
