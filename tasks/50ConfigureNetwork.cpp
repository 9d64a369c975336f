// 50ConfigureNetwork: see tasks/README.md ("Network") and tasks/lib/task_configure_network.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | mounted_excludable | overwritable,
                     .os = OsSupport::linux_bsd,
                     .body = configure_network});
}
