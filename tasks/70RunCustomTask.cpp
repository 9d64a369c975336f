// 70RunCustomTask: the CUSTOM_TASK script; see tasks/README.md and tasks/lib/custom_task.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | mounted_excludable | overwritable,
                     .os = OsSupport::any,
                     .body = run_custom_task});
}
