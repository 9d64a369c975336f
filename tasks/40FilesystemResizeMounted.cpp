// 40FilesystemResizeMounted: see tasks/README.md and tasks/lib/task_resize_mounted.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | mounted_excludable | fs_resize_excludable | cloudinit_excludable | overwritable,
                     .os = OsSupport::linux_windows,
                     .body = resize_filesystem_mounted});
}
