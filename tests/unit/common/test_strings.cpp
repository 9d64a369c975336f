#include "common/strings.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace imgdeploy;

TEST_CASE("parse_u64 accepts whole decimal numbers in range", "[strings]") {
    CHECK(parse_u64("0") == uint64_t{0});
    CHECK(parse_u64("42") == uint64_t{42});
    CHECK(parse_u64("007") == uint64_t{7});
    CHECK(parse_u64("18446744073709551615") == std::numeric_limits<uint64_t>::max());
}

TEST_CASE("parse_u64 rejects anything that is not exactly a number", "[strings]") {
    for (const char* bad : {"", " ", "18446744073709551616", "99999999999999999999999", "-1",
                            "+1", " 1", "1 ", "1\n", "0x10", "12a", "1.5", "1e3"}) {
        INFO("input: '" << bad << "'");
        CHECK_FALSE(parse_u64(bad));
    }
}

TEST_CASE("parse_i64 accepts signed numbers in range", "[strings]") {
    CHECK(parse_i64("0") == int64_t{0});
    CHECK(parse_i64("-5") == int64_t{-5});
    CHECK(parse_i64("9223372036854775807") == std::numeric_limits<int64_t>::max());
    CHECK(parse_i64("-9223372036854775808") == std::numeric_limits<int64_t>::min());
    for (const char* bad : {"", "-", "+5", "9223372036854775808", "-9223372036854775809", " -1",
                            "-1 ", "--1", "1-"}) {
        INFO("input: '" << bad << "'");
        CHECK_FALSE(parse_i64(bad));
    }
}

TEST_CASE("split keeps empty fields", "[strings]") {
    using V = std::vector<std::string>;
    CHECK(split("a,b,c", ',') == V{"a", "b", "c"});
    CHECK(split("a,,b", ',') == V{"a", "", "b"});
    CHECK(split("", ',') == V{""});
    CHECK(split(",", ',') == V{"", ""});
    CHECK(split(",a,", ',') == V{"", "a", ""});
    CHECK(split("no separator", ',') == V{"no separator"});
}

TEST_CASE("split_words splits on runs of blanks and drops empty fields", "[strings]") {
    using V = std::vector<std::string>;
    CHECK(split_words("  a \t b\n\nc  ") == V{"a", "b", "c"});
    CHECK(split_words("") == V{});
    CHECK(split_words(" \t\n ") == V{});
    CHECK(split_words("single") == V{"single"});
    CHECK(split_words("abc123  file.img\n") == V{"abc123", "file.img"});
}

TEST_CASE("trim removes leading and trailing whitespace only", "[strings]") {
    CHECK(trim("  a b \t\n") == "a b");
    CHECK(trim("") == "");
    CHECK(trim(" \n\t ") == "");
    CHECK(trim("x") == "x");
    CHECK(trim("\r\nx y\r\n") == "x y");
}

TEST_CASE("case conversion and case-insensitive comparison", "[strings]") {
    CHECK(to_upper("root_Partition-1") == "ROOT_PARTITION-1");
    CHECK(to_lower("OSFamily") == "osfamily");
    CHECK(iequals("OsFamily", "OSFAMILY"));
    CHECK_FALSE(iequals("abc", "abcd"));
    CHECK_FALSE(iequals("abc", "abd"));
    CHECK(iequals("", ""));
    CHECK(starts_with_icase("HTTPS://host/x", "https://"));
    CHECK(starts_with_icase("http", "HTTP"));
    CHECK_FALSE(starts_with_icase("htt", "http"));
    CHECK_FALSE(starts_with_icase("ftp://x", "http"));
    CHECK(starts_with_icase("anything", ""));
}

TEST_CASE("human_bytes renders binary units", "[strings]") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1) == "1 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1024) == "1.0 KiB");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(uint64_t{1} << 20) == "1.0 MiB");
    CHECK(human_bytes(uint64_t{5} << 30) == "5.0 GiB");
    CHECK(human_bytes(uint64_t{3} << 40) == "3.0 TiB");
    // TiB is the largest unit.
    CHECK(human_bytes(uint64_t{1} << 50) == "1024.0 TiB");
}

TEST_CASE("to_hex and is_hex", "[strings]") {
    const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    CHECK(to_hex(bytes, sizeof bytes) == "00017f80abff");
    CHECK(to_hex(bytes, 0) == "");
    CHECK(is_hex("0123456789abcdefABCDEF"));
    CHECK_FALSE(is_hex("abcg"));
    CHECK_FALSE(is_hex("ab cd"));
    CHECK_FALSE(is_hex("0x12"));
}

TEST_CASE("parse_yes_no follows snf-image's check_yes_no", "[strings]") {
    for (const char* yes : {"yes", "YES", "true", "True", "on", "1", "set", " yes\n", "maybe"}) {
        INFO("input: '" << yes << "'");
        CHECK(parse_yes_no(yes));
    }
    for (const char* no : {"", "  ", "no", "No", "false", "FALSE", "off", "0", "unset", " no \t"}) {
        INFO("input: '" << no << "'");
        CHECK_FALSE(parse_yes_no(no));
    }
}
