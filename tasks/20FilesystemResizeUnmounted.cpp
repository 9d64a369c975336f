// 20FilesystemResizeUnmounted: see tasks/README.md and tasks/lib/task_resize_unmounted.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | fs_resize_excludable | cloudinit_excludable,
                     .os = OsSupport::linux_bsd,
                     .body = resize_filesystem_unmounted});
}
