#pragma once
// Partition device names, as the kernel makes them: disk + N, or disk + "p" + N
// when the disk name ends in a digit (/dev/vda1, /dev/loop0p1, /dev/nvme0n1p1).

#include <string>
#include <string_view>

namespace imgdeploy::tasks {

std::string partition_device(std::string_view disk, unsigned number);

}  // namespace imgdeploy::tasks
