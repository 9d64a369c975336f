#include "helper/helper_main.hpp"

#include "common/error.hpp"
#include "common/helper_protocol.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "helper/channels.hpp"
#include "helper/disk_probe.hpp"
#include "helper/early_init.hpp"
#include "helper/mounts.hpp"
#include "helper/task_runner.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/random.h>
#include <nlohmann/json.hpp>
#include <sys/ioctl.h>
#include <set>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// Where things are. PID 1 uses the defaults; tests on the host pass files.
struct HelperPaths {
    std::string result = "/dev/ttyS1";
    std::string monitor = "/dev/ttyS2";
    std::string floppy_device = "/dev/fd0";
    std::string floppy_dir = "/run/imgdeploy/floppy";
    std::string params;  // set: read this instead of mounting the floppy
    std::string tasks_dir = k_helper_tasks_dir;
    std::string target = "/run/imgdeploy/target";
    std::string scratch = "/run/imgdeploy/probe";
};

const char* const k_osfamilies[] = {"linux", "windows", "windows-legacy", "freebsd", "openbsd", "netbsd"};

/// Console lines with the time since boot, for the log and the benchmark.
void say(const std::string& text) {
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    std::printf("imgdeploy-helper [%5.2f] %s\n", static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9,
                text.c_str());
    std::fflush(stdout);
}

HelperPaths parse_args(int argc, char** argv) {
    HelperPaths p;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--result") {
            p.result = v;
        } else if (k == "--monitor") {
            p.monitor = v;
        } else if (k == "--params") {
            p.params = v;
        } else if (k == "--tasks") {
            p.tasks_dir = v;
        } else if (k == "--target") {
            p.target = v;
        } else if (k == "--scratch") {
            p.scratch = v;
        }
    }
    return p;
}

/// PID 1 only: pseudo file systems, the safety latch, kernel modules.
void boot(const HelperPaths&) {
    auto cmdline = kernel_cmdline();
    if (std::find(cmdline.begin(), cmdline.end(), "imgdeploy.activate") == cmdline.end()) {
        throw Error("booted without imgdeploy.activate on the kernel command line; refusing to "
                    "touch any disk");
    }
    size_t n = load_modules(k_helper_modules_list, "base");
    say("loaded " + std::to_string(n) + " kernel modules");
}

/// params.json from the floppy (or a file given for tests).
HelperParams read_params(const HelperPaths& paths, bool pid1) {
    std::string file = paths.params;
    if (file.empty() || pid1) {
        wait_for_device(paths.floppy_device, std::chrono::seconds(10));
        ::mkdir("/run/imgdeploy", 0700);
        ::mkdir(paths.floppy_dir.c_str(), 0700);
        if (::mount(paths.floppy_device.c_str(), paths.floppy_dir.c_str(), "vfat",
                    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "") != 0) {
            throw SystemError("the parameter floppy " + paths.floppy_device, "mount", errno);
        }
        file = paths.floppy_dir + "/" + k_params_file;
    }
    auto doc = nlohmann::json::parse(sys::read_file(file), nullptr, false);
    if (doc.is_discarded()) {
        throw Error(file + ": not valid JSON");
    }
    return helper_params_from_json(doc);
}

/// Credits the host's random bytes to the kernel's entropy pool, so the
/// first getrandom() of a task does not wait (no RDRAND under TCG).
void credit_random_seed(const std::string& path) {
    std::string seed = sys::read_file(path).substr(0, 512);
    std::vector<char> buf(sizeof(rand_pool_info) + seed.size());
    auto* info = reinterpret_cast<rand_pool_info*>(buf.data());
    info->entropy_count = static_cast<int>(seed.size() * 8);
    info->buf_size = static_cast<int>(seed.size());
    std::memcpy(info->buf, seed.data(), seed.size());
    UniqueFd fd = sys::open("/dev/urandom", O_WRONLY);
    if (::ioctl(fd.get(), RNDADDENTROPY, info) != 0) {
        say("could not credit the random seed: " + std::string(std::strerror(errno)));
    }
}

/// The kernel modules of the file systems found on the disk (libblkid
/// reads superblocks without them).
void load_filesystem_modules(const DiskLayout& layout) {
    std::set<std::string> groups;
    for (const auto& p : layout.partitions) {
        if (p.fstype == "ext2" || p.fstype == "ext3" || p.fstype == "ext4") {
            groups.insert("ext4");
        } else if (p.fstype == "xfs" || p.fstype == "btrfs") {
            groups.insert(p.fstype);
        } else if (p.fstype == "ntfs") {
            groups.insert("ntfs");
        }
    }
    for (const auto& g : groups) {
        size_t n = load_modules(k_helper_modules_list, g);
        say("loaded " + std::to_string(n) + " kernel modules for " + g);
    }
}

bool property_true(const HelperParams& p, const std::string& key) {
    auto it = p.properties.find(key);
    return it != p.properties.end() && parse_yes_no(it->second);
}

