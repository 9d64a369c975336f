#include "tasks/lib/unix_users.hpp"
#include "tasks/lib/bsd/bsd_tasks.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "tasks/lib/accounts.hpp"
#include "tasks/lib/authorized_keys.hpp"
#include "tasks/lib/bsd/disklabel.hpp"
#include "tasks/lib/bsd/master_passwd.hpp"
#include "tasks/lib/hostname.hpp"
#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/mounts.hpp"
#include "tasks/lib/password_hash.hpp"
#include "tasks/lib/sshd_config.hpp"
#include "tasks/lib/target.hpp"
#include "tasks/lib/tools.hpp"

namespace imgdeploy::tasks::bsd {

namespace {

constexpr FileAttributes k_config{0644, 0, 0};

bool given(const std::optional<std::string>& v) {
    return v && !v->empty();
}

/// The kernel's view after the growth: MBR slices 1-4 and the BSD
/// subpartitions numbered from 5 (msdos.c parse_bsd).
std::vector<PartitionExtent> kernel_table(const BsdDisk& d) {
    std::vector<PartitionExtent> out;
    for (const auto& s : d.mbr) {
        out.push_back({s.number, s.start * k_sector, s.size * k_sector, false});
    }
    for (const auto& [letter, number] : linux_numbers(d)) {
        const BsdPartition& p = d.partitions[size_t(letter - 'a')];
        out.push_back({number, p.offset * k_sector, p.size * k_sector, false});
    }
    return out;
}

} // namespace

bool is_bsd(const TaskContext& ctx) {
    std::string f = ctx.env.os_family();
    return f == "freebsd" || f == "openbsd" || f == "netbsd";
}

bool has_disklabel(const TaskContext& ctx) {
    std::string f = ctx.env.os_family();
    return f == "openbsd" || f == "netbsd";
}

void grow_disklabel(const TaskContext& ctx) {
    const std::string& disk = ctx.env.require_disk();
    UniqueFd fd = sys::open(disk, O_RDWR | O_CLOEXEC);
    uint64_t sectors = sys::block_device_size(fd.get(), disk) / k_sector;
    std::string head(k_sector, '\0');
    sys::pread_full(fd.get(), head.data(), head.size(), 0, disk);
    uint64_t need = bsd_head_bytes(head);
    head.resize(need);
    sys::pread_full(fd.get(), head.data(), head.size(), 0, disk);
    std::string before = head;
    BsdGrowth g;
    try {
        g = grow_bsd_disk(head, sectors);
    } catch (const Error& e) {
        throw Error(disk + ": " + e.what());
    }
    for (const auto& c : g.changes) {
        ctx.report.info(disk + ": " + c);
    }
    BsdDisk d = parse_bsd_disk(head);
    if (head != before) {
        sys::pwrite_full(fd.get(), head.data(), k_sector, 0, disk);
        sys::pwrite_full(fd.get(), head.data() + d.label_offset, k_sector, d.label_offset, disk);
        if (::fsync(fd.get()) != 0) {
            throw SystemError(disk, "fsync", errno);
        }
    } else {
        ctx.report.info(disk + ": the BSD slice already ends at the end of the disk");
    }
    fd.reset();
    // The kernel parses BSD disklabels itself (CONFIG_BSD_DISKLABEL) when it
    // re-reads the table; BLKPG cannot add the nested subpartitions (they
    // overlap their slice), so only the slices are forced here and the
    // subpartitions are checked.
    std::vector<PartitionExtent> table = kernel_table(d);
    std::vector<PartitionExtent> slices;
    for (const auto& p : table) {
        if (p.number <= 4) {
            slices.push_back(p);
        }
    }
    sync_kernel_partitions(disk, slices);
    std::vector<PartitionExtent> have = kernel_partitions(disk);
    for (const auto& want : table) {
        bool shown = false;
        for (const auto& h : have) {
            shown =
                shown || (h.number == want.number && h.start == want.start && h.size == want.size);
        }
        if (!shown) {
            ctx.report.warn(disk + ": the kernel does not show disklabel partition " +
                            std::to_string(want.number) +
                            " as written (no partition scanning on this device?)");
            break;
        }
    }
}

void resize_ufs_unmounted(const TaskContext& ctx) {
    // growfs for UFS (FreeBSD's growfs, OpenBSD's growfs) is not packaged
    // for Debian 12 (no ufsutils): the file system keeps its size and the
    // partition's new space stays unused until growfs is run in the image.
    ctx.report.warn(
        "UFS file systems are not grown: the helper has no growfs (run growfs in the instance)");
}

void mount_ufs_root(const TaskContext& ctx, const std::string& device) {
    const std::string& target = ctx.env.require_target();
    std::string ufstype = ctx.env.os_family() == "freebsd" ? "ufs2" : "44bsd";
    UniqueFd dir = sys::open(target, O_PATH | O_DIRECTORY);
    try {
        mount_device(device, dir.get(), "ufs", "ufstype=" + ufstype, target);
    } catch (const Error& e) {
        throw Error(std::string(e.what()) +
                    " (the helper's Linux kernel cannot write UFS: Debian builds it without "
                    "CONFIG_UFS_FS_WRITE; the BSD tasks need a kernel with UFS write "
                    "support)");
    }
    MountStack stack;
    stack.push(sys::realpath(target));
    RootDir root(target);
    if (!root.is_dir("/etc")) {
        throw Error("the UFS on " + device + " has no /etc: is ROOT_PARTITION right?");
    }
    stack.release();
    ctx.report.info("mounted " + device + " (ufs, " + ufstype + ") on " + target);
}

std::string set_rc_conf_hostname(std::string_view rc_conf, std::string_view name) {
    auto lines = split(rc_conf, '\n');
    if (!lines.empty() && lines.back().empty()) {
        lines.pop_back();
    }
    std::string assignment = "hostname=\"" + std::string(name) + "\"";
    bool found = false;
    for (auto& line : lines) {
        if (trim(line).starts_with("hostname=")) {
            line = assignment;
            found = true;
        }
    }
    if (!found) {
        lines.push_back(assignment);
    }
    std::string out;
    for (const auto& l : lines) {
        out += l + "\n";
    }
    return out;
}

void assign_hostname_bsd(const TaskContext& ctx) {
    const std::string& name = ctx.env.hostname;
    if (auto problem = hostname_problem(name)) {
        throw Error("SNF_IMAGE_HOSTNAME '" + name + "' is not a valid host name: " + *problem);
    }
    RootDir root = open_mounted_target(ctx);
    std::string family = ctx.env.os_family();
    auto rc_conf = root.read_file("/etc/rc.conf");
    if (family == "openbsd" || family == "netbsd") {
        root.replace_file("/etc/myname", name + "\n", root.attributes_or("/etc/myname", k_config));
        ctx.report.info("wrote /etc/myname");
    }
    if (family == "freebsd" ||
        (family == "netbsd" && rc_conf && rc_conf->find("hostname=") != std::string::npos)) {
        root.replace_file("/etc/rc.conf",
                          set_rc_conf_hostname(rc_conf.value_or(""), name),
                          root.attributes_or("/etc/rc.conf", k_config));
        ctx.report.info("set hostname in /etc/rc.conf");
    }
}

void change_password_bsd(const TaskContext& ctx) {
    if (!given(ctx.env.passwd) && !ctx.env.passwd_hash && !given(ctx.env.auth_keys)) {
        ctx.report.info("no password, password hash or keys given");
        return;
    }
    std::vector<std::string> users = unix_users(ctx);
    RootDir root = open_mounted_target(ctx);
    std::string family = ctx.env.os_family();
    if (given(ctx.env.passwd) || ctx.env.passwd_hash) {
        std::string hash;
        if (given(ctx.env.passwd)) {
            std::string fallback = family == "openbsd"  ? "blowfish"
                                   : family == "netbsd" ? "sha1"
                                                        : "sha512";
            hash = hash_password(*ctx.env.passwd,
                                 ctx.env.property("PASSWD_HASHING_METHOD").value_or(fallback));
        } else if (!is_valid_password_hash(*ctx.env.passwd_hash)) {
            throw Error("SNF_IMAGE_PASSWD_HASH contains ':' or a line break");
        } else {
            hash = *ctx.env.passwd_hash;
        }
        auto text = root.read_file("/etc/master.passwd");
        if (!text) {
            throw Error("the image has no /etc/master.passwd");
        }
        std::string updated = *text;
        for (const auto& u : users) {
            updated = set_master_passwd_password(updated, u, hash);
        }
        root.replace_file(
            "/etc/master.passwd", updated, root.attributes_or("/etc/master.passwd", {0600, 0, 0}));
        // The databases are rebuilt from master.passwd at first boot.
        root.remove("/etc/spwd.db");
        if (family == "netbsd") {
            root.remove("/etc/pwd.db.tmp");
            root.remove("/etc/spwd.db.tmp");
            root.replace_file("/etc/spwd.db", "", {0600, 0, 0});
        }
        auto rc_local = root.read_file("/etc/rc.local");
        if (!rc_local ||
            rc_local->find("imgdeploy: rebuild the password databases") == std::string::npos) {
            std::string saved;
            if (rc_local) {
                saved = "/etc/rc.local.imgdeploy";
                root.replace_file(
                    saved, *rc_local, root.attributes_or("/etc/rc.local", {0644, 0, 0}));
            }
            root.replace_file("/etc/rc.local", pwd_mkdb_rc_local(saved), {0755, 0, 0});
        }
        ctx.report.info("password set for " + std::to_string(users.size()) +
                        " user(s); pwd_mkdb runs at first boot");
    }
    if (given(ctx.env.auth_keys)) {
        // /etc/passwd (7 fields, made by pwd_mkdb) has the home directories too.
        install_keys(ctx, root, users);
    }
}

} // namespace imgdeploy::tasks::bsd
