#include "host/disk/disk_writer.hpp"

#include "common/error.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "disk_test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <future>
#include <linux/falloc.h>
#include <unistd.h>

using namespace imgdeploy;
using namespace imgdeploy::test;
using Catch::Matchers::Contains;

namespace {

constexpr size_t k_unit = k_zero_unit;
constexpr char k_fill = '\xee';

/// A regular-file disk of `size` bytes of k_fill in a scratch directory.
class FileDisk {
  public:
    explicit FileDisk(uint64_t size)
        : m_dir("/tmp", "imgdeploy-unit-"), m_path(m_dir.path() + "/disk") {
        make_disk_file(m_path, size, k_fill);
    }
    const std::string& path() const { return m_path; }
    const std::string& dir() const { return m_dir.path(); }
    std::string contents() const { return sys::read_file(m_path); }

  private:
    TempDir m_dir;
    std::string m_path;
};

/// A block from the pool holding `data`.
WriteBlock make_block(BufferPool& pool, uint64_t offset, const std::string& data, size_t skip = 0) {
    auto buf = pool.acquire();
    REQUIRE(buf);
    REQUIRE(data.size() <= buf->capacity());
    std::memcpy(buf->data(), data.data(), data.size());
    buf->set_size(data.size());
    return WriteBlock{offset, std::move(*buf), skip};
}

/// What the disk holds after writing `data` at `offset`, skipping `skip` bytes.
std::string expected_after(std::string disk, uint64_t offset, const std::string& data,
                           size_t skip = 0) {
    disk.replace(offset + skip, data.size() - skip, data.substr(skip));
    return disk;
}

bool punching_supported(const std::string& dir) {
    std::string path = dir + "/probe";
    make_disk_file(path, 1u << 16, 'x');
    UniqueFd fd = sys::open(path, O_RDWR);
    return sys::try_fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
}

/// Acquires `count` buffers, or fewer if some never came back (then the
/// pool is aborted after a generous wait so the test fails instead of hanging).
size_t acquirable(BufferPool& pool, size_t count) {
    auto f = std::async(std::launch::async, [&] {
        size_t n = 0;
        while (n < count && pool.acquire()) {
            ++n;
        }
        return n;
    });
    if (f.wait_for(std::chrono::seconds(30)) == std::future_status::timeout) {
        pool.abort();
    }
    return f.get();
}

}  // namespace

TEST_CASE("is_all_zero at every length around the 256-byte stride", "[disk_writer]") {
    std::vector<char> zeros(1100, 0);
    for (size_t n : {0, 1, 7, 255, 256, 257, 511, 512, 513, 1024, 1099}) {
        INFO("length " << n);
        CHECK(is_all_zero(zeros.data(), n));
        CHECK(is_all_zero(zeros.data() + 1, n));  // unaligned start
    }
}

TEST_CASE("is_all_zero finds one non-zero byte anywhere", "[disk_writer]") {
    for (size_t n : {1, 255, 256, 257, 600, 1024}) {
        std::vector<char> buf(n + 1, 0);
        for (size_t i = 0; i < n; ++i) {
            buf[i] = static_cast<char>(i % 2 ? 0x80 : 0x01);
            INFO("length " << n << ", non-zero byte at " << i);
            CHECK_FALSE(is_all_zero(buf.data(), n));
            buf[i] = 0;
        }
        // A non-zero byte just past the end is not looked at.
        buf[n] = 1;
        CHECK(is_all_zero(buf.data(), n));
    }
}

TEST_CASE("DiskWriter writes a mix of data and zero units exactly", "[disk_writer]") {
    FileDisk disk(2u << 20);
    std::string before = disk.contents();
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(4, 1u << 20);
    // zero, data, zero, zero, data, a 1000-byte zero tail (shorter than a unit).
    std::string data = std::string(k_unit, '\0') + pattern(k_unit, 1) +
                       std::string(2 * k_unit, '\0') + pattern(k_unit, 2) +
                       std::string(1000, '\0');
    uint64_t offset = 3 * 4096;
    {
        DiskWriter writer(target, pool, 2);
        writer.submit(make_block(pool, offset, data));
        writer.finish();
        WriterStats st = writer.stats();
        CHECK(st.bytes_written + st.bytes_zeroed == data.size());
        CHECK(st.bytes_written >= 2 * k_unit + 1000);
    }
    CHECK(disk.contents() == expected_after(before, offset, data));
}

