// grow_partition_table() with a swap partition, on disk image files
// (libfdisk works on regular files; sfdisk makes the starting tables and
// reads the results back).
#include "tasks/lib/partition_table.hpp"

#include "common/error.hpp"
#include "common/temp_file.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

bool have_sfdisk() { return ::access("/usr/sbin/sfdisk", X_OK) == 0 || ::access("/sbin/sfdisk", X_OK) == 0; }

/// A disk file of `mib_before` MiB partitioned by the sfdisk script, then
/// grown to `mib_after` MiB (as a deployment onto a larger disk).
std::string make_disk(const TempDir& dir, const std::string& script, int mib_before, int mib_after) {
    std::string path = dir.path() + "/disk.img";
    std::string cmd = "rm -f " + path + " && truncate -s " + std::to_string(mib_before) + "M " + path +
                      " && printf '" + script + "' | sfdisk -q " + path + " >/dev/null 2>&1 && truncate -s " +
                      std::to_string(mib_after) + "M " + path;
    REQUIRE(std::system(cmd.c_str()) == 0);
    return path;
}

/// "sfdisk -d" lines of the partitions: "<n> start=... size=... type=..." (sans device path).
std::string dump(const std::string& path) {
    std::string cmd = "sfdisk -d " + path + " | grep '^/' | sed 's|^.*disk.img||; s/ *: */ /; s/  */ /g; s/, uuid=[^,]*//'";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) {
        out += buf;
    }
    ::pclose(p);
    return out;
}

SwapPartitionRequest swap(unsigned n, uint64_t mib) { return {n, mib, "SWAP '" + std::to_string(n) + ":" + std::to_string(mib) + "'"}; }

}  // namespace

TEST_CASE("msdos: a primary swap partition at the end, the last partition grown up to it", "[swap_partition]") {
    if (!have_sfdisk()) {
        WARN("sfdisk is not installed");
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk = make_disk(dir, "label: dos\\nstart=2048, size=16MiB, type=83\\n", 40, 100);
    TableGrowth g = grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(2, 16));
    CHECK(g.swap_created);
    CHECK(g.written);
    // 100 MiB = 204800 sectors; the swap: 16 MiB = 32768 sectors, at 172032.
    CHECK(dump(disk) == "1 start= 2048, size= 169984, type=83\n"
                        "2 start= 172032, size= 32768, type=82\n");
    SECTION("again: nothing changes") {
        TableGrowth again = grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(2, 16));
        CHECK_FALSE(again.written);
        CHECK_FALSE(again.swap_created);
    }
    SECTION("a different size for the same number is a collision") {
        CHECK_THROWS_WITH(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(2, 32)),
                          Contains("SWAP '2:32': partition 2 already exists") && Contains("another size"));
    }
}

TEST_CASE("msdos: a logical swap partition in a new extended partition", "[swap_partition]") {
    if (!have_sfdisk()) {
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk = make_disk(dir, "label: dos\\nstart=2048, size=16MiB, type=83\\n", 40, 100);
    grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(5, 16));
    CHECK(dump(disk) == "1 start= 2048, size= 167936, type=83\n"
                        "2 start= 169984, size= 34816, type=5\n"
                        "5 start= 172032, size= 32768, type=82\n");
    CHECK_FALSE(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(5, 16)).written);
}

TEST_CASE("msdos: a logical swap partition after the last logical one", "[swap_partition]") {
    if (!have_sfdisk()) {
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk =
        make_disk(dir, "label: dos\\nstart=2048, size=16MiB, type=83\\ntype=5\\ntype=83\\n", 40, 100);
    CHECK_THROWS_WITH(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(7, 16)),
                      Contains("SWAP '7:16'") && Contains("the next one on") && Contains("is 6"));
    grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(6, 16));
    std::string d = dump(disk);
    CHECK_THAT(d, Contains("2 start= 34816, size= 169984, type=5"));  // extended to the end
    CHECK_THAT(d, Contains("6 start= 172032, size= 32768, type=82"));
    CHECK_THAT(d, Contains("5 start= 36864, size= 133120, type=83"));  // up to the swap's EBR
    CHECK_FALSE(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(6, 16)).written);
}

TEST_CASE("msdos: a primary swap behind an extended partition", "[swap_partition]") {
    if (!have_sfdisk()) {
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk =
        make_disk(dir, "label: dos\\nstart=2048, size=16MiB, type=83\\ntype=5\\ntype=83\\n", 40, 100);
    grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(3, 16));
    std::string d = dump(disk);
    CHECK_THAT(d, Contains("2 start= 34816, size= 137216, type=5"));
    CHECK_THAT(d, Contains("3 start= 172032, size= 32768, type=82"));
    CHECK_THAT(d, Contains("5 start= 36864, size= 135168, type=83"));
}

TEST_CASE("gpt: a Linux swap partition named swap", "[swap_partition]") {
    if (!have_sfdisk()) {
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk = make_disk(dir, "label: gpt\\nstart=2048, size=16MiB, type=L\\n", 40, 100);
    grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(3, 16));
    std::string d = dump(disk);
    CHECK_THAT(d, Contains("3 start= 169984, size= 32768, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, name=\"swap\""));
    CHECK_THAT(d, Contains("1 start= 2048, size= 167936, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4"));
    CHECK_FALSE(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(3, 16)).written);
}

TEST_CASE("swap partition errors name SWAP and change nothing", "[swap_partition]") {
    if (!have_sfdisk()) {
        return;
    }
    TempDir dir("/tmp", "imgdeploy-unit-swap-");
    std::string disk = make_disk(dir, "label: dos\\nstart=2048, size=16MiB, type=83\\ntype=83\\n", 40, 100);
    std::string before = dump(disk);
    CHECK_THROWS_WITH(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(2, 16)),
                      Contains("SWAP '2:16': partition 2 already exists"));
    CHECK_THROWS_WITH(grow_partition_table(disk, LabelPolicy::msdos_or_gpt, swap(3, 100)),
                      Contains("SWAP '3:100': no room for 100 MiB of swap") && Contains("60 MiB free"));
    CHECK(dump(disk) == before);
}
