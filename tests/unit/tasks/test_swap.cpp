#include "tasks/lib/swap.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

TEST_CASE("parse_swap: the partition form", "[swap]") {
    SwapSpec s = parse_swap("2:64");
    CHECK(s.kind == SwapSpec::Kind::partition);
    CHECK(s.partition == 2);
    CHECK(s.mib == 64);
    CHECK(describe_swap(s) == "2:64");
    CHECK(parse_swap(" 5:1024 ").partition == 5);
}

TEST_CASE("parse_swap: the disk form", "[swap]") {
    SwapSpec s = parse_swap("b");
    CHECK(s.kind == SwapSpec::Kind::disk);
    CHECK(s.disk_index == 1);
    CHECK(describe_swap(s) == "b");
    CHECK(parse_swap("d").disk_index == 3);
}

TEST_CASE("parse_swap: malformed values name SWAP and the value", "[swap]") {
    CHECK_THROWS_WITH(parse_swap("a"), Contains("SWAP 'a'") && Contains("image's own disk"));
    CHECK_THROWS_WITH(parse_swap("2:abc"), Contains("SWAP '2:abc'") && Contains("<partition number>:<size in MB>"));
    CHECK_THROWS_WITH(parse_swap("0:64"), Contains("partition number must be from 1 to 128"));
    CHECK_THROWS_WITH(parse_swap("129:64"), Contains("partition number"));
    CHECK_THROWS_WITH(parse_swap("2:0"), Contains("size must be"));
    CHECK_THROWS_WITH(parse_swap("2:99999999999"), Contains("size must be"));
    CHECK_THROWS_WITH(parse_swap("2:-5"), Contains("SWAP '2:-5'"));
    CHECK_THROWS_WITH(parse_swap(""), Contains("SWAP ''"));
    CHECK_THROWS_WITH(parse_swap("B"), Contains("SWAP 'B'"));
    CHECK_THROWS_WITH(parse_swap("2:64:1"), Contains("SWAP '2:64:1'"));
    CHECK_THROWS_WITH(parse_swap("bc"), Contains("SWAP 'bc'"));
}

TEST_CASE("add_swap_to_fstab appends one entry and replaces its own old one", "[swap]") {
    std::string fstab = "# /etc/fstab\nUUID=aaaa / ext4 defaults 0 1\n";
    std::string once = add_swap_to_fstab(fstab, "1111-2222", std::nullopt);
    CHECK(once == fstab + "UUID=1111-2222 none swap sw 0 0\n");
    // Again with a new UUID after mkswap: the old line goes.
    std::string twice = add_swap_to_fstab(once, "3333-4444", std::string("1111-2222"));
    CHECK(twice == fstab + "UUID=3333-4444 none swap sw 0 0\n");
    // The same UUID again: still one line.
    CHECK(add_swap_to_fstab(twice, "3333-4444", std::nullopt) == twice);
    // No trailing newline, empty file, comments kept.
    CHECK(add_swap_to_fstab("UUID=aaaa / ext4 defaults 0 1", "u", std::nullopt) ==
          "UUID=aaaa / ext4 defaults 0 1\nUUID=u none swap sw 0 0\n");
    CHECK(add_swap_to_fstab("", "u", std::nullopt) == "UUID=u none swap sw 0 0\n");
    CHECK(add_swap_to_fstab("#UUID=u none swap sw 0 0\n", "u", std::nullopt) ==
          "#UUID=u none swap sw 0 0\nUUID=u none swap sw 0 0\n");
}