TEST_CASE("DiskWriter turns aligned zero runs into holes", "[disk_writer]") {
    FileDisk disk(1u << 20);
    if (!punching_supported(disk.dir())) {
        WARN("the file system under /tmp cannot punch holes; skipped");
        return;
    }
    uint64_t allocated_before = allocated_bytes(disk.path());
    REQUIRE(allocated_before >= (1u << 20));
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(2, 1u << 20);
    std::string data = pattern(k_unit, 3) + std::string(2 * k_unit, '\0') + pattern(k_unit, 4);
    {
        DiskWriter writer(target, pool, 1);
        writer.submit(make_block(pool, 0, data));
        writer.finish();
        CHECK(writer.stats().bytes_zeroed == 2 * k_unit);
        CHECK(writer.stats().bytes_written == 2 * k_unit);
    }
    UniqueFd fd = sys::open(disk.path(), O_RDONLY);
    CHECK(::lseek(fd.get(), 0, SEEK_HOLE) == static_cast<off_t>(k_unit));
    CHECK(::lseek(fd.get(), static_cast<off_t>(k_unit), SEEK_DATA) ==
          static_cast<off_t>(3 * k_unit));
    CHECK(allocated_bytes(disk.path()) == allocated_before - 2 * k_unit);
    std::string got = disk.contents();
    CHECK(got.substr(0, data.size()) == data);
    CHECK(got.substr(data.size()) == std::string((1u << 20) - data.size(), k_fill));
}

TEST_CASE("DiskWriter leaves the skipped bytes untouched", "[disk_writer]") {
    FileDisk disk(1u << 20);
    std::string before = disk.contents();
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(2, 1u << 19);
    std::string data = pattern(5000, 5) + std::string(3 * k_unit, '\0') + pattern(777, 6);
    for (size_t skip : {size_t{1}, size_t{5000}, k_unit, data.size() - 1}) {
        INFO("skip " << skip);
        DiskWriter writer(target, pool, 2);
        writer.submit(make_block(pool, 8192, data, skip));
        writer.finish();
        std::string want = expected_after(before, 8192, data, skip);
        CHECK(disk.contents() == want);
        before = want;
    }
}

TEST_CASE("DiskWriter at unaligned offsets and lengths", "[disk_writer]") {
    FileDisk disk(1u << 20);
    std::string image = disk.contents();
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(4, 1u << 18);
    struct Case {
        uint64_t offset;
        std::string data;
    };
    std::vector<Case> cases = {
        {1, pattern(4095, 7)},
        {4097, std::string(k_unit, '\0') + pattern(13, 8)},  // zeros at an unaligned offset
        {200000, pattern(3 * k_unit + 1, 9)},
        {(1u << 20) - 7, pattern(7, 10)},  // up to the last byte of the disk
    };
    DiskWriter writer(target, pool, 3);
    for (const Case& c : cases) {
        writer.submit(make_block(pool, c.offset, c.data));
        image = expected_after(image, c.offset, c.data);
    }
    writer.finish();
    CHECK(disk.contents() == image);
    CHECK(sys::fstat(target.buffered_fd(), disk.path()).st_size == (1 << 20));
}

TEST_CASE("DiskWriter writes many blocks on several threads", "[disk_writer]") {
    FileDisk disk(8u << 20);
    std::string image = disk.contents();
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(6, 1u << 18);
    {
        DiskWriter writer(target, pool, 4);
        for (unsigned i = 0; i < 30; ++i) {
            uint64_t offset = uint64_t{i} * (1u << 18);
            std::string data = i % 3 == 0 ? std::string(1u << 18, '\0') : pattern(1u << 18, i);
            if (i % 5 == 0) {
                data.resize(100000 + i);  // a short block, leaving bytes after it
            }
            writer.submit(make_block(pool, offset, data));
            image = expected_after(image, offset, data);
        }
        writer.finish();
    }
    CHECK(disk.contents() == image);
    CHECK(acquirable(pool, 6) == 6);
}

TEST_CASE("DiskWriter write() and zero() are synchronous", "[disk_writer]") {
    FileDisk disk(1u << 20);
    std::string image = disk.contents();
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool none(0, 0);
    DiskWriter writer(target, none, 0);

    // Unaligned source pointer and offset.
    std::string data = "x" + pattern(100000, 11);
    writer.write(12345, data.data() + 1, data.size() - 1);
    image = expected_after(image, 12345, data.substr(1));
    CHECK(disk.contents() == image);

    // An aligned buffer at an aligned offset goes straight through.
    AlignedBuffer aligned(3 * 4096);
    std::string more = pattern(3 * 4096, 12);
    std::memcpy(aligned.data(), more.data(), more.size());
    writer.write(4096 * 40, aligned.data(), more.size());
    image = expected_after(image, 4096 * 40, more);
    CHECK(disk.contents() == image);

    writer.zero(5000, 70000);
    image = expected_after(image, 5000, std::string(70000, '\0'));
    CHECK(disk.contents() == image);
    writer.zero(0, 1u << 20);  // the whole disk
    CHECK(disk.contents() == std::string(1u << 20, '\0'));
    writer.sync();
    writer.finish();
}

