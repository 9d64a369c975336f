#include "tasks/lib/partition_name.hpp"

#include "common/error.hpp"

namespace imgdeploy::tasks {

std::string partition_device(std::string_view disk, unsigned number) {
    if (disk.empty() || number == 0) {
        throw Error("no partition device for disk '" + std::string(disk) + "' number " + std::to_string(number));
    }
    char last = disk.back();
    bool digit = last >= '0' && last <= '9';
    return std::string(disk) + (digit ? "p" : "") + std::to_string(number);
}

}  // namespace imgdeploy::tasks
