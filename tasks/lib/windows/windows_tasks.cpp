#include "tasks/lib/windows/windows_tasks.hpp"

#include <cerrno>
#include <chrono>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/filesystem_probe.hpp"
#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/mounts.hpp"
#include "tasks/lib/partition_name.hpp"
#include "tasks/lib/personality.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/tools.hpp"
#include "tasks/lib/windows/computer_name.hpp"
#include "tasks/lib/windows/ini_file.hpp"
#include "tasks/lib/windows/registry.hpp"
#include "tasks/lib/windows/unattend.hpp"
#include "tasks/lib/windows/windows_image.hpp"

namespace imgdeploy::tasks::windows {

namespace {

constexpr const char* k_shell_setup = "Microsoft-Windows-Shell-Setup";

/// A file of the helper (the floppy's answer file), whole.

/// NT major version: CurrentMajorVersionNumber (10+), else CurrentVersion "6.1".
unsigned nt_major_version(const Hive& software) {
    const char* key = "Microsoft\\Windows NT\\CurrentVersion";
    if (auto major = software.get_dword(key, "CurrentMajorVersionNumber")) {
        return *major;
    }
    auto v = software.get_string(key, "CurrentVersion");
    if (!v) {
        throw Error(std::string(k_software_hive) + ": no " + key + "\\CurrentVersion");
    }
    auto major = parse_u64(split(*v, '.').front());
    if (!major) {
        throw Error(std::string(k_software_hive) + ": CurrentVersion '" + *v +
                    "' is not a version");
    }
    return unsigned(*major);
}

/// The sysprep state: the SOFTWARE hive's Setup\State ImageState, else
/// C:\Windows\Setup\State\State.ini.
std::string image_state(const RootDir& root, const Hive& software) {
    if (auto s =
            software.get_string("Microsoft\\Windows\\CurrentVersion\\Setup\\State", "ImageState")) {
        return *s;
    }
    if (auto ini = root.read_file("/Windows/Setup/State/State.ini")) {
        if (auto s = IniFile(*ini).get("State", "ImageState")) {
            return *s;
        }
    }
    return "";
}

void install_unattend_modern(const TaskContext& ctx, const RootDir& root) {
    std::string arch = image_architecture(root);
    {
        Hive software(root, k_software_hive, false);
        unsigned major = nt_major_version(software);
        if (major < 6) {
            throw Error("OSFAMILY is windows but the image is Windows NT " + std::to_string(major) +
                        " (set OSFAMILY=windows-legacy for XP/2003)");
        }
        std::string state = image_state(root, software);
        if (state != "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE" &&
            state != "IMAGE_STATE_GENERALIZE_RESEAL_TO_AUDIT") {
            throw Error("the image is not generalized by sysprep (ImageState '" + state +
                        "'; run sysprep /generalize /oobe /shutdown before taking the image)");
        }
    }
    bool ignore = ctx.property_bool("IGNORE_UNATTEND");
    std::string path;
    std::string text;
    for (const char* p : {"/unattend.xml", "/autounattend.xml"}) {
        if (!ignore && path.empty() && root.is_file(p)) {
            path = p;
            text = *root.read_file(p);
            ctx.report.info("using the image's answer file " + path);
        }
    }
    if (path.empty()) {
        path = "/unattend.xml";
        if (!ctx.env.unattend_file.empty()) {
            text = sys::read_file(ctx.env.unattend_file, 4u << 20);
            ctx.report.info(
                "installing the answer file from the host (os_answer_file) as C:\\unattend.xml");
        } else {
            text = default_unattend_xml();
            ctx.report.info("installing imgdeploy's default answer file as C:\\unattend.xml");
        }
        if (root.is_file("/autounattend.xml")) {
            ctx.report.warn("the image's /autounattend.xml is ignored (IGNORE_UNATTEND)");
        }
    }
    if (root.is_file("/Windows/Panther/unattend.xml")) {
        ctx.report.warn("the image has /Windows/Panther/unattend.xml, which Windows reads before " +
                        RootDir::image_path(path));
    }
    UnattendXml xml(text, "answer file " + path);
    xml.add_synchronous_command(
        std::string("cmd /q /c ") + k_password_script_win, "imgdeploy: set passwords", arch);
    xml.add_synchronous_command(std::string("diskpart.exe /s ") + k_extend_script_win,
                                "imgdeploy: extend the file system",
                                arch);
    if (ctx.env.os_product_key && !ctx.env.os_product_key->empty()) {
        xml.set_setting("specialize", k_shell_setup, "ProductKey", *ctx.env.os_product_key, arch);
        ctx.report.info("product key set (os_product_key)");
    }
    root.replace_file(path, xml.serialize(), root.attributes_or(path, {0644, 0, 0}));
    root.make_dirs(k_scripts_dir, {0755, 0, 0});
    write_text(root, k_extend_script, "exit\n");
    write_text(root, k_password_script, "@echo off\n");
    root.make_dirs("/Windows/Setup/Scripts", {0755, 0, 0});
    std::string existing = root.read_file(k_setup_complete).value_or("");
    if (existing.find("rem imgdeploy: end") == std::string::npos) {
        root.replace_file(k_setup_complete,
                          setup_complete_script(existing),
                          root.attributes_or(k_setup_complete, {0644, 0, 0}));
    }
    ctx.report.info("answer file " + path + " (" + arch + ") and first-boot scripts ready");
}

std::string legacy_install_files_path(const IniFile& inf) {
    std::string p = inf.get("Unattended", "InstallFilesPath").value_or("C:\\sysprep\\i386");
    if (p.size() >= 2 && p.front() == '"' && p.back() == '"') {
        p = p.substr(1, p.size() - 2);
    }
    if (!starts_with_icase(p, "C:\\sysprep\\")) {
        throw Error("sysprep.inf [Unattended] InstallFilesPath '" + p +
                    "' is not under C:\\sysprep\\");
    }
    std::string image = p.substr(2);
    for (char& c : image) {
        c = c == '\\' ? '/' : c;
    }
    return image;
}

void install_unattend_legacy(const TaskContext& ctx, const RootDir& root) {
    {
        Hive system(root, k_system_hive, false);
        if (system.get_dword("Setup", "SystemSetupInProgress").value_or(0) != 1 ||
            system.get_dword("Setup", "MiniSetupInProgress").value_or(0) != 1) {
            throw Error("the image is not prepared by sysprep -mini (SYSTEM "
                        "Setup\\SystemSetupInProgress and "
                        "MiniSetupInProgress must be 1)");
        }
        Hive software(root, k_software_hive, false);
        if (unsigned major = nt_major_version(software); major >= 6) {
            throw Error("OSFAMILY is windows-legacy but the image is Windows NT " +
                        std::to_string(major));
        }
    }
    bool ignore = ctx.property_bool("IGNORE_UNATTEND");
    std::string text;
    if (!ignore && root.is_file(k_sysprep_inf)) {
        text = *root.read_file(k_sysprep_inf);
        ctx.report.info("using the image's C:\\sysprep\\sysprep.inf");
    } else if (!ctx.env.sysprep_inf_file.empty()) {
        text = sys::read_file(ctx.env.sysprep_inf_file, 4u << 20);
        ctx.report.info("installing the host's sysprep.inf");
    } else {
        text =
            "[Unattended]\nOemSkipEula=Yes\nInstallFilesPath=C:\\sysprep\\i386\n\n[GuiUnattended]\n"
            "OEMSkipRegional=1\nOemSkipWelcome=1\n\n[UserData]\nComputerName=*\n";
        ctx.report.info("installing imgdeploy's default sysprep.inf");
    }
    IniFile inf(text);
    std::string files = legacy_install_files_path(inf);
    if (ctx.env.os_product_key && !ctx.env.os_product_key->empty()) {
        inf.set("UserData", "ProductKey", *ctx.env.os_product_key);
    }
    root.make_dirs("/sysprep", {0755, 0, 0});
    write_text(root, k_sysprep_inf, inf.text());
    std::string cmdlines = files + "/$OEM$/cmdlines.txt";
    root.make_dirs(files + "/$OEM$", {0755, 0, 0});
    IniFile cl(root.read_file(cmdlines).value_or(""));
    cl.append_line("Commands", std::string("\"") + k_password_script_win + "\"");
    cl.append_line("Commands", std::string("\"") + k_setup_complete_win + "\"");
    write_text(root, cmdlines, cl.text());
    root.make_dirs(k_scripts_dir, {0755, 0, 0});
    write_text(root, k_password_script, "@echo off\n");
    root.make_dirs("/Windows/Setup/Scripts", {0755, 0, 0});
    std::string existing = root.read_file(k_setup_complete).value_or("");
    if (existing.find("rem imgdeploy: end") == std::string::npos) {
        write_text(root, k_setup_complete, setup_complete_script(existing));
    }
    ctx.report.info("sysprep.inf and " + cmdlines + " ready");
}

std::vector<std::string> windows_users(const TaskContext& ctx) {
    std::vector<std::string> users = split_words(ctx.env.property("USERS").value_or(""));
    if (users.empty()) {
        users.push_back("Administrator");
    }
    return users;
}

/// Waits until no one holds the device open exclusively (ntfs-3g's FUSE
/// daemon keeps it open for a moment after the unmount returns).
void wait_until_unused(const std::string& device) {
    for (int i = 0; i < 100; ++i) {
        UniqueFd fd(::open(device.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
        if (fd) {
            return;
        }
        if (errno != EBUSY) {
            throw SystemError(device, "open", errno);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw Error(device + " is still in use 10 s after the unmount (ntfs-3g still running?)");
}

} // namespace

void mount_ntfs_root(const TaskContext& ctx, const std::string& device) {
    const std::string& target = ctx.env.require_target();
    // lowntfs-3g with ignore_case: Windows paths are case-insensitive, so
    // "/Windows/System32/config/SYSTEM" finds "WINDOWS/system32/config/system".
    std::string driver = "lowntfs-3g";
    try {
        find_tool(driver);
    } catch (const Error&) {
        driver = "ntfs-3g";
    }
    std::string opts = driver == "lowntfs-3g" ? "ignore_case,windows_names,rw" : "windows_names,rw";
    WaitStatus st = run_tool({driver, device, target, "-o", opts + ",norecover"});
    if (!st.success()) {
        ctx.report.warn("the NTFS on " + device +
                        " was not cleanly unmounted (hibernated or fast startup?); "
                        "mounting it again with recovery");
        run_tool_checked({driver, device, target, "-o", opts}, "mounting the NTFS on " + device);
    }
    MountStack stack;
    stack.push(sys::realpath(target));
    RootDir root(target);
    if (!root.is_dir("/Windows/System32")) {
        throw Error("the NTFS on " + device +
                    " has no /Windows/System32: is ROOT_PARTITION right?");
    }
    stack.release();
    ctx.report.info("mounted " + device + " (ntfs, " + driver + ") on " + target);
}

void install_unattend(const TaskContext& ctx) {
    RootDir root = open_mounted_target(ctx);
    if (is_windows_legacy(ctx)) {
        install_unattend_legacy(ctx, root);
    } else {
        install_unattend_modern(ctx, root);
    }
}

std::string extend_filesystem_script(unsigned diskpart_index) {
    return "select disk 0\nselect partition " + std::to_string(diskpart_index) +
           "\nextend filesystem\nexit\n";
}

void resize_filesystem_mounted_windows(const TaskContext& ctx) {
    if (is_windows_legacy(ctx) || ctx.property_bool("OFFLINE_NTFSRESIZE")) {
        ctx.report.info("NTFS is grown offline by 81FilesystemResizeAfterUmount");
        return;
    }
    unsigned part = ctx.env.require_resize_part();
    // diskpart numbers the partitions it lists in table order (the msdos
    // extended container included), which is Linux's numbering without
    // its gaps; a volume number (snf-image) also counts CD drives etc.
    unsigned index = 0;
    for (const auto& p : kernel_partitions(ctx.env.require_disk())) {
        index += p.number <= part ? 1 : 0;
    }
    RootDir root = open_mounted_target(ctx);
    if (!root.is_file(k_extend_script)) {
        throw Error(std::string("the image has no ") + k_extend_script +
                    " (made by 35InstallUnattend)");
    }
    write_text(root, k_extend_script, extend_filesystem_script(index));
    ctx.report.info("diskpart extends partition " + std::to_string(index) + " at first boot");
}

void assign_hostname_windows(const TaskContext& ctx) {
    const std::string& name = ctx.env.hostname;
    if (auto problem = computer_name_problem(name)) {
        throw Error("SNF_IMAGE_HOSTNAME '" + name +
                    "' is not a valid Windows computer name: " + *problem);
    }
    RootDir root = open_mounted_target(ctx);
    if (is_windows_legacy(ctx)) {
        IniFile inf(root.read_file(k_sysprep_inf).value_or(""));
        inf.set("UserData", "ComputerName", name);
        write_text(root, k_sysprep_inf, inf.text());
        ctx.report.info("ComputerName " + name + " in C:\\sysprep\\sysprep.inf");
        return;
    }
    std::string path = active_unattend_path(root);
    UnattendXml xml(*root.read_file(path), "answer file " + path);
    xml.set_setting("specialize", k_shell_setup, "ComputerName", name, image_architecture(root));
    root.replace_file(path, xml.serialize(), root.attributes_or(path, {0644, 0, 0}));
    ctx.report.info("ComputerName " + name + " in " + path);
}

void change_password_windows(const TaskContext& ctx) {
    if (ctx.env.passwd_hash) {
        throw Error("img_passwd_hash cannot be used for Windows images (give img_passwd)");
    }
    if (ctx.env.auth_keys && !ctx.env.auth_keys->empty()) {
        ctx.report.warn("auth_keys ignored: Windows images have no authorized_keys");
    }
    if (!ctx.env.passwd || ctx.env.passwd->empty()) {
        ctx.report.info("no password given");
        return;
    }
    RootDir root = open_mounted_target(ctx);
    std::vector<std::string> known;
    {
        Hive sam(root, k_sam_hive, false);
        if (auto names = sam.node("SAM\\Domains\\Account\\Users\\Names")) {
            known = sam.children(*names);
        }
    }
    if (!is_windows_legacy(ctx)) {
        std::string path = active_unattend_path(root);
        for (auto& a : UnattendXml(*root.read_file(path), "answer file " + path).local_accounts()) {
            known.push_back(a);
        }
    }
    std::string pw = cmd_quote(*ctx.env.passwd, "SNF_IMAGE_PASSWD");
    std::string script = root.read_file(k_password_script).value_or("@echo off\n");
    for (const auto& user : windows_users(ctx)) {
        bool found = false;
        for (const auto& k : known) {
            found = found || iequals(k, user);
        }
        if (!found) {
            throw Error("user '" + user +
                        "' (from USERS) is neither in the SAM hive nor a LocalAccount of the "
                        "answer file");
        }
        script += "net user " + cmd_quote(user, "USERS") + " " + pw +
                  " /ACTIVE:YES /EXPIRES:NEVER /PASSWORDREQ:YES\n";
    }
    write_text(root, k_password_script, script);
    if (is_windows_legacy(ctx)) {
        IniFile inf(root.read_file(k_sysprep_inf).value_or(""));
        std::string current = inf.get("GuiUnattended", "AdminPassword").value_or("");
        if (current.empty() || current == "\"\"") {
            inf.set("GuiUnattended", "AdminPassword", pw);
            inf.set("GuiUnattended", "EncryptedAdminPassword", "No");
            write_text(root, k_sysprep_inf, inf.text());
        }
    }
    ctx.report.info("password set at first boot for " + std::to_string(windows_users(ctx).size()) +
                    " user(s)");
}

void disable_remote_desktop(const TaskContext& ctx) {
    RootDir root = open_mounted_target(ctx);
    std::string restore;
    {
        Hive system(root, k_system_hive, true);
        std::string key = system.current_control_set() + "\\Control\\Terminal Server";
        auto original = system.get_dword(key, "fDenyTSConnections");
        std::string reg_key = "\"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\"";
        restore = original ? "reg add " + reg_key + " /v fDenyTSConnections /t REG_DWORD /d " +
                                 std::to_string(*original) + " /f"
                           : "reg delete " + reg_key + " /v fDenyTSConnections /f";
        system.set_dword(key, "fDenyTSConnections", 1);
        system.commit();
    }
    add_setup_complete_lines(root, {restore});
    ctx.report.info("remote desktop disabled until setup completes");
}

void enforce_personality_windows(const TaskContext& ctx) {
    if (!ctx.env.personality || ctx.env.personality->empty()) {
        return;
    }
    std::vector<PersonalityFile> files = parse_personality(*ctx.env.personality);
    RootDir root = open_mounted_target(ctx);
    for (const auto& f : files) {
        auto [parent, name] = split_parent(f.path);
        root.make_dirs(parent, {0755, 0, 0});
        std::string backup = backup_existing(root, f.path);
        if (!backup.empty()) {
            ctx.report.info("kept the image's " + f.path + " as " + backup);
        }
        root.replace_file(f.path, f.contents, {0644, 0, 0});
        ctx.report.info("wrote " + f.path + " (owner, group and mode do not apply on Windows)");
    }
}

void resize_filesystem_after_umount(const TaskContext& ctx) {
    std::string family = ctx.env.os_family();
    std::string device = partition_device(ctx.env.require_disk(), ctx.env.require_resize_part());
    auto fs = probe_filesystem(device);
    if (!fs || fs->type != "ntfs") {
        ctx.report.info(device + " holds no NTFS: nothing to do");
        return;
    }
    if (family == "windows" && !ctx.property_bool("OFFLINE_NTFSRESIZE")) {
        ctx.report.info("NTFS is grown by diskpart at first boot (OFFLINE_NTFSRESIZE not set)");
        return;
    }
    wait_until_unused(device);
    std::string info = run_capture({find_tool("ntfsinfo"), "-m", "-f", device});
    for (const auto& line : split(info, '\n')) {
        if (line.find("Volume Flags") != std::string::npos &&
            line.find("DIRTY") != std::string::npos) {
            throw Error("the NTFS on " + device +
                        " is dirty (not shut down cleanly): not resizing it; "
                        "run chkdsk in Windows and take the image again");
        }
    }
    run_tool_checked({"ntfsresize", "-P", "-f", device}, "growing the NTFS on " + device);
    if (ctx.property_bool("OFFLINE_NTFSRESIZE_NOCHECK")) {
        ctx.report.warn(
            "OFFLINE_NTFSRESIZE_NOCHECK: clearing the dirty flag, Windows will not check the "
            "resized volume");
        run_tool_checked({"ntfsfix", "-d", device}, "clearing the dirty flag of " + device);
    } else {
        ctx.report.info("Windows checks the resized volume (chkdsk) at its first boot");
    }
}

} // namespace imgdeploy::tasks::windows
