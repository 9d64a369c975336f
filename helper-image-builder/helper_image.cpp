#include "helper-image-builder/helper_image.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/helper_protocol.hpp"
#include "common/sha256.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "helper-image-builder/initramfs_tree.hpp"
#include "helper-image-builder/kernel_image.hpp"
#include "helper-image-builder/kernel_modules.hpp"
#include "helper-image-builder/shared_libs.hpp"
#include "helper-image-builder/task_set.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>  // renameat2, RENAME_EXCHANGE (GNU)
#include <fcntl.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgdeploy::builder {

namespace {

using Type = InitramfsTree::Node::Type;

/// A program the helper's tasks call, and the Debian package it comes in.
struct ProgramSpec {
    const char* name;
    const char* package;
    bool required;  // false: included only when installed
};

constexpr ProgramSpec k_programs[] = {
    {"e2fsck", "e2fsprogs", true},     {"resize2fs", "e2fsprogs", true}, {"tune2fs", "e2fsprogs", true},
    {"dumpe2fs", "e2fsprogs", true},   {"mke2fs", "e2fsprogs", true},    {"mkfs.ext4", "e2fsprogs", true},
    {"xfs_growfs", "xfsprogs", true},  {"btrfs", "btrfs-progs", true},   {"mkswap", "util-linux", true},
    {"blkid", "util-linux", true},     {"sfdisk", "fdisk", true},        {"partx", "util-linux", true},
    {"mount", "mount", true},          {"umount", "mount", true},        {"ssh-keygen", "openssh-client", true},
    {"ntfsresize", "ntfs-3g", false},  {"ntfsfix", "ntfs-3g", false},    {"ntfs-3g", "ntfs-3g", false},
    {"lowntfs-3g", "ntfs-3g", false},  {"ntfsinfo", "ntfs-3g", false},
};

/// Where programs are looked for on the host, in this order.
constexpr const char* k_bin_dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

/// The image is merged-/usr (like Debian 12): these are symlinks into /usr.
constexpr const char* k_merged_dirs[] = {"/bin", "/sbin", "/lib", "/lib64"};

constexpr const char* k_passwd = "root:x:0:0:root:/root:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
constexpr const char* k_group = "root:x:0:\nnogroup:x:65534:\n";
constexpr const char* k_nsswitch = "passwd: files\ngroup: files\nshadow: files\nhosts: files\n";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// "/lib/x" -> "/usr/lib/x": the image's real location of a path.
std::string merged_usr(const std::string& path) {
    for (const char* dir : k_merged_dirs) {
        if (path == dir || starts_with(path, std::string(dir) + "/")) {
            return "/usr" + path;
        }
    }
    return path;
}

std::string dirname_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string basename_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

/// Normalized permissions, so the host's umask does not leak into the image.
uint32_t file_mode(const struct stat& st) { return (st.st_mode & 0111) ? 0755 : 0644; }

bool is_executable_file(const std::string& path) {
    auto st = sys::stat_if_exists(path);
    return st && S_ISREG(st->st_mode) && (st->st_mode & 0111);
}

std::optional<std::string> find_program(const std::string& name) {
    for (const char* dir : k_bin_dirs) {
        std::string path = std::string(dir) + "/" + name;
        if (is_executable_file(path)) {
            return path;
        }
    }
    return std::nullopt;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : sep) + item;
    }
    return out;
}

/// Everything the initramfs will hold, and what the manifest says about it.
class Assembler {
  public:
    InitramfsTree tree;
    std::vector<std::string> programs;  // image paths
    std::set<std::string> libraries;    // image paths
    std::vector<std::string> modules;   // load order, relative to /lib/modules/<v>
    uint64_t module_bytes = 0;
    std::vector<std::string> tasks;
    std::vector<std::string> dropin_tasks;
    std::string shell;  // "busybox" or "dash"
    bool has_ntfs3g = false;

    void add_base_layout();
    void add_helper(const std::string& helper_binary);
    void add_own_program(const std::string& image_path, const std::string& host_path);
    void add_tasks(const TaskSet& set);
    void add_programs();
    void add_shell();
    void add_modules(const KernelChoice& kernel);
    void check_script_interpreters() const;

