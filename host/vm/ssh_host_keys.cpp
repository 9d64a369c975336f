#include "host/vm/ssh_host_keys.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"

#include <cerrno>
#include <optional>
#include <sys/random.h>
#include <spdlog/spdlog.h>

namespace imgdeploy {

namespace {

const char* const k_types[] = {"rsa", "ecdsa", "ed25519"};

std::optional<std::string> find_ssh_keygen() {
    for (const char* p : {"/usr/bin/ssh-keygen", "/bin/ssh-keygen"}) {
        if (sys::stat_if_exists(p)) {
            return p;
        }
    }
    return std::nullopt;
}

}  // namespace

FloppyFile make_random_seed() {
    std::string seed(512, '\0');
    size_t done = 0;
    while (done < seed.size()) {
        ssize_t n = ::getrandom(seed.data() + done, seed.size() - done, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw SystemError("random seed for the helper", "getrandom", errno);
        }
        done += static_cast<size_t>(n);
    }
    return {"random_seed", seed};
}

std::vector<FloppyFile> make_ssh_host_keys(const std::string& tmp_dir, const std::string& hostname) {
    auto keygen = find_ssh_keygen();
    if (!keygen) {
        spdlog::info("ssh-keygen is not installed: the helper makes the SSH host keys itself");
        return {};
    }
    TempDir dir(tmp_dir, "imgdeploy-keys.");
    std::vector<ChildProcess> children;
    for (const char* type : k_types) {
        SpawnOptions o;
        o.argv = {*keygen, "-q", "-t", type, "-N", "", "-C", "root@" + hostname,
                  "-f", dir.path() + "/ssh_host_" + type + "_key"};
        o.env = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
        children.emplace_back(o);  // the three run at once
    }
    std::vector<FloppyFile> files;
    for (size_t i = 0; i < children.size(); ++i) {
        WaitStatus st = children[i].wait();
        if (!st.success()) {
            throw Error(std::string("ssh-keygen -t ") + k_types[i] + " " + st.describe());
        }
        std::string base = std::string("ssh_host_") + k_types[i] + "_key";
        files.push_back({base, sys::read_file(dir.path() + "/" + base)});
        files.push_back({base + ".pub", sys::read_file(dir.path() + "/" + base + ".pub")});
    }
    return files;
}

}  // namespace imgdeploy
