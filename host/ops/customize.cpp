#include "host/ops/customize.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "host/ops/answer_file.hpp"
#include "host/vm/accel.hpp"
#include "host/vm/floppy.hpp"
#include "host/vm/ssh_host_keys.hpp"
#include "host/vm/helper_image.hpp"
#include "host/vm/helper_vm.hpp"
#include "host/vm/qemu_command.hpp"
#include "host/vm/supervisor.hpp"

#include <fcntl.h>
#include <optional>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// OS parameters exported when defined, even when empty (snf-image's
/// ${VAR+x} tests), by their SNF_IMAGE_ name.
const std::pair<const char*, const char*> k_exported_if_defined[] = {
    {"img_passwd", "PASSWD"},       {"img_passwd_hash", "PASSWD_HASH"},
    {"auth_keys", "AUTH_KEYS"},     {"os_product_key", "OS_PRODUCT_KEY"},
    {"cloud_userdata", "CLOUD_USERDATA"},
};
/// ... and these only when not empty.
const std::pair<const char*, const char*> k_exported_if_set[] = {
    {"img_personality", "PERSONALITY"},
    {"img_properties", "PROPERTIES"},
    {"inst_properties", "INST_PROPERTIES"},
};

HelperImage load_helper(const std::string& dir) {
    try {
        return load_helper_image(dir);
    } catch (const Error& e) {
        throw Error(std::string("customization: ") + e.what() +
                    " (or set the image property EXCLUDE_ALL_TASKS=yes to copy only)");
    }
}

/// qemu runs as the helper user; only root can switch to it (a non-root
/// caller, e.g. a developer's test run, runs qemu as itself).
std::optional<RunAs> helper_user(const HelperConfig& config) {
    if (::geteuid() != 0) {
        spdlog::warn("not running as root: the helper VM runs as this user, not '{}'",
                     config.user);
        return std::nullopt;
    }
    return resolve_run_as(config.user);
}

VmAccel choose(const Config& config, const std::optional<RunAs>& run_as) {
    if (config.helper.accel != Accel::auto_) {
        VmAccel forced = config.helper.accel == Accel::kvm ? VmAccel::kvm : VmAccel::tcg;
        spdlog::info("helper VM accelerator: {} (helper.accel)", to_string(forced));
        return forced;
    }
    AccelProbeOptions o;
    o.tmp_dir = config.tmp_dir;
    o.run_as = run_as;
    AccelChoice c = choose_accel(o);
    spdlog::info("helper VM accelerator: {} ({})", to_string(c.accel), c.reason);
    return c.accel;
}

/// The instance's other disks, opened like disk 0 (exclusively, O_DIRECT
/// where the file system allows it) for as long as the VM runs.
std::vector<TargetDisk> open_other_disks(const DeploymentRequest& request) {
    std::vector<TargetDisk> disks;
    for (size_t i = 1; i < request.disks.size(); ++i) {
        disks.emplace_back(request.disks[i], TargetDisk::Access::read_write);
    }
    return disks;
}

QemuDisk qemu_disk(const TargetDisk& disk) {
    int flags = ::fcntl(disk.direct_fd(), F_GETFL);
    return QemuDisk{disk.direct_fd(), disk.is_block_device(), flags >= 0 && (flags & O_DIRECT)};
}

std::string property_string(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

/// Turns how the VM ended into success or the one error line.
void check_outcome(const VmOutcome& out, const HelperConfig& config, ProgressSink& progress) {
    if (out.timed_out) {
        throw Error("customization did not finish within " + std::to_string(config.soft_timeout_s) +
                    " s (helper VM killed)");
    }
    std::string result = out.result_line.value_or("");
    bool helper_error = result.rfind("ERROR:", 0) == 0;
    std::string error_text = std::string(trim(helper_error ? result.substr(6) : result));
    if (!out.status.success()) {
        throw Error("customization failed: " +
                    (helper_error ? error_text
                                  : "the helper VM " + out.status.describe() +
                                        (out.last_stderr.empty() ? "" : " (" + out.last_stderr + ")")));
    }
    progress.info("Customization VM exited normally.");
    progress.info("Checking customization status...");
    progress.info("Customization status is: " + result);
    if (result == k_result_success) {
        progress.info("Image customization finished successfully.");
        return;
    }
    if (helper_error) {
        throw Error("customization failed: " + error_text);
    }
    if (!out.errors.empty()) {
        throw Error("customization failed: " + out.errors.back());
    }
    throw Error("customization failed: " +
                (result.empty() ? std::string("the helper VM ended without reporting a result")
                                : "the helper reported '" + result.substr(0, 200) + "'"));
}

}  // namespace