  private:
    std::string add_host_object(const std::string& host_path);
    void add_libraries_of(const std::string& host_path);
    void add_busybox_applets(const std::string& busybox);

    std::set<std::string> m_program_names;
    /// Scripts (described for errors) and their #! interpreter, checked at the end.
    std::vector<std::pair<std::string, std::string>> m_scripts;
};

void Assembler::add_base_layout() {
    for (const char* dir : {"/dev", "/proc", "/sys", "/run", "/mnt", "/etc/imgdeploy", "/usr/bin", "/usr/sbin",
                            "/usr/lib", "/usr/lib64"}) {
        tree.add_directory(dir);
    }
    tree.add_directory("/root", 0700);
    tree.add_directory("/tmp", 01777);
    tree.add_directory("/var/tmp", 01777);
    for (const char* dir : k_merged_dirs) {
        tree.add_symlink(dir, std::string("usr") + dir);
    }
    // The kernel opens /dev/console for init before anything mounts /dev.
    tree.add_char_device("/dev/console", 0600, 5, 1);
    tree.add_char_device("/dev/null", 0666, 1, 3);
    tree.add_file("/etc/passwd", 0644, k_passwd);
    tree.add_file("/etc/group", 0644, k_group);
    tree.add_file("/etc/nsswitch.conf", 0644, k_nsswitch);
    tree.add_symlink("/etc/mtab", "../proc/self/mounts");
}

/// Adds a host file at the path the image's loader and PATH expect (its
/// real directory, merged into /usr), recreating each symlink on the way
/// (mkfs.ext4 -> mke2fs, libblkid.so.1 -> libblkid.so.1.1.0). Returns the
/// image path of `host_path` itself.
std::string Assembler::add_host_object(const std::string& host_path) {
    std::string first;
    std::string current = host_path;
    for (int hops = 0; hops < 40; ++hops) {
        std::string real_dir = sys::realpath(dirname_of(current));
        std::string image_path = merged_usr((real_dir == "/" ? "" : real_dir) + "/" + basename_of(current));
        if (first.empty()) {
            first = image_path;
        }
        struct stat st {};
        if (::lstat(current.c_str(), &st) != 0) {
            throw SystemError(current, "lstat", errno);
        }
        if (S_ISREG(st.st_mode)) {
            tree.add_host_file(image_path, file_mode(st), current);
            return first;
        }
        if (!S_ISLNK(st.st_mode)) {
            throw Error(current + " is not a regular file");
        }
        std::string target = std::filesystem::read_symlink(current).string();
        tree.add_symlink(image_path, target);
        current = target[0] == '/' ? target : real_dir + "/" + target;
    }
    throw Error(host_path + ": too many levels of symbolic links");
}

void Assembler::add_libraries_of(const std::string& host_path) {
    for (const std::string& lib : shared_libraries(host_path)) {
        libraries.insert(add_host_object(lib));
    }
}

/// Our own ELF programs (the helper, the built-in tasks) go in without
/// debug information when binutils' strip is there: a RelWithDebInfo build
/// is several times larger, and every byte of the initramfs is copied into
/// the VM at boot.
void Assembler::add_own_program(const std::string& image_path, const std::string& host_path) {
    std::optional<std::string> strip = find_program("strip");
    if (!strip) {
        tree.add_host_file(image_path, 0755, host_path);
        return;
    }
    TempFile stripped("/tmp", "imgdeploy-strip.");
    run_capture({*strip, "--strip-debug", "-o", stripped.path(), host_path});
    tree.add_file(image_path, 0755, sys::read_file(stripped.path()));
}

