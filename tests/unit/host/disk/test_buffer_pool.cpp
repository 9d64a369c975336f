#include "host/disk/buffer_pool.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <thread>
#include <vector>

using namespace imgdeploy;

TEST_CASE("BufferPool hands out aligned, empty buffers of the given size", "[buffer_pool]") {
    BufferPool pool(3, 10000);
    CHECK(pool.buffer_bytes() == 10000);
    std::vector<AlignedBuffer> held;
    std::set<char*> distinct;
    for (int i = 0; i < 3; ++i) {
        auto b = pool.acquire();
        REQUIRE(b);
        CHECK(b->capacity() == 10000);
        CHECK(b->size() == 0);
        REQUIRE(b->data() != nullptr);
        CHECK(reinterpret_cast<uintptr_t>(b->data()) % k_direct_alignment == 0);
        // The whole capacity is usable.
        b->data()[0] = 'a';
        b->data()[9999] = 'z';
        distinct.insert(b->data());
        held.push_back(std::move(*b));
    }
    CHECK(distinct.size() == 3);
}

TEST_CASE("BufferPool resets the size of a returned buffer", "[buffer_pool]") {
    BufferPool pool(1, 4096);
    auto b = pool.acquire();
    REQUIRE(b);
    char* data = b->data();
    b->set_size(123);
    pool.release(std::move(*b));
    auto again = pool.acquire();
    REQUIRE(again);
    CHECK(again->data() == data);
    CHECK(again->size() == 0);
}

TEST_CASE("BufferPool abort makes acquire return nullopt", "[buffer_pool]") {
    BufferPool pool(2, 4096);
    pool.abort();
    CHECK_FALSE(pool.acquire());
}

TEST_CASE("BufferPool acquire waits for a release", "[buffer_pool]") {
    BufferPool pool(1, 4096);
    auto only = pool.acquire();
    REQUIRE(only);
    char* data = only->data();
    std::optional<AlignedBuffer> got;
    std::thread waiter([&] { got = pool.acquire(); });
    pool.release(std::move(*only));
    waiter.join();
    REQUIRE(got);
    CHECK(got->data() == data);
}

TEST_CASE("BufferPool abort wakes a waiting acquire", "[buffer_pool]") {
    BufferPool pool(1, 4096);
    auto only = pool.acquire();
    REQUIRE(only);
    bool got = true;
    std::thread waiter([&] { got = pool.acquire().has_value(); });
    pool.abort();
    waiter.join();
    CHECK_FALSE(got);
}

TEST_CASE("AlignedBuffer moves own the memory", "[buffer_pool]") {
    AlignedBuffer a(5000);
    a.set_size(10);
    char* data = a.data();
    AlignedBuffer b(std::move(a));
    CHECK(a.data() == nullptr);
    CHECK(a.capacity() == 0);
    CHECK(a.size() == 0);
    CHECK(b.data() == data);
    CHECK(b.capacity() == 5000);
    CHECK(b.size() == 10);
    AlignedBuffer c;
    c = std::move(b);
    CHECK(c.data() == data);
    CHECK(b.data() == nullptr);
}
