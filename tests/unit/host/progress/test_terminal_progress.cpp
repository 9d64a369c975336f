#include "host/progress/terminal_progress.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace imgdeploy;

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;

}  // namespace

TEST_CASE("render_bar half way", "[terminal_progress]") {
    CHECK(render_bar(512 * k_mib, 1024 * k_mib, 2.0, 10) ==
          "[=====>    ]  50%  512.0 MiB / 1.0 GiB  256.0 MiB/s  ETA 0:02");
}

TEST_CASE("render_bar complete has no arrow and no ETA", "[terminal_progress]") {
    CHECK(render_bar(1024 * k_mib, 1024 * k_mib, 4.0, 10) ==
          "[==========] 100%  1.0 GiB / 1.0 GiB  256.0 MiB/s");
}

TEST_CASE("render_bar at the start", "[terminal_progress]") {
    CHECK(render_bar(0, 1000, 0.0, 4) == "[>   ]   0%  0 B / 1000 B  0 B/s");
}

TEST_CASE("render_bar just short of the end", "[terminal_progress]") {
    CHECK(render_bar(999, 1000, 1.0, 10) == "[=========>]  99%  999 B / 1000 B  999 B/s  ETA 0:00");
}

TEST_CASE("render_bar past the total is clamped to 100%", "[terminal_progress]") {
    CHECK(render_bar(2000, 1000, 1.0, 4) == "[====] 100%  2.0 KiB / 1000 B  2.0 KiB/s");
}

TEST_CASE("render_bar with an unknown total shows bytes and rate only", "[terminal_progress]") {
    CHECK(render_bar(3 * k_mib, 0, 1.5, 30) == "3.0 MiB  2.0 MiB/s");
    CHECK(render_bar(0, 0, 0.0, 30) == "0 B  0 B/s");
}

TEST_CASE("render_bar ETA in minutes and seconds", "[terminal_progress]") {
    CHECK(render_bar(k_mib, 3662 * k_mib, 1.0, 10) ==
          "[>         ]   0%  1.0 MiB / 3.6 GiB  1.0 MiB/s  ETA 61:01");
    CHECK(render_bar(k_mib, 91 * k_mib, 1.0, 10) ==
          "[>         ]   1%  1.0 MiB / 91.0 MiB  1.0 MiB/s  ETA 1:30");
}

TEST_CASE("render_bar keeps the bar width", "[terminal_progress]") {
    for (size_t width : {1, 5, 30}) {
        for (uint64_t pos : {0, 1, 33, 50, 99, 100}) {
            std::string bar = render_bar(pos, 100, 1.0, width);
            INFO("width " << width << ", position " << pos << ": " << bar);
            REQUIRE(bar.size() > width + 2);
            CHECK(bar[0] == '[');
            CHECK(bar[width + 1] == ']');
        }
    }
    CHECK(render_bar(1, 2, 1.0, 0) == "[]  50%  1 B / 2 B  1 B/s  ETA 0:01");
}
