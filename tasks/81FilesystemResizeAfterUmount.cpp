// 81FilesystemResizeAfterUmount: see tasks/README.md and tasks/lib/windows/windows_tasks.cpp.
#include "tasks/lib/builtin_tasks.hpp"
#include "tasks/lib/windows/windows_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc,
                    argv,
                    envp,
                    {.attributes = excludable | fs_resize_excludable | cloudinit_excludable,
                     .os = OsSupport::any,
                     .body = windows::resize_filesystem_after_umount});
}
