// 60EnforcePersonality: see tasks/README.md and tasks/lib/task_enforce_personality.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = excludable | mounted_excludable | overwritable,
                     .os = OsSupport::known,
                     .body = enforce_personality});
}
