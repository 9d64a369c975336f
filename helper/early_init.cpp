#include "helper/early_init.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <linux/reboot.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// "kernel/drivers/scsi/scsi_mod.ko.xz" -> "scsi_mod" (dashes as underscores).
std::string module_name(const std::string& rel) {
    std::string name = rel.substr(rel.rfind('/') + 1);
    name = name.substr(0, name.find(".ko"));
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

/// The module's parameters from the kernel command line ("scsi_mod.scan=sync"
/// -> "scan=sync"), as modprobe passes them; finit_module does not look.
std::string module_params(const std::vector<std::string>& cmdline, const std::string& module) {
    std::string params;
    std::string prefix = module + ".";
    for (const auto& word : cmdline) {
        if (word.starts_with(prefix) && word.size() > prefix.size()) {
            params += (params.empty() ? "" : " ") + word.substr(prefix.size());
        }
    }
    return params;
}

void mount_if_absent(const char* source, const char* target, const char* type, const char* data) {
    ::mkdir(target, 0755);
    if (::mount(source, target, type, MS_NOSUID | MS_NOEXEC | (std::string(type) == "devtmpfs" ? 0 : MS_NODEV),
                data) != 0 &&
        errno != EBUSY) {
        throw SystemError(std::string("mounting ") + target, "mount", errno);
    }
}

}  // namespace

void mount_pseudo_filesystems() {
    mount_if_absent("proc", "/proc", "proc", nullptr);
    mount_if_absent("sysfs", "/sys", "sysfs", nullptr);
    mount_if_absent("devtmpfs", "/dev", "devtmpfs", "mode=0755");
    // The initramfs may lack /dev/console, leaving PID 1 without stdio.
    int console = ::open("/dev/console", O_RDWR | O_NOCTTY);
    if (console >= 0) {
        ::dup2(console, 0);
        ::dup2(console, 1);
        ::dup2(console, 2);
        if (console > 2) {
            ::close(console);
        }
    }
    mount_if_absent("tmpfs", "/run", "tmpfs", "mode=0755,size=16m");
    ::mkdir("/tmp", 01777);
    if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") != 0 &&
        errno != EBUSY) {
        throw SystemError("mounting /tmp", "mount", errno);
    }
}

std::vector<std::string> kernel_cmdline() { return split_words(sys::read_file("/proc/cmdline")); }

size_t load_modules(const std::string& list_path, const std::string& group) {
    if (!sys::stat_if_exists(list_path)) {
        return 0;
    }
    struct utsname u {};
    ::uname(&u);
    std::string base = std::string("/lib/modules/") + u.release + "/";
    size_t loaded = 0;
    std::vector<std::string> cmdline;
    if (sys::stat_if_exists("/proc/cmdline")) {
        cmdline = kernel_cmdline();
    }
    for (const auto& line : split(sys::read_file(list_path), '\n')) {
        auto words = split_words(line);
        if (words.size() != 2 || words[0] != group) {
            continue;
        }
        const std::string& rel = words[1];
        UniqueFd fd = sys::open(base + rel, O_RDONLY);
        std::string params = module_params(cmdline, module_name(rel));
        if (::syscall(SYS_finit_module, fd.get(), params.c_str(), 0) != 0 && errno != EEXIST) {
            throw SystemError("loading kernel module " + rel, "finit_module", errno);
        }
        ++loaded;
    }
    return loaded;
}

void wait_for_device(const std::string& path, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Device nodes appear when drivers finish probing; there is no udev here
    // to wait on, so look every 10 ms for a bounded time.
    while (!sys::stat_if_exists(path)) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw Error("device " + path + " did not appear within " +
                        std::to_string(timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void power_off() noexcept {
    ::sync();
    ::reboot(RB_POWER_OFF);
    // Not PID 1 (tests) or refused: nothing else to do but stop.
    ::_exit(1);
}

}  // namespace imgdeploy
