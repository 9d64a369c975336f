#include "tasks/lib/kernel_partitions.hpp"
#include "tasks/lib/partition_name.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;

TEST_CASE("partition device names follow the kernel's rule", "[partition_name]") {
    CHECK(partition_device("/dev/vda", 1) == "/dev/vda1");
    CHECK(partition_device("/dev/sdb", 12) == "/dev/sdb12");
    CHECK(partition_device("/dev/loop0", 1) == "/dev/loop0p1");
    CHECK(partition_device("/dev/nvme0n1", 3) == "/dev/nvme0n1p3");
    CHECK(partition_device("/dev/mmcblk0", 2) == "/dev/mmcblk0p2");
    CHECK_THROWS_AS(partition_device("/dev/vda", 0), Error);
    CHECK_THROWS_AS(partition_device("", 1), Error);
}

TEST_CASE("the kernel shows an extended partition as 1 KiB at most", "[kernel_partitions]") {
    CHECK(kernel_extent({2, 1 << 20, 100 << 20, true}).size == 1024);
    CHECK(kernel_extent({2, 1 << 20, 512, true}).size == 512);
    CHECK(kernel_extent({5, 2 << 20, 100 << 20, false}).size == 100u << 20);
}