/// OSFAMILY, ROOT_PARTITION (detected when missing) and RESIZE_PART.
void describe_disk(HelperParams& params, std::map<std::string, std::string>& env,
                   const HelperPaths& paths, Channels& ch) {
    const std::string& disk = params.devices.front();
    DiskLayout layout = probe_disk(disk);
    load_filesystem_modules(layout);
    bool need_family = !params.properties.count("OSFAMILY");
    bool need_root = !params.properties.count("ROOT_PARTITION");
    if (need_family || need_root) {
        ::mkdir(paths.scratch.c_str(), 0700);
        auto found = detect_os(layout, paths.scratch);
        if (!found) {
            throw Error("cannot tell the OS of the image on " + disk +
                        ": no partition looks like a root file system; set the image properties "
                        "OSFAMILY and ROOT_PARTITION");
        }
        if (need_family) {
            env["SNF_IMAGE_PROPERTY_OSFAMILY"] = found->osfamily;
            ch.warning("OSFAMILY not given; detected " + found->osfamily);
        }
        if (need_root) {
            env["SNF_IMAGE_PROPERTY_ROOT_PARTITION"] = std::to_string(found->root_partition);
            ch.warning("ROOT_PARTITION not given; detected " + std::to_string(found->root_partition));
        }
    }
    std::string family = env["SNF_IMAGE_PROPERTY_OSFAMILY"];
    if (std::find(std::begin(k_osfamilies), std::end(k_osfamilies), family) == std::end(k_osfamilies)) {
        throw Error("unknown OSFAMILY '" + family.substr(0, 40) +
                    "' (expected linux, windows, windows-legacy, freebsd, openbsd or netbsd)");
    }
    int resize = partition_to_resize(layout);
    if (resize == 0) {
        throw Error("no partition to work on: " + disk + " has " +
                    (layout.table.empty() ? "no partition table" : "no partitions"));
    }
    env["SNF_IMAGE_RESIZE_PART"] = std::to_string(resize);
    say("disk " + disk + ": " + layout.table + " table, " + std::to_string(layout.partitions.size()) +
        " partitions, root " + env["SNF_IMAGE_PROPERTY_ROOT_PARTITION"] + ", grow " +
        std::to_string(resize));
}

void customize(const HelperPaths& paths, bool pid1, Channels& ch) {
    HelperParams params = read_params(paths, pid1);
    say("parameters read for " + params.hostname);
    for (const auto& dev : params.devices) {
        wait_for_device(dev, std::chrono::seconds(10));
    }
    auto env = task_environment(params);
    for (const auto& f : params.files) {
        if (f == "unattend.xml") {
            env["SNF_IMAGE_UNATTEND"] = paths.floppy_dir + "/unattend.xml";
        } else if (f == "sysprep.inf") {
            env["SNF_IMAGE_SYSPREPINF"] = paths.floppy_dir + "/sysprep.inf";
        } else if (f == "random_seed") {
            credit_random_seed(paths.floppy_dir + "/random_seed");
        } else if (f.rfind("ssh_host_", 0) == 0) {
            env["IMGDEPLOY_HOST_KEYS_DIR"] = paths.floppy_dir;  // made on the host
        }
    }
    if (property_true(params, "EXCLUDE_ALL_TASKS")) {
        ch.warning("EXCLUDE_ALL_TASKS is set: no task runs");
        return;
    }
    describe_disk(params, env, paths, ch);
    ::mkdir(paths.target.c_str(), 0755);
    env["SNF_IMAGE_TARGET"] = paths.target;
    TaskRunOptions o;
    o.tasks_dir = paths.tasks_dir;
    o.env = env;
    o.timeout = std::chrono::seconds(params.task_timeout_s);
    auto failure = run_tasks(o, ch);
    if (failure) {
        umount_all_under(paths.target);
        throw Error(failure->message);
    }
    say("all tasks finished");
}

}  // namespace

int helper_main(int argc, char** argv) {
    bool pid1 = ::getpid() == 1;
    HelperPaths paths = parse_args(argc, argv);
    if (pid1) {
        try {
            mount_pseudo_filesystems();
        } catch (const std::exception& e) {
            std::printf("imgdeploy-helper: %s\n", e.what());
            power_off();
        }
    }
    Channels ch(paths.result, paths.monitor);
    bool ok = false;
    try {
        say("started");
        if (pid1) {
            boot(paths);
        }
        customize(paths, pid1, ch);
        ::sync();
        ch.success();
        ok = true;
        say("SUCCESS");
    } catch (const std::exception& e) {
        say(std::string("ERROR: ") + e.what());
        ch.error(e.what());
    } catch (...) {
        ch.error("unexpected failure in imgdeploy-helper");
    }
    if (pid1) {
        power_off();
    }
    return ok ? 0 : 1;
}

}  // namespace imgdeploy
