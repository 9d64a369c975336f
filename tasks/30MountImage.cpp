// 30MountImage: see tasks/README.md and tasks/lib/task_mount_image.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = mounted_excludable,
                     .os = OsSupport::known,
                     .body = mount_image});
}
