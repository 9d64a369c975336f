#include "tasks/lib/shadow.hpp"

#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace imgdeploy;
using namespace imgdeploy::tasks;
using Catch::Matchers::Contains;

namespace {

const char* const k_shadow = "root:*:19000:0:99999:7:::\n"
                             "alice:$6$old$x:19001:1:90:14:30:20000:\n"
                             "bob:!:19002:0:99999:7:::\n";

}  // namespace

TEST_CASE("set_shadow_password rewrites the line in place, keeping aging fields", "[shadow]") {
    std::string out = set_shadow_password(k_shadow, "alice", "$6$salt$hash", 20100);
    CHECK(out == "root:*:19000:0:99999:7:::\n"
                 "alice:$6$salt$hash:20100:1:90:14:30:20000:\n"
                 "bob:!:19002:0:99999:7:::\n");
}

TEST_CASE("set_shadow_password sets lastchange to the given day, not a constant", "[shadow]") {
    std::string out = set_shadow_password(k_shadow, "root", "H", 12345);
    CHECK(out.starts_with("root:H:12345:0:99999:7:::\n"));
    CHECK(out.find("15103") == std::string::npos);
}

TEST_CASE("set_shadow_password pads a short line to nine fields", "[shadow]") {
    CHECK(set_shadow_password("root:*\n", "root", "H", 1) == "root:H:1::::::\n");
}

TEST_CASE("set_shadow_password keeps a missing final newline", "[shadow]") {
    CHECK(set_shadow_password("root:*:1::::::", "root", "H", 2) == "root:H:2::::::");
}

TEST_CASE("set_shadow_password matches whole user names only", "[shadow]") {
    std::string text = "rootkit:*:1::::::\nroot:*:1::::::\n";
    CHECK(set_shadow_password(text, "root", "H", 3) == "rootkit:*:1::::::\nroot:H:3::::::\n");
}

TEST_CASE("a missing user is an error naming the user and not the hash", "[shadow]") {
    try {
        set_shadow_password(k_shadow, "ghost", "$6$secret", 1);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Contains("'ghost'"));
        CHECK_THAT(e.what(), !Contains("secret"));
    }
}

TEST_CASE("days_since_epoch_now is after 2024", "[shadow]") { CHECK(days_since_epoch_now() > 19723); }
