#include "host/vm/floppy.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// mtools gets exactly this environment (systemd's choice): no config
/// files' drive-geometry checks, UTC timestamps.
std::vector<std::string> mtools_env(const FloppySpec& spec) {
    std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
                                    "MTOOLS_SKIP_CHECK=1", "TZ=UTC"};
    if (spec.source_date_epoch) {
        env.push_back("SOURCE_DATE_EPOCH=" + *spec.source_date_epoch);
    }
    return env;
}

/// An anonymous in-memory file holding `content`, positioned at 0.
UniqueFd memory_file(const std::string& content) {
    UniqueFd fd(::memfd_create("imgdeploy-floppy-file", MFD_CLOEXEC));
    if (!fd) {
        throw SystemError("parameter floppy", "memfd_create", errno);
    }
    sys::write_full(fd.get(), content.data(), content.size(), "parameter floppy: memfd");
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        throw SystemError("parameter floppy: memfd", "lseek", errno);
    }
    return fd;
}

/// Runs an mtools command; its stderr becomes the error message.
void run_mtools(const std::vector<std::string>& argv, const FloppySpec& spec, int stdin_fd = -1) {
    Pipe err = sys::make_pipe("running " + argv[0]);
    SpawnOptions o;
    o.argv = argv;
    o.env = mtools_env(spec);
    o.stdin_fd = stdin_fd;
    o.stdout_fd = err.write.get();
    o.stderr_fd = err.write.get();
    ChildProcess child(o);
    err.write.reset();
    std::string text;
    char buf[4096];
    while (size_t n = sys::read_some(err.read.get(), buf, sizeof buf, argv[0])) {
        if (text.size() < 4096) {
            text.append(buf, n);
        }
    }
    WaitStatus st = child.wait();
    if (!st.success()) {
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        throw Error("making the parameter floppy: " + argv[0] + " " + st.describe() +
                    (text.empty() ? "" : ": " + text.substr(0, 400)));
    }
}

void copy_in(const std::string& image, const FloppyFile& file, const FloppySpec& spec) {
    if (file.name.empty() || file.name.find('/') != std::string::npos) {
        throw Error("parameter floppy: bad file name '" + file.name + "'");
    }
    UniqueFd content = memory_file(file.content);
    run_mtools({"mcopy", "-i", image, "-", "::/" + file.name}, spec, content.get());
}

}  // namespace

ParameterFloppy::ParameterFloppy(const FloppySpec& spec) : m_file(spec.tmp_dir, "imgdeploy-floppy.") {
    // mkostemp made it 0600; make sure of it (it holds secrets).
    if (::fchmod(m_file.fd(), 0600) != 0) {
        throw SystemError(m_file.path(), "fchmod", errno);
    }
    // -C creates the image file (it exists, empty: mformat sizes it);
    // -f 1440 is the 1.44 MB geometry the guest's floppy driver expects.
    run_mtools({"mformat", "-i", m_file.path(), "-f", "1440", "-C", "::"}, spec);
    copy_in(m_file.path(), FloppyFile{"params.json", spec.params_json}, spec);
    for (const FloppyFile& f : spec.extra) {
        copy_in(m_file.path(), f, spec);
    }
    m_read_only = sys::open(m_file.path(), O_RDONLY);
}

}  // namespace imgdeploy
