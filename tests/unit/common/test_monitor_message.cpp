#include "common/monitor_message.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>

using namespace imgdeploy;
using nlohmann::json;

namespace {

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

/// Parses a message and checks what every message has: one line, an
/// object, a type and a float timestamp close to now.
json parse_message(const std::string& line, const char* type) {
    INFO("line: " << line);
    CHECK(line.find('\n') == std::string::npos);
    json j = json::parse(line);
    REQUIRE(j.is_object());
    CHECK(j.at("type") == type);
    REQUIRE(j.at("timestamp").is_number_float());
    double ts = j.at("timestamp").get<double>();
    CHECK(ts > now_seconds() - 60);
    CHECK(ts < now_seconds() + 60);
    return j;
}

}  // namespace

TEST_CASE("monitor info message", "[monitor_message]") {
    json j = parse_message(monitor::info({"Starting image copy...", "second"}), "image-info");
    CHECK(j.at("messages") == json::array({"Starting image copy...", "second"}));
    CHECK(j.size() == 3);
}

TEST_CASE("monitor error message", "[monitor_message]") {
    json j = parse_message(monitor::error({"disk full"}), "image-error");
    CHECK(j.at("messages") == json::array({"disk full"}));
    CHECK(j.size() == 3);
}

TEST_CASE("monitor messages escape what JSON needs escaped", "[monitor_message]") {
    std::string tricky = "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9";
    json j = parse_message(monitor::info({tricky}), "image-info");
    CHECK(j.at("messages").at(0) == tricky);
}

TEST_CASE("monitor copy progress", "[monitor_message]") {
    json j = parse_message(monitor::copy_progress(512, 1024), "image-copy-progress");
    REQUIRE(j.at("position").is_number_unsigned());
    REQUIRE(j.at("total").is_number_unsigned());
    CHECK(j.at("position").get<uint64_t>() == 512);
    CHECK(j.at("total").get<uint64_t>() == 1024);
    REQUIRE(j.at("progress").is_number_float());
    CHECK(j.at("progress").get<double>() == 50.0);
    CHECK(j.size() == 5);
}

TEST_CASE("monitor copy progress is rounded to two decimals", "[monitor_message]") {
    CHECK(json::parse(monitor::copy_progress(1, 3)).at("progress").get<double>() == 33.33);
    CHECK(json::parse(monitor::copy_progress(2, 3)).at("progress").get<double>() == 66.67);
    CHECK(json::parse(monitor::copy_progress(1, 8)).at("progress").get<double>() == 12.5);
    CHECK(json::parse(monitor::copy_progress(1, 100000)).at("progress").get<double>() == 0.0);
    CHECK(json::parse(monitor::copy_progress(99999, 100000)).at("progress").get<double>() ==
          100.0);
    CHECK(json::parse(monitor::copy_progress(7, 7)).at("progress").get<double>() == 100.0);
}

TEST_CASE("monitor copy progress is 0 when the total is unknown", "[monitor_message]") {
    json j = parse_message(monitor::copy_progress(123456, 0), "image-copy-progress");
    REQUIRE(j.at("progress").is_number_float());
    CHECK(j.at("progress").get<double>() == 0.0);
    CHECK(j.at("position").get<uint64_t>() == 123456);
    CHECK(j.at("total").get<uint64_t>() == 0);
}

TEST_CASE("monitor copy progress keeps 64-bit positions exact", "[monitor_message]") {
    uint64_t big = (uint64_t{1} << 62) + 1;
    json j = json::parse(monitor::copy_progress(big, big));
    CHECK(j.at("position").get<uint64_t>() == big);
    CHECK(j.at("total").get<uint64_t>() == big);
    CHECK(j.at("progress").get<double>() == 100.0);
}

TEST_CASE("monitor helper task message", "[monitor_message]") {
    json j = parse_message(monitor::helper_task("task-start", "FixPartitionTable"), "image-helper");
    CHECK(j.at("subtype") == "task-start");
    CHECK(j.at("task") == "FixPartitionTable");
    CHECK(j.size() == 4);
}

TEST_CASE("monitor helper warning message", "[monitor_message]") {
    json j = parse_message(monitor::helper_message("warning", "no swap"), "image-helper");
    CHECK(j.at("subtype") == "warning");
    CHECK(j.at("messages") == json::array({"no swap"}));
    CHECK(j.size() == 4);
}
