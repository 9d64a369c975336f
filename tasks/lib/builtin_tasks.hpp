#pragma once
// The bodies of the built-in tasks; each tasks/NN<Name>.cpp main runs one
// of them through run_task() with its attributes (tasks/README.md).

#include "tasks/lib/task_runner.hpp"

namespace imgdeploy::tasks {

void fix_partition_table(const TaskContext& ctx);          // 10FixPartitionTable
void resize_filesystem_unmounted(const TaskContext& ctx);  // 20FilesystemResizeUnmounted
void mount_image(const TaskContext& ctx);                  // 30MountImage
void initialize_datasource(const TaskContext& ctx);        // 35InitializeDatasource (lib/cloud_init.hpp)
void resize_filesystem_mounted(const TaskContext& ctx);    // 40FilesystemResizeMounted
void add_swap(const TaskContext& ctx);                     // 50AddSwap
void assign_hostname(const TaskContext& ctx);              // 50AssignHostname
void change_machine_id(const TaskContext& ctx);            // 50ChangeMachineId
void change_password(const TaskContext& ctx);              // 50ChangePassword
void configure_network(const TaskContext& ctx);            // 50ConfigureNetwork
void delete_ssh_keys(const TaskContext& ctx);              // 50DeleteSSHKeys
void selinux_autorelabel(const TaskContext& ctx);          // 50SELinuxAutorelabel
void enforce_personality(const TaskContext& ctx);          // 60EnforcePersonality
void run_custom_task(const TaskContext& ctx);              // 70RunCustomTask (lib/custom_task.hpp)
void umount_image(const TaskContext& ctx);                 // 80UmountImage

}  // namespace imgdeploy::tasks
