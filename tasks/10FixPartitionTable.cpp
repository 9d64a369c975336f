// 10FixPartitionTable: see tasks/README.md and tasks/lib/task_fix_partition_table.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | cloudinit_excludable,
                     .os = OsSupport::any,
                     .body = fix_partition_table});
}
