#include "helper/early_init.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"

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
    for (const auto& line : split(sys::read_file(list_path), '\n')) {
        auto words = split_words(line);
        if (words.size() != 2 || words[0] != group) {
            continue;
        }
        const std::string& rel = words[1];
        UniqueFd fd = sys::open(base + rel, O_RDONLY);
        if (::syscall(SYS_finit_module, fd.get(), "", 0) != 0 && errno != EEXIST) {
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