TEST_CASE("DiskWriter reports a failed write with the disk and offset", "[disk_writer]") {
    FileDisk disk(1u << 20);
    TargetDisk target(disk.path(), TargetDisk::Access::read_only);
    BufferPool pool(3, 1u << 16);
    DiskWriter writer(target, pool, 2);
    writer.submit(make_block(pool, 4096, pattern(1u << 16, 13)));
    writer.submit(make_block(pool, 1u << 17, pattern(1u << 16, 14)));
    CHECK_THROWS_WITH(writer.finish(), Contains("writing disk " + disk.path()) &&
                                           Contains("pwrite") &&
                                           Contains("Bad file descriptor"));
    // The error stays: finish and submit rethrow it.
    CHECK_THROWS_WITH(writer.finish(), Contains("pwrite"));
    // Every buffer came back to the pool.
    CHECK(acquirable(pool, 3) == 3);
    CHECK(disk.contents() == std::string(1u << 20, k_fill));
}

TEST_CASE("DiskWriter submit after a failure rethrows it", "[disk_writer]") {
    FileDisk disk(1u << 20);
    TargetDisk target(disk.path(), TargetDisk::Access::read_only);
    BufferPool pool(3, 1u << 16);
    DiskWriter writer(target, pool, 1);
    writer.submit(make_block(pool, 0, pattern(1u << 16, 15)));
    CHECK_THROWS(writer.finish());
    CHECK_THROWS_WITH(writer.submit(make_block(pool, 0, pattern(100, 16))), Contains("pwrite"));
}

TEST_CASE("DiskWriter abort stops the writer; later submits fail", "[disk_writer]") {
    FileDisk disk(1u << 20);
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    BufferPool pool(2, 1u << 16);
    {
        DiskWriter writer(target, pool, 2);
        writer.abort();
        // The threads are gone: submitting now fails instead of blocking.
        CHECK_THROWS_WITH(writer.submit(make_block(pool, 0, pattern(100, 17))),
                          Contains("writer stopped"));
    }
    CHECK(disk.contents() == std::string(1u << 20, k_fill));
}

TEST_CASE("wipe_boot_areas zeroes the first and last MiB only", "[disk_writer]") {
    constexpr uint64_t mib = 1u << 20;
    FileDisk disk(4 * mib);
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    CHECK(wipe_boot_areas(target));
    std::string got = disk.contents();
    REQUIRE(got.size() == 4 * mib);
    CHECK(got.substr(0, mib) == std::string(mib, '\0'));
    CHECK(got.substr(mib, 2 * mib) == std::string(2 * mib, k_fill));
    CHECK(got.substr(3 * mib) == std::string(mib, '\0'));
}

TEST_CASE("wipe_boot_areas on a disk of unaligned size", "[disk_writer]") {
    constexpr uint64_t mib = 1u << 20;
    uint64_t size = 3 * mib + 100;
    FileDisk disk(size);
    TargetDisk target(disk.path(), TargetDisk::Access::read_write);
    CHECK(wipe_boot_areas(target));
    std::string got = disk.contents();
    REQUIRE(got.size() == size);
    CHECK(got.substr(0, mib) == std::string(mib, '\0'));
    CHECK(got.substr(mib, size - 2 * mib) == std::string(size - 2 * mib, k_fill));
    CHECK(got.substr(size - mib) == std::string(mib, '\0'));
}

TEST_CASE("wipe_boot_areas on small disks zeroes everything", "[disk_writer]") {
    for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{4096}, uint64_t{1} << 20,
                          (uint64_t{3} << 19) + 17}) {
        INFO("size " << size);
        FileDisk disk(size);
        TargetDisk target(disk.path(), TargetDisk::Access::read_write);
        CHECK(wipe_boot_areas(target));
        CHECK(disk.contents() == std::string(size, '\0'));
    }
}

TEST_CASE("wipe_boot_areas reports failure instead of throwing", "[disk_writer]") {
    FileDisk disk(2u << 20);
    TargetDisk target(disk.path(), TargetDisk::Access::read_only);
    CHECK_FALSE(wipe_boot_areas(target));
    CHECK(disk.contents() == std::string(2u << 20, k_fill));
}
