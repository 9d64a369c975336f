// 50ChangeMachineId: a fresh machine-id, so clones of one image do not share
// it (systemd, D-Bus, DHCP client ids derived from it).

#include "common/error.hpp"
#include "common/strings.hpp"
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/target.hpp"

#include <cerrno>
#include <sys/random.h>

namespace imgdeploy::tasks {

namespace {

/// 32 lower-case hex digits of a random 128-bit id, formatted as systemd
/// does (sd_id128_randomize: a version 4, variant 1 UUID).
std::string random_machine_id() {
    unsigned char id[16];
    if (::getrandom(id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
        throw SystemError("machine id", "getrandom", errno);
    }
    id[6] = static_cast<unsigned char>((id[6] & 0x0f) | 0x40);
    id[8] = static_cast<unsigned char>((id[8] & 0x3f) | 0x80);
    return to_hex(id, sizeof id);
}

}  // namespace

void change_machine_id(const TaskContext& ctx) {
    RootDir root = open_mounted_target(ctx);
    std::string id = random_machine_id();
    int written = 0;
    for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
        auto st = root.lstat(path);
        if (!st) {
            continue;
        }
        if (S_ISLNK(st->st_mode)) {
            // Debian's /var/lib/dbus/machine-id -> /etc/machine-id: keep the link.
            ctx.report.info(std::string(path) + " is a symlink: left as it is");
            continue;
        }
        root.replace_file(path, id + "\n", root.attributes_or(path, {0444, 0, 0}));
        ++written;
    }
    if (written == 0) {
        ctx.report.warn("no /etc/machine-id or /var/lib/dbus/machine-id in the image: nothing changed");
        return;
    }
    ctx.report.info("new machine id written");
}

}  // namespace imgdeploy::tasks
