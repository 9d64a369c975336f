#include "tasks/lib/personality.hpp"

#include "common/base64.hpp"
#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

TEST_CASE("personality entries with defaults", "[personality]") {
    auto files = parse_personality(R"([{"path": "/etc/motd", "contents": "aGVsbG8="},
        {"path": "/home/a/x", "contents": "", "owner": "a", "group": "g", "mode": 384}])");
    REQUIRE(files.size() == 2);
    CHECK(files[0].contents == "hello");
    CHECK(files[0].owner == "root");
    CHECK(files[0].group == "root");
    CHECK(files[0].mode == 0440);
    CHECK(files[1].index == 1);
    CHECK(files[1].mode == 0600);
    CHECK(files[1].owner == "a");
}

TEST_CASE("bad personalities are refused naming the entry", "[personality]") {
    CHECK_THROWS_WITH(parse_personality("{"), Contains("not valid JSON"));
    CHECK_THROWS_WITH(parse_personality("{}"), Contains("array"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": ""}, 5])"), Contains("entry 1"));
    CHECK_THROWS_WITH(parse_personality(R"([{"contents": ""}])"), Contains("entry 0: \"path\" is missing"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "rel", "contents": ""}])"), Contains("not absolute"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a/../../b", "contents": ""}])"), Contains("'..'"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/", "contents": ""}])"), Contains("does not name a file"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": "!!"}])"), Contains("base64"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": "", "mode": "0644"}])"), Contains("mode"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": "", "mode": 9999}])"), Contains("mode"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": "", "owner": "a:b"}])"), Contains("owner"));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": 5}])"), Contains("must be a string"));
}

TEST_CASE("personality size limits", "[personality]") {
    std::string big = base64_encode(std::string(k_personality_file_limit + 1, 'x'));
    CHECK_THROWS_WITH(parse_personality(R"([{"path": "/a", "contents": ")" + big + "\"}]"),
                      Contains("entry 0") && Contains("limit"));
    std::string nine = base64_encode(std::string(9u << 20, 'x'));
    std::string doc = "[";
    for (int i = 0; i < 4; ++i) {
        doc += std::string(i ? "," : "") + R"({"path": "/f", "contents": ")" + nine + "\"}";
    }
    CHECK_THROWS_WITH(parse_personality(doc + "]"), Contains("entry 3") && Contains("all contents"));
}
