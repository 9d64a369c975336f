// 35InitializeDatasource: NoCloud seed for cloud-init (CLOUD_INIT only); see tasks/README.md and tasks/lib/cloud_init.cpp.
#include "tasks/lib/builtin_tasks.hpp"

int main(int argc, char** argv, char** envp) {
    using namespace imgdeploy::tasks;
    return run_task(argc, argv, envp,
                    {.attributes = mounted_excludable | overwritable,
                     .os = OsSupport::linux_only,
                     .body = initialize_datasource});
}
