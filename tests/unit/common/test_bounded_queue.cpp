#include "common/bounded_queue.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

using namespace imgdeploy;

TEST_CASE("BoundedQueue is first in, first out", "[bounded_queue]") {
    BoundedQueue<int> q(3);
    CHECK(q.push(1));
    CHECK(q.push(2));
    CHECK(q.push(3));
    CHECK(q.pop() == 1);
    CHECK(q.push(4));
    CHECK(q.pop() == 2);
    CHECK(q.pop() == 3);
    CHECK(q.pop() == 4);
}

TEST_CASE("BoundedQueue close: push fails, pop drains then ends", "[bounded_queue]") {
    BoundedQueue<int> q(4);
    REQUIRE(q.push(1));
    REQUIRE(q.push(2));
    q.close();
    CHECK_FALSE(q.push(3));
    CHECK(q.pop() == 1);
    CHECK(q.pop() == 2);
    CHECK(q.pop() == std::nullopt);
    CHECK(q.pop() == std::nullopt);
}

TEST_CASE("BoundedQueue abort discards what is queued", "[bounded_queue]") {
    BoundedQueue<int> q(4);
    REQUIRE(q.push(1));
    REQUIRE(q.push(2));
    q.abort();
    CHECK(q.pop() == std::nullopt);
    CHECK_FALSE(q.push(3));
}

TEST_CASE("BoundedQueue holds move-only items", "[bounded_queue]") {
    BoundedQueue<std::unique_ptr<int>> q(2);
    REQUIRE(q.push(std::make_unique<int>(7)));
    auto item = q.pop();
    REQUIRE(item);
    REQUIRE(*item);
    CHECK(**item == 7);
}

TEST_CASE("BoundedQueue passes every item from producers to consumers in order",
          "[bounded_queue]") {
    // Capacity 2 with 1000 items: the producer must block and be woken.
    BoundedQueue<int> q(2);
    constexpr int k_items = 1000;
    std::thread producer([&] {
        for (int i = 0; i < k_items; ++i) {
            q.push(i);
        }
        q.close();
    });
    std::vector<int> got;
    while (auto item = q.pop()) {
        got.push_back(*item);
    }
    producer.join();
    REQUIRE(got.size() == k_items);
    for (int i = 0; i < k_items; ++i) {
        CHECK(got[static_cast<size_t>(i)] == i);
    }
}

TEST_CASE("BoundedQueue close wakes a consumer waiting on an empty queue", "[bounded_queue]") {
    BoundedQueue<int> q(1);
    std::optional<int> result = 99;
    std::thread consumer([&] { result = q.pop(); });
    q.close();
    consumer.join();
    CHECK(result == std::nullopt);
}

TEST_CASE("BoundedQueue close wakes a producer waiting on a full queue", "[bounded_queue]") {
    BoundedQueue<int> q(1);
    REQUIRE(q.push(1));
    bool pushed = true;
    std::thread producer([&] { pushed = q.push(2); });
    q.close();
    producer.join();
    CHECK_FALSE(pushed);
    // What was queued before close is still delivered.
    CHECK(q.pop() == 1);
    CHECK(q.pop() == std::nullopt);
}

TEST_CASE("BoundedQueue abort wakes a producer waiting on a full queue", "[bounded_queue]") {
    BoundedQueue<int> q(1);
    REQUIRE(q.push(1));
    bool pushed = true;
    std::thread producer([&] { pushed = q.push(2); });
    q.abort();
    producer.join();
    CHECK_FALSE(pushed);
    CHECK(q.pop() == std::nullopt);
}

TEST_CASE("BoundedQueue with several producers and consumers loses nothing",
          "[bounded_queue]") {
    BoundedQueue<int> q(3);
    constexpr int k_per_producer = 500;
    std::vector<std::thread> producers;
    for (int p = 0; p < 3; ++p) {
        producers.emplace_back([&q, p] {
            for (int i = 0; i < k_per_producer; ++i) {
                q.push(p * k_per_producer + i);
            }
        });
    }
    std::vector<long> sums(2, 0);
    std::vector<int> counts(2, 0);
    std::vector<std::thread> consumers;
    for (size_t c = 0; c < 2; ++c) {
        consumers.emplace_back([&, c] {
            while (auto item = q.pop()) {
                sums[c] += *item;
                ++counts[c];
            }
        });
    }
    for (auto& t : producers) {
        t.join();
    }
    q.close();
    for (auto& t : consumers) {
        t.join();
    }
    constexpr int n = 3 * k_per_producer;
    CHECK(counts[0] + counts[1] == n);
    CHECK(sums[0] + sums[1] == static_cast<long>(n) * (n - 1) / 2);
}