void Assembler::add_helper(const std::string& helper_binary) {
    if (!sys::stat_if_exists(helper_binary)) {
        throw Error("no helper binary " + helper_binary +
                    " (build imgdeploy-helper, or pass --helper-binary PATH)");
    }
    ExecutableInfo info = inspect_executable(helper_binary);
    if (info.kind == ExecutableInfo::Kind::other || !is_executable_file(helper_binary)) {
        throw Error("helper binary " + helper_binary + " is not an executable ELF program or script");
    }
    if (info.kind == ExecutableInfo::Kind::elf) {
        add_own_program("/init", sys::realpath(helper_binary));
    } else {
        tree.add_host_file("/init", 0755, sys::realpath(helper_binary));
    }
    if (info.kind == ExecutableInfo::Kind::script) {
        m_scripts.emplace_back("the helper binary " + helper_binary, info.interpreter);
    } else {
        add_libraries_of(helper_binary);
    }
}

void Assembler::add_tasks(const TaskSet& set) {
    for (const SkippedTask& s : set.skipped) {
        spdlog::warn("skipping {}: {}", s.path, s.reason);
    }
    for (const Task& t : set.tasks) {
        if (t.replaces_builtin) {
            spdlog::info("drop-in task {} replaces the built-in task of that name", t.source_path);
        }
        std::string image_path = std::string(k_helper_tasks_dir) + "/" + t.name;
        ExecutableInfo info = inspect_executable(t.source_path);
        if (info.kind == ExecutableInfo::Kind::elf && !t.drop_in) {
            add_own_program(image_path, sys::realpath(t.source_path));
        } else {
            tree.add_host_file(image_path, 0755, sys::realpath(t.source_path));
        }
        if (info.kind == ExecutableInfo::Kind::script) {
            m_scripts.emplace_back("task " + t.source_path, info.interpreter);
        } else if (info.kind == ExecutableInfo::Kind::elf) {
            add_libraries_of(t.source_path);
        }
        tasks.push_back(t.name);
        if (t.drop_in) {
            dropin_tasks.push_back(t.name);
        }
    }
    tree.add_directory(k_helper_tasks_dir);
}

void Assembler::add_programs() {
    std::vector<std::string> missing;
    for (const ProgramSpec& p : k_programs) {
        std::optional<std::string> path = find_program(p.name);
        if (!path) {
            if (p.required) {
                missing.push_back(std::string(p.name) + " (install " + p.package + ")");
            } else {
                spdlog::info("{} is not installed ({}): left out", p.name, p.package);
            }
            continue;
        }
        programs.push_back(add_host_object(*path));
        m_program_names.insert(p.name);
        add_libraries_of(*path);
        has_ntfs3g = has_ntfs3g || std::string(p.name) == "ntfs-3g";
    }
    if (!missing.empty()) {
        throw Error("programs the helper needs are missing on this host: " + join(missing, ", "));
    }
    // libhivex (the Windows tasks) converts registry key names with
    // iconv: LATIN1 and UTF-16LE, which are gconv modules, not built in.
    for (const char* dir : {"/usr/lib/x86_64-linux-gnu/gconv", "/usr/lib64/gconv", "/usr/lib/gconv"}) {
        if (sys::stat_if_exists(std::string(dir) + "/gconv-modules")) {
            for (const char* f : {"gconv-modules", "ISO8859-1.so", "UTF-16.so"}) {
                if (sys::stat_if_exists(std::string(dir) + "/" + f)) {
                    add_host_object(std::string(dir) + "/" + f);
                }
            }
            break;
        }
    }
}

void Assembler::add_busybox_applets(const std::string& busybox) {
    // "busybox --list-full" prints the applets' install paths: "usr/bin/awk".
    size_t links = 0;
    for (const std::string& line : split(run_capture({busybox, "--list-full"}), '\n')) {
        std::string path = merged_usr("/" + line);
        if (line.find('/') == std::string::npos || m_program_names.count(basename_of(path)) ||
            tree.contains(path)) {
            continue;  // linuxrc, or a real program of that name is in the image
        }
        tree.add_symlink(path, "/usr/bin/busybox");
        ++links;
    }
    spdlog::debug("busybox: {} applet links", links);
}

