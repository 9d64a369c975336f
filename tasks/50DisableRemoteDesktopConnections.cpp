// 50DisableRemoteDesktopConnections: see tasks/README.md and tasks/lib/windows/windows_tasks.cpp.
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(
        argc,
        argv,
        envp,
        {.attributes = excludable | mounted_excludable | cloudinit_excludable | overwritable,
         .os = OsSupport::windows_only,
         .body = windows::disable_remote_desktop});
}
