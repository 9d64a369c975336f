// 35InitializeDatasource (cloud-init mode only): the NoCloud seed of this
// deployment, in the seed directory and inline (tasks/lib/cloud_init.hpp).

#include "common/base64.hpp"
#include "common/error.hpp"
#include "tasks/lib/cloud_init.hpp"
#include "tasks/lib/hostname.hpp"
#include "tasks/lib/target.hpp"

namespace imgdeploy::tasks {

void initialize_datasource(const TaskContext& ctx) {
    if (!cloud_init_mode(ctx)) {
        ctx.report.info("CLOUD_INIT is not set: nothing to do");
        return;
    }
    std::string user_data;
    if (ctx.env.cloud_userdata) {
        auto decoded = base64_decode(*ctx.env.cloud_userdata);
        if (!decoded) {
            throw Error("SNF_IMAGE_CLOUD_USERDATA (OS parameter cloud_userdata) is not valid base64");
        }
        user_data = std::move(*decoded);
    }
    RootDir root = open_mounted_target(ctx);
    if (!root.lstat("/etc/cloud") && !root.lstat("/usr/bin/cloud-init")) {
        throw Error("CLOUD_INIT is set but the image has no /etc/cloud and no /usr/bin/cloud-init: "
                    "is cloud-init installed?");
    }
    CloudSeed seed;
    seed.meta_data["instance-id"] = random_instance_id();
    if (!ctx.env.hostname.empty() && !hostname_problem(ctx.env.hostname)) {
        seed.meta_data["local-hostname"] = ctx.env.hostname;
    }
    seed.user_data = std::move(user_data);
    write_cloud_seed(ctx, root, seed);
    ctx.report.info(std::string("NoCloud seed written to ") + k_nocloud_seed_dir + " and " +
                    cloud_dropin_path(ctx.env.task_name) + (cloud_init_debug(ctx) ? " (CLOUD_INIT_DEBUG: secrets kept)" : ""));
}

}  // namespace imgdeploy::tasks
