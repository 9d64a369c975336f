#include "tasks/lib/tools.hpp"

#include "common/error.hpp"

#include <iostream>
#include <unistd.h>

namespace imgdeploy::tasks {

namespace {

constexpr const char* k_tool_path[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

}  // namespace

std::string find_tool(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return name;
    }
    for (const char* dir : k_tool_path) {
        std::string path = std::string(dir) + "/" + name;
        if (::access(path.c_str(), X_OK) == 0) {
            return path;
        }
    }
    throw Error(name + " is not installed (searched /usr/sbin:/usr/bin:/sbin:/bin)");
}

WaitStatus run_tool(const std::vector<std::string>& argv) {
    std::cout.flush();
    std::cerr.flush();
    SpawnOptions o;
    o.argv = argv;
    o.argv.at(0) = find_tool(argv.at(0));
    o.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"};
    o.stdin_fd = -1;
    o.stdout_fd = 1;
    o.stderr_fd = 2;
    ChildProcess child(o);
    return child.wait();
}

void run_tool_checked(const std::vector<std::string>& argv, const std::string& what) {
    WaitStatus st = run_tool(argv);
    if (!st.success()) {
        throw Error(what + ": " + argv.at(0) + " " + st.describe());
    }
}

}  // namespace imgdeploy::tasks
