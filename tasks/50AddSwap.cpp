// 50AddSwap: swap from the SWAP property; see tasks/README.md and tasks/lib/task_add_swap.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | mounted_excludable | overwritable,
                     .os = OsSupport::linux_only,
                     .body = add_swap});
}