void Assembler::add_shell() {
    for (const char* candidate : {"/usr/bin/busybox", "/bin/busybox", "/usr/sbin/busybox"}) {
        if (!is_executable_file(candidate)) {
            continue;
        }
        std::string image_path = add_host_object(candidate);
        if (image_path != "/usr/bin/busybox") {
            tree.add_symlink("/usr/bin/busybox", image_path);
        }
        add_libraries_of(candidate);
        add_busybox_applets(candidate);
        programs.push_back("/usr/bin/busybox");
        shell = "busybox";
        return;
    }
    std::optional<std::string> dash = find_program("dash");
    if (!dash) {
        throw Error("no shell for the helper: install busybox-static (or busybox, or dash)");
    }
    spdlog::warn("busybox is not installed: /bin/sh is dash, and shell tasks get no other utilities");
    std::string image_path = add_host_object(*dash);
    add_libraries_of(*dash);
    tree.add_symlink("/usr/bin/sh", image_path);
    programs.push_back(image_path);
    shell = "dash";
}

void Assembler::add_modules(const KernelChoice& kernel) {
    ModuleIndex index = ModuleIndex::load(kernel.modules_dir);
    // modules.load lines are "<group> <path>": the helper loads group "base"
    // at boot and a file system's group only when a disk holds that file
    // system (btrfs alone costs seconds under TCG: raid6 and xor benchmark
    // themselves when they load).
    std::vector<std::pair<std::string, std::string>> order;  // group, path
    for (const auto& [group, names] : helper_module_groups(has_ntfs3g)) {
        ModuleSelection sel = index.resolve(names);
        for (const std::string& name : sel.missing) {
            spdlog::warn("kernel {} has no module {} (and does not build it in)", kernel.version, name);
        }
        if (!sel.builtin.empty()) {
            spdlog::debug("built into kernel {}: {}", kernel.version, join(sel.builtin, ", "));
        }
        for (const std::string& path : sel.load_order) {
            order.emplace_back(group, path);  // a shared dependency is listed in each group
        }
    }
    std::string image_dir = "/usr/lib/modules/" + kernel.version + "/";
    std::string list;
    for (const auto& [group, path] : order) {
        std::string stored = stored_module_path(path);
        list += group + " " + stored + "\n";
        if (std::find(modules.begin(), modules.end(), stored) != modules.end()) {
            continue;  // already in the image for an earlier group
        }
        std::string host_file = kernel.modules_dir + "/" + path;
        auto st = sys::stat_if_exists(host_file);
        if (!st) {
            throw Error("kernel module " + host_file + " is listed in modules.dep but missing: reinstall the "
                        "kernel's package (linux-image-" + kernel.version + ")");
        }
        if (stored == path) {
            tree.add_host_file(image_dir + stored, 0644, host_file);
            module_bytes += static_cast<uint64_t>(st->st_size);
        } else {
            std::string data = read_module(host_file);
            module_bytes += data.size();
            tree.add_file(image_dir + stored, 0644, std::move(data));
        }
        modules.push_back(stored);
    }
    tree.add_file(k_helper_modules_list, 0644, list);
}

void Assembler::check_script_interpreters() const {
    for (const auto& [script, interpreter] : m_scripts) {
        std::optional<std::string> real = interpreter.empty() ? std::nullopt : tree.resolve(interpreter);
        const InitramfsTree::Node* node = real ? tree.find(*real) : nullptr;
        if (!node || node->type != Type::file) {
            throw Error(script + " is a script for " + (interpreter.empty() ? "no interpreter" : interpreter) +
                        ", which the helper image does not have (write tasks for /bin/sh, or as programs)");
        }
    }
}

/// The kernel file to ship.
struct PreparedKernel {
    std::string data;
    std::string format;       // "pvh-elf" or "bzimage"
    std::string compression;  // of the bzImage payload, when extracted
};

PreparedKernel prepare_kernel(const KernelChoice& k) {
    std::string bzimage = sys::read_file(k.image_path);
    try {
        ExtractedKernel x = extract_vmlinux(bzimage, k.image_path);
        if (auto entry = pvh_entry(x.elf)) {
            spdlog::debug("{}: PVH entry point {:#x}", k.image_path, *entry);
            return {std::move(x.elf), "pvh-elf", x.compression};
        }
        spdlog::warn("{}: the kernel has no PVH entry point (CONFIG_PVH): shipping the bzImage, "
                     "which boots 2-3 times slower under TCG",
                     k.image_path);
    } catch (const Error& e) {
        spdlog::warn("{}: shipping the bzImage as it is", e.what());
    }
    return {std::move(bzimage), "bzimage", ""};
}