HelperParams make_helper_params(const DeploymentRequest& request, const OsParameters& params,
                                const ImageRequest& image, const std::vector<std::string>& devices) {
    HelperParams p;
    p.hostname = request.instance_name;
    p.image_type = to_string(image.format);
    p.hypervisor = request.hypervisor.empty() ? "kvm" : request.hypervisor;
    p.devices = devices;
    for (const auto& [param, name] : k_exported_if_defined) {
        if (auto v = params.get(param)) {
            p.optional[name] = *v;
        }
    }
    for (const auto& [param, name] : k_exported_if_set) {
        if (auto v = params.get(param); v && !v->empty()) {
            p.optional[name] = *v;
        }
    }
    for (const auto& [key, value] : image.properties.items()) {
        p.properties[key] = property_string(value);
    }
    p.nics = request.nic_vars;
    return p;
}

void customize_image(const DeploymentRequest& request, const OsParameters& params,
                     const ImageRequest& image, const TargetDisk& disk0) {
    const Config& config = request.config;
    ProgressSink& progress = *request.progress;
    // 1. The helper image, built for our protocol.
    HelperImage helper = load_helper(config.helper.dir);
    spdlog::info("helper image {}: kernel {} ({}), built by imgdeploy {}", helper.dir,
                 helper.kernel_version, to_string(helper.kernel_format), helper.imgdeploy_version);
    // 2. Who runs qemu, and with which accelerator.
    std::optional<RunAs> run_as = helper_user(config.helper);
    VmAccel accel = choose(config, run_as);
    // 3. The disks as the guest sees them, and the parameters on a floppy.
    DiskBus bus = disk_bus_for(request.disk_type);
    std::vector<TargetDisk> others = open_other_disks(request);
    HelperParams helper_params =
        make_helper_params(request, params, image, guest_disk_names(bus, request.disks.size()));
    FloppySpec floppy_spec;
    floppy_spec.tmp_dir = config.tmp_dir;
    floppy_spec.extra = make_ssh_host_keys(config.tmp_dir, request.instance_name);
    floppy_spec.extra.push_back(make_random_seed());
    for (auto& f : answer_file_floppy_files(config, params)) {
        helper_params.properties["IGNORE_UNATTEND"] = "yes";  // os_answer_file wins (§2.2)
        floppy_spec.extra.push_back(std::move(f));
    }
    for (const auto& f : floppy_spec.extra) {
        helper_params.files.push_back(f.name);
    }
    floppy_spec.params_json = to_json(helper_params).dump();
    ParameterFloppy floppy(floppy_spec);
    // 4. The VM: disks, floppy and serial pipes passed as fds, qemu as the helper user.
    QemuSpec spec;
    spec.accel = accel;
    spec.memory_mib = config.helper.memory_mib;
    spec.kernel = helper.kernel;
    spec.initramfs = helper.initramfs;
    spec.kernel_format = helper.kernel_format;
    spec.bus = bus;
    spec.disks.push_back(qemu_disk(disk0));
    for (const TargetDisk& d : others) {
        spec.disks.push_back(qemu_disk(d));
    }
    spec.floppy_fd = floppy.read_only_fd();
    spec.run_as = run_as;
    progress.info("Starting customization VM...");
    HelperVm vm = HelperVm::start(spec);
    // 5. Supervise it: forward its events, enforce the deadlines.
    SupervisorOptions so;
    so.soft_timeout = std::chrono::seconds(config.helper.soft_timeout_s);
    so.hard_timeout = std::chrono::seconds(config.helper.hard_timeout_s);
    so.progress = &progress;
    so.signals = request.signals;
    VmOutcome outcome = supervise(vm, so);
    // 6. Success only on "SUCCESS" from a VM that exited normally.
    check_outcome(outcome, config.helper, progress);
}

}  // namespace imgdeploy