class OutputFile {
  public:
    OutputFile(const std::string& dir, const std::string& name)
        : m_path(dir + "/" + name), m_fd(sys::open(m_path, O_WRONLY | O_CREAT | O_EXCL, 0644)) {
        if (::fchmod(m_fd.get(), 0644) != 0) {  // whatever the umask
            throw SystemError(m_path, "fchmod", errno);
        }
    }
    int fd() const { return m_fd.get(); }
    const std::string& path() const { return m_path; }
    void write(const std::string& data) { sys::write_full(m_fd.get(), data.data(), data.size(), m_path); }
    void close() {
        sys::fdatasync(m_fd.get(), m_path);
        m_fd.reset();
    }

  private:
    std::string m_path;
    UniqueFd m_fd;
};

std::string sha256_of(const std::string& data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.hex_digest();
}

nlohmann::json manifest(const BuildOptions& o, const KernelChoice& k, const PreparedKernel& pk, const Assembler& a,
                        const std::string& kernel_sha, const InitramfsTree::WriteResult& initramfs) {
    nlohmann::json m;
    m["imgdeploy_version"] = IMGDEPLOY_VERSION;
    m["protocol_version"] = k_helper_protocol_version;
    m["kernel_version"] = k.version;
    m["kernel_format"] = pk.format;
    m["programs"] = a.programs;
    m["libraries"] = std::vector<std::string>(a.libraries.begin(), a.libraries.end());
    m["modules"] = a.modules;
    m["tasks"] = a.tasks;
    m["dropin_tasks"] = a.dropin_tasks;
    m["shell"] = a.shell;
    m["files"] = {{"kernel", kernel_sha}, {"initramfs", initramfs.sha256}};
    m["sizes"] = {{"kernel", pk.data.size()}, {"initramfs", initramfs.bytes}};
    m["built_from"] = {{"kernel", k.image_path},
                       {"kernel_compression", pk.compression},
                       {"modules_dir", k.modules_dir},
                       {"helper_binary", o.helper_binary},
                       {"builtin_tasks", o.builtin_tasks_dir},
                       {"tasks_dir", o.tasks_dir}};
    if (o.source_date_epoch) {
        m["source_date_epoch"] = *o.source_date_epoch;
    }
    return m;
}

void fsync_dir(const std::string& dir) {
    UniqueFd fd = sys::open(dir, O_RDONLY | O_DIRECTORY);
    if (::fsync(fd.get()) != 0) {
        throw SystemError(dir, "fsync", errno);
    }
}

/// An existing output directory is replaced only when it looks like a
/// helper image (or is empty): a mistyped --output must not wipe /etc.
void check_replaceable(const std::string& dir) {
    auto st = sys::stat_if_exists(dir);
    if (!st) {
        return;
    }
    if (!S_ISDIR(st->st_mode)) {
        throw Error(dir + " exists and is not a directory");
    }
    bool empty = std::filesystem::is_empty(dir);
    if (!empty && !sys::stat_if_exists(dir + "/manifest.json")) {
        throw Error(dir + " exists and is not a helper image (no manifest.json): refusing to replace it");
    }
}

/// Puts the finished `tmp` in place of `out`. With an old image there,
/// RENAME_EXCHANGE swaps the two in one step, so readers see either the old
/// image or the new one; `tmp` then holds the old one, which TempDir removes.
void replace_output(TempDir& tmp, const std::string& out) {
    if (!sys::stat_if_exists(out)) {
        if (::rename(tmp.path().c_str(), out.c_str()) != 0) {
            throw SystemError("moving " + tmp.path() + " to " + out, "rename", errno);
        }
        tmp.release();
    } else if (::renameat2(AT_FDCWD, tmp.path().c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0) {
        if (errno != EINVAL && errno != ENOSYS) {
            throw SystemError("replacing " + out + " with " + tmp.path(), "renameat2", errno);
        }
        // No RENAME_EXCHANGE on this file system: two renames, with a
        // moment in between where DIR is missing.
        TempDir old(dirname_of(out), basename_of(out) + ".old-");
        if (::rename(out.c_str(), old.path().c_str()) != 0) {
            throw SystemError("moving " + out + " to " + old.path(), "rename", errno);
        }
        if (::rename(tmp.path().c_str(), out.c_str()) != 0) {
            throw SystemError("moving " + tmp.path() + " to " + out, "rename", errno);
        }
        tmp.release();
    }
    fsync_dir(dirname_of(out));
}

std::string absolute(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

void make_parent(const std::string& out) {
    std::error_code ec;
    std::filesystem::create_directories(dirname_of(out), ec);
    if (ec) {
        throw Error("cannot create " + dirname_of(out) + ": " + ec.message());
    }
}

}  // namespace

std::vector<std::string> helper_module_names(bool with_fuse) {
    std::vector<std::string> names;
    for (const auto& [group, group_names] : helper_module_groups(with_fuse)) {
        names.insert(names.end(), group_names.begin(), group_names.end());
    }
    return names;
}

std::vector<std::pair<std::string, std::vector<std::string>>> helper_module_groups(bool with_fuse) {
    std::vector<std::pair<std::string, std::vector<std::string>>> groups = {
        {"base", {"virtio_pci", "virtio_blk", "virtio_scsi", "sd_mod", "floppy", "vfat", "nls_cp437",
                  "nls_utf8", "nls_ascii"}},
        {"ext4", {"ext4"}},
        {"xfs", {"xfs"}},
        {"btrfs", {"btrfs"}},
    };
    if (with_fuse) {
        groups.push_back({"ntfs", {"fuse"}});
    }
    return groups;
}

BuildReport build_helper_image(const BuildOptions& options) {
    auto started = std::chrono::steady_clock::now();
    std::string out = absolute(options.output_dir);
    while (out.size() > 1 && out.back() == '/') {
        out.pop_back();
    }
    check_replaceable(out);

    KernelChoice kernel = choose_kernel(options.kernel, options.boot_dir, options.modules_root);
    spdlog::info("kernel {} from {}", kernel.version, kernel.image_path);
    PreparedKernel pk = prepare_kernel(kernel);

    Assembler a;
    a.add_base_layout();
    a.add_helper(options.helper_binary);
    a.add_tasks(collect_tasks(options.builtin_tasks_dir, options.tasks_dir));
    a.add_programs();
    a.add_shell();
    a.add_modules(kernel);
    a.check_script_interpreters();

    make_parent(out);
    TempDir tmp(dirname_of(out), basename_of(out) + ".tmp-");
    if (::chmod(tmp.path().c_str(), 0755) != 0) {  // qemu reads it as an unprivileged user
        throw SystemError(tmp.path(), "chmod", errno);
    }
    OutputFile kf(tmp.path(), "kernel");
    kf.write(pk.data);
    kf.close();
    OutputFile inf(tmp.path(), "initramfs");
    InitramfsTree::WriteResult ir = a.tree.write(inf.fd(), inf.path(), options.source_date_epoch.value_or(0));
    inf.close();
    OutputFile mf(tmp.path(), "manifest.json");
    mf.write(manifest(options, kernel, pk, a, sha256_of(pk.data), ir).dump(2) + "\n");
    mf.close();
    fsync_dir(tmp.path());
    replace_output(tmp, out);

    BuildReport r{out,          kernel.version, pk.format,      pk.data.size(), ir.bytes,  a.programs.size(),
                  a.libraries.size(), a.modules.size(), a.module_bytes, a.tasks.size()};
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("kernel: {} {} ({})", pk.format, human_bytes(r.kernel_bytes), kernel.version);
    spdlog::info("initramfs: {} entries, {}: {} programs, {} libraries, {} modules ({}), {} tasks, shell {}",
                 ir.entries, human_bytes(ir.bytes), r.programs, r.libraries, r.modules, human_bytes(r.module_bytes),
                 r.tasks, a.shell);
    spdlog::info("helper image written to {} in {:.1f} s", out, secs);
    return r;
}

}  // namespace imgdeploy::builder
