#include "host/ops/stream_image.hpp"

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signals.hpp"
#include "common/syscalls.hpp"
#include "common/temp_file.hpp"
#include "host/image/fsdump_preamble.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <map>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <unistd.h>

using namespace imgdeploy;
using Catch::Matchers::Contains;

namespace {

constexpr uint64_t k_mib = uint64_t{1} << 20;
constexpr char k_fill = '\xee';

/// An image in memory, read back in odd-sized pieces. Optionally the size
/// is unknown, or reading fails once `fail_after` bytes have been returned.
class MemorySource final : public ByteSource {
  public:
    explicit MemorySource(std::string data, bool size_known = true,
                          std::optional<size_t> fail_after = std::nullopt)
        : m_data(std::move(data)), m_size_known(size_known), m_fail_after(fail_after) {}

    size_t read(char* buf, size_t len) override {
        static constexpr size_t k_pieces[] = {1, 7, 4093, 65537, 1000003, 3, 131071};
        if (m_fail_after && m_pos >= *m_fail_after) {
            throw Error("memory://test: the connection broke at byte " + std::to_string(m_pos));
        }
        size_t end = m_fail_after ? std::min(*m_fail_after, m_data.size()) : m_data.size();
        size_t n = std::min({len, k_pieces[m_reads++ % std::size(k_pieces)], end - m_pos});
        std::memcpy(buf, m_data.data() + m_pos, n);
        m_pos += n;
        return n;
    }
    std::optional<uint64_t> size() const override {
        return m_size_known ? std::optional<uint64_t>(m_data.size()) : std::nullopt;
    }
    std::string describe() const override { return "memory://test"; }

  private:
    std::string m_data;
    bool m_size_known;
    std::optional<size_t> m_fail_after;
    size_t m_pos = 0;
    size_t m_reads = 0;
};

/// Remembers every copy_progress call.
class RecordingProgress final : public ProgressSink {
  public:
    struct Call {
        uint64_t position;
        uint64_t total;
        bool final;
    };
    void info(const std::string&) override {}
    void copy_progress(uint64_t position, uint64_t total, bool final) override {
        std::lock_guard lock(m_mutex);
        m_calls.push_back({position, total, final});
    }
    void error(const std::vector<std::string>&) override {}
    void helper_event(const std::string&) override {}
    std::vector<Call> calls() const {
        std::lock_guard lock(m_mutex);
        return m_calls;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<Call> m_calls;
};

/// A regular-file target disk of k_fill bytes.
class FileDisk {
  public:
    explicit FileDisk(uint64_t size)
        : m_dir("/tmp", "imgdeploy-unit-"), m_path(m_dir.path() + "/disk"), m_size(size) {
        UniqueFd fd = sys::open(m_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::string chunk(k_mib, k_fill);
        for (uint64_t done = 0; done < size; done += k_mib) {
            sys::write_full(fd.get(), chunk.data(), std::min<uint64_t>(k_mib, size - done), m_path);
        }
        m_disk.emplace(m_path, TargetDisk::Access::read_write);
    }
    const TargetDisk& target() const { return *m_disk; }
    const std::string& dir() const { return m_dir.path(); }
    std::string contents() const { return sys::read_file(m_path); }
    /// The disk as it should be with `image` at `offset` and nothing else written.
    std::string with(const std::string& image, uint64_t offset = 0) const {
        std::string d(m_size, k_fill);
        d.replace(offset, image.size(), image);
        return d;
    }
    std::string untouched() const { return std::string(m_size, k_fill); }

  private:
    TempDir m_dir;
    std::string m_path;
    uint64_t m_size;
    std::optional<TargetDisk> m_disk;
};

/// Image bytes: numbered text lines (compressible, never zero, every line
/// different) with zero runs, some of them whole aligned 64 KiB units.
std::string image_bytes(size_t n, unsigned seed) {
    std::string s;
    s.reserve(n + 64);
    for (size_t line = 0; s.size() < n; ++line) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "seed %u, line %zu: the quick brown fox\n", seed, line);
        s += buf;
    }
    s.resize(n);
    for (size_t i = 0; i < n; ++i) {
        size_t unit = i / 65536;
        if (unit % 5 == 2 || (unit % 7 == 3 && i % 65536 < 30000)) {
            s[i] = '\0';
        }
    }
    return s;
}

std::string sha256_hex(const std::string& data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.hex_digest();
}

std::string compress(const std::string& dir, std::vector<std::string> argv,
                     const std::string& data) {
    std::string path = dir + "/image.raw";
    {
        UniqueFd fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        sys::write_full(fd.get(), data.data(), data.size(), path);
    }
    argv.push_back(path);
    std::string out = run_capture(argv);
    ::unlink(path.c_str());
    return out;
}

std::string compress_uncached(const std::string& dir, Compression c, const std::string& data) {
    switch (c) {
    case Compression::gzip:
        return compress(dir, {"gzip", "-1", "-c", "-n"}, data);
    case Compression::xz:
        return compress(dir, {"xz", "-1", "-c", "-T2", "--block-size=1MiB"}, data);
    case Compression::zstd:
        return compress(dir, {"zstd", "-1", "-q", "-c"}, data);
    case Compression::bzip2:
        return compress(dir, {"bzip2", "-1", "-c"}, data);
    case Compression::none:
        break;
    }
    return data;
}

/// `data` compressed by the real tool; each result is made once per run.
std::string compress_as(const std::string& dir, Compression c, const std::string& data) {
    static std::map<std::pair<Compression, std::string>, std::string> cache;
    auto key = std::make_pair(c, sha256_hex(data));
    auto it = cache.find(key);
    if (it == cache.end()) {
        it = cache.emplace(key, compress_uncached(dir, c, data)).first;
    }
    return it->second;
}

StreamPlan plan_for(ByteSource& source, const FileDisk& disk) {
    StreamPlan plan;
    plan.source = &source;
    plan.disk = &disk.target();
    return plan;
}

/// stream_image's error message, and writes_began, for a plan that must fail.
std::string stream_error(const StreamPlan& plan, bool& writes_began) {
    NullProgress progress;
    writes_began = false;
    try {
        stream_image(plan, progress, writes_began);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("stream_image did not throw");
    return "";
}

const Compression k_formats[] = {Compression::gzip, Compression::xz, Compression::zstd,
                                 Compression::bzip2};

}  // namespace

TEST_CASE("stream_image writes a raw image exactly", "[stream_image]") {
    FileDisk disk(8 * k_mib);
    std::string image = image_bytes(3 * k_mib + 123, 1);
    MemorySource source(image);
    RecordingProgress progress;
    bool writes_began = false;
    StreamResult r = stream_image(plan_for(source, disk), progress, writes_began);
    CHECK(writes_began);
    CHECK(r.compression == Compression::none);
    CHECK(r.fetched_bytes == image.size());
    CHECK(r.image_bytes == image.size());
    CHECK(r.written_bytes + r.zeroed_bytes == image.size());
    CHECK(r.sha256.empty());
    CHECK(disk.contents() == disk.with(image));
    auto calls = progress.calls();
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back().final);
    CHECK(calls.back().position == image.size());
    CHECK(calls.back().total == image.size());
    for (size_t i = 0; i + 1 < calls.size(); ++i) {
        CHECK_FALSE(calls[i].final);
    }
}

TEST_CASE("stream_image with small blocks and an unknown size", "[stream_image]") {
    FileDisk disk(6 * k_mib);
    std::string image = image_bytes(5 * k_mib + 4097, 2);
    MemorySource source(image, false);
    StreamPlan plan = plan_for(source, disk);
    plan.block_bytes = 64 * 1024;
    plan.buffers = 3;
    plan.writer_threads = 2;
    RecordingProgress progress;
    bool writes_began = false;
    StreamResult r = stream_image(plan, progress, writes_began);
    CHECK(r.image_bytes == image.size());
    CHECK(disk.contents() == disk.with(image));
    // With no size, the final total is what was fetched.
    REQUIRE_FALSE(progress.calls().empty());
    CHECK(progress.calls().back().total == image.size());
    CHECK(progress.calls().back().final);
}

TEST_CASE("stream_image zeroes zero runs without writing their bytes", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    // 1 MiB of data (held back, written last), 2 MiB of zeros, 100 bytes of data.
    std::string image = image_bytes(k_mib, 3) + std::string(2 * k_mib, '\0') + "tail data" +
                        std::string(91, 'x');
    MemorySource source(image);
    NullProgress progress;
    bool writes_began = false;
    StreamResult r = stream_image(plan_for(source, disk), progress, writes_began);
    CHECK(disk.contents() == disk.with(image));
    CHECK(r.written_bytes + r.zeroed_bytes == image.size());
    CHECK(r.written_bytes >= k_mib + 100);
}

TEST_CASE("stream_image writes images no larger than the held MiB", "[stream_image]") {
    FileDisk disk(2 * k_mib);
    for (size_t size : {size_t{1}, size_t{100}, size_t{4096}, size_t{70000}, size_t{k_mib}}) {
        INFO("image of " << size << " bytes");
        std::string image = image_bytes(size, 20).replace(0, 1, "X");
        MemorySource source(image);
        NullProgress progress;
        bool writes_began = false;
        StreamResult r = stream_image(plan_for(source, disk), progress, writes_began);
        CHECK(writes_began);
        CHECK(r.image_bytes == size);
        CHECK(disk.contents() == disk.with(image));
    }
}

TEST_CASE("stream_image with a hold ending inside a block", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(3 * k_mib + 5, 21);
    MemorySource source(image);
    StreamPlan plan = plan_for(source, disk);
    plan.block_bytes = 64 * 1024;
    plan.hold_bytes = 100000;
    NullProgress progress;
    bool writes_began = false;
    StreamResult r = stream_image(plan, progress, writes_began);
    CHECK(r.written_bytes + r.zeroed_bytes == image.size());
    CHECK(disk.contents() == disk.with(image));
}

TEST_CASE("stream_image of a small compressed image", "[stream_image]") {
    FileDisk disk(2 * k_mib);
    std::string image = "a tiny image\n";
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        MemorySource source(compress_as(disk.dir(), c, image));
        NullProgress progress;
        bool writes_began = false;
        StreamResult r = stream_image(plan_for(source, disk), progress, writes_began);
        CHECK(r.compression == c);
        CHECK(r.image_bytes == image.size());
        CHECK(disk.contents() == disk.with(image));
    }
}

TEST_CASE("stream_image decompresses each format", "[stream_image]") {
    FileDisk disk(8 * k_mib);
    std::string image = image_bytes(3 * k_mib + 777, 4);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(disk.dir(), c, image);
        for (size_t block : {size_t{4} << 20, size_t{256} << 10}) {
            INFO("block bytes " << block);
            MemorySource source(packed);
            StreamPlan plan = plan_for(source, disk);
            plan.block_bytes = block;
            plan.compute_sha256 = true;
            RecordingProgress progress;
            bool writes_began = false;
            StreamResult r = stream_image(plan, progress, writes_began);
            CHECK(writes_began);
            CHECK(r.compression == c);
            CHECK(r.fetched_bytes == packed.size());
            CHECK(r.image_bytes == image.size());
            CHECK(r.written_bytes + r.zeroed_bytes == image.size());
            // The checksum is of the published (compressed) file.
            CHECK(r.sha256 == sha256_hex(packed));
            CHECK(disk.contents() == disk.with(image));
            REQUIRE_FALSE(progress.calls().empty());
            CHECK(progress.calls().back().position == packed.size());
            CHECK(progress.calls().back().total == packed.size());
        }
    }
}

TEST_CASE("stream_image decompresses concatenated members", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string a = image_bytes(k_mib + 5, 5);
    std::string b = image_bytes(2 * k_mib - 5, 6);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(disk.dir(), c, a) + compress_as(disk.dir(), c, b);
        MemorySource source(packed, false);
        NullProgress progress;
        bool writes_began = false;
        StreamResult r = stream_image(plan_for(source, disk), progress, writes_began);
        CHECK(r.image_bytes == a.size() + b.size());
        CHECK(disk.contents() == disk.with(a + b));
    }
}

TEST_CASE("stream_image without detection writes compressed bytes as they are",
          "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string packed = compress_as(disk.dir(), Compression::gzip, image_bytes(3 * k_mib, 7));
    MemorySource source(packed);
    StreamPlan plan = plan_for(source, disk);
    plan.detect_compression = false;
    NullProgress progress;
    bool writes_began = false;
    StreamResult r = stream_image(plan, progress, writes_began);
    CHECK(r.compression == Compression::none);
    CHECK(r.image_bytes == packed.size());
    CHECK(disk.contents() == disk.with(packed));
}

TEST_CASE("stream_image holds the first MiB back until the end", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(3 * k_mib, 8);
    // One buffer: the fetch thread gets it back only after the block was
    // written (or held), so everything before the failure has been placed.
    SECTION("a failure after 2 MiB: the first MiB is untouched, the second written") {
        MemorySource source(image, true, 2 * k_mib);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 256 * 1024;
        plan.buffers = 1;
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke at byte 2097152"));
        CHECK(writes_began);
        std::string want = disk.untouched();
        want.replace(k_mib, k_mib, image.substr(k_mib, k_mib));
        CHECK(disk.contents() == want);
    }
    SECTION("a failure within the first MiB: nothing was written") {
        MemorySource source(image, true, 300000);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 64 * 1024;
        plan.buffers = 1;
        bool writes_began = true;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke"));
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("a hold that ends inside a block") {
        MemorySource source(image, true, 2 * k_mib);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 64 * 1024;
        plan.buffers = 1;
        plan.hold_bytes = 100000;
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke"));
        CHECK(writes_began);
        std::string want = disk.untouched();
        want.replace(100000, 2 * k_mib - 100000, image.substr(100000, 2 * k_mib - 100000));
        CHECK(disk.contents() == want);
    }
    SECTION("no hold: writing starts at byte 0") {
        MemorySource source(image, true, 2 * k_mib);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 256 * 1024;
        plan.buffers = 1;
        plan.hold_bytes = 0;
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke"));
        CHECK(writes_began);
        std::string want = disk.untouched();
        want.replace(0, 2 * k_mib, image.substr(0, 2 * k_mib));
        CHECK(disk.contents() == want);
    }
    SECTION("a compressed stream failing early writes nothing") {
        std::string packed = compress_as(disk.dir(), Compression::gzip, image);
        MemorySource source(packed, true, packed.size() / 3);
        bool writes_began = true;
        CHECK_THAT(stream_error(plan_for(source, disk), writes_began),
                   Contains("connection broke"));
        // Less than one 4 MiB block was decoded: no block was dispatched.
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("a compressed stream failing late leaves the first MiB untouched") {
        std::string big = image_bytes(3 * k_mib + 5000, 9);
        std::string packed = compress_as(disk.dir(), Compression::zstd, big);
        MemorySource source(packed, true, packed.size() - 100);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 256 * 1024;
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke"));
        CHECK(disk.contents().substr(0, k_mib) == std::string(k_mib, k_fill));
    }
}

TEST_CASE("stream_image verifies the expected sha256", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(3 * k_mib, 10);
    SECTION("a matching digest") {
        MemorySource source(image);
        StreamPlan plan = plan_for(source, disk);
        plan.expected_sha256 = sha256_hex(image);
        NullProgress progress;
        bool writes_began = false;
        StreamResult r = stream_image(plan, progress, writes_began);
        CHECK(r.sha256 == sha256_hex(image));
        CHECK(disk.contents() == disk.with(image));
    }
    SECTION("a mismatch throws and the first MiB is not written") {
        MemorySource source(image);
        StreamPlan plan = plan_for(source, disk);
        std::string wrong = sha256_hex("something else");
        plan.expected_sha256 = wrong;
        bool writes_began = false;
        CHECK(stream_error(plan, writes_began) ==
              "checksum mismatch for image memory://test: expected sha256:" + wrong +
                  ", got sha256:" + sha256_hex(image));
        CHECK(writes_began);
        std::string got = disk.contents();
        CHECK(got.substr(0, k_mib) == std::string(k_mib, k_fill));
        CHECK(got.substr(k_mib, 2 * k_mib) == image.substr(k_mib));
    }
    SECTION("a mismatch on a small image writes nothing at all") {
        std::string small = image.substr(0, 5000);
        MemorySource source(small);
        StreamPlan plan = plan_for(source, disk);
        plan.expected_sha256 = sha256_hex(image);
        bool writes_began = true;
        CHECK_THAT(stream_error(plan, writes_began), Contains("checksum mismatch"));
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("the digest of a compressed image is of the compressed bytes") {
        std::string packed = compress_as(disk.dir(), Compression::xz, image);
        MemorySource source(packed);
        StreamPlan plan = plan_for(source, disk);
        plan.expected_sha256 = sha256_hex(image);  // of the wrong bytes
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began),
                   Contains("got sha256:" + sha256_hex(packed)));
        CHECK(disk.contents().substr(0, k_mib) == std::string(k_mib, k_fill));
    }
}

TEST_CASE("stream_image refuses an image larger than the disk", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(4 * k_mib + 1, 11);
    SECTION("a known size: refused before anything is written") {
        MemorySource source(image);
        bool writes_began = true;
        CHECK(stream_error(plan_for(source, disk), writes_began) ==
              "image memory://test is larger than disk " + disk.target().path() +
                  ": it needs 4194305 bytes, the disk has 4194304 (nothing was written)");
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("an unknown size: stopped at the disk's end, nothing past it") {
        MemorySource source(image, false);
        StreamPlan plan = plan_for(source, disk);
        plan.block_bytes = 256 * 1024;
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began),
                   Contains("is larger than disk") && Contains("past the disk's end"));
        std::string got = disk.contents();
        CHECK(got.size() == 4 * k_mib);
        CHECK(got.substr(0, k_mib) == std::string(k_mib, k_fill));
    }
    SECTION("a zstd header recording the size: refused before anything is written") {
        std::string packed = compress_as(disk.dir(), Compression::zstd, image);
        MemorySource source(packed);
        bool writes_began = true;
        CHECK_THAT(stream_error(plan_for(source, disk), writes_began),
                   Contains("its zstd header records at least 4194305 bytes") &&
                       Contains("nothing was written"));
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("gzip, whose size shows only while decoding: stopped at the disk's end") {
        std::string packed = compress_as(disk.dir(), Compression::gzip, image);
        MemorySource source(packed);
        bool writes_began = false;
        CHECK_THAT(stream_error(plan_for(source, disk), writes_began),
                   Contains("past the disk's end"));
        std::string got = disk.contents();
        CHECK(got.size() == 4 * k_mib);
        CHECK(got.substr(0, k_mib) == std::string(k_mib, k_fill));
    }
    SECTION("an image exactly the disk's size fits") {
        std::string exact = image.substr(0, 4 * k_mib);
        MemorySource source(exact);
        NullProgress progress;
        bool writes_began = false;
        stream_image(plan_for(source, disk), progress, writes_began);
        CHECK(disk.contents() == exact);
    }
}

TEST_CASE("stream_image puts the image after a preamble written last", "[stream_image]") {
    FileDisk disk(5 * k_mib);
    std::string image = image_bytes(3 * k_mib + 333, 12);
    SECTION("the preamble gets the image size and goes to [0, data_offset)") {
        MemorySource source(image);
        StreamPlan plan = plan_for(source, disk);
        plan.data_offset = k_mib;
        std::optional<uint64_t> asked;
        plan.make_preamble = [&](uint64_t bytes) {
            asked = bytes;
            return std::vector<char>(k_mib, 'P');
        };
        NullProgress progress;
        bool writes_began = false;
        StreamResult r = stream_image(plan, progress, writes_began);
        CHECK(asked == uint64_t{image.size()});
        CHECK(r.image_bytes == image.size());
        CHECK(disk.contents() == disk.with(std::string(k_mib, 'P') + image));
    }
    SECTION("with the real fsdump preamble") {
        MemorySource source(image);
        StreamPlan plan = plan_for(source, disk);
        plan.data_offset = k_preamble_bytes;
        plan.make_preamble = [](uint64_t bytes) {
            return make_fsdump_preamble(bytes, PartitionKind::linux_ext,
                                        "/usr/lib/syslinux/mbr/mbr.bin");
        };
        NullProgress progress;
        bool writes_began = false;
        stream_image(plan, progress, writes_began);
        std::string got = disk.contents();
        auto want_head = make_fsdump_preamble(image.size(), PartitionKind::linux_ext,
                                              "/usr/lib/syslinux/mbr/mbr.bin");
        CHECK(got.substr(0, k_mib) == std::string(want_head.data(), want_head.size()));
        CHECK(got.substr(k_mib, image.size()) == image);
        CHECK(got.substr(k_mib + image.size()) ==
              std::string(5 * k_mib - k_mib - image.size(), k_fill));
    }
    SECTION("a failure: no preamble, the first MiB untouched") {
        MemorySource source(image, true, 2 * k_mib);
        StreamPlan plan = plan_for(source, disk);
        plan.data_offset = k_mib;
        plan.block_bytes = 256 * 1024;
        plan.buffers = 1;
        bool called = false;
        plan.make_preamble = [&](uint64_t) {
            called = true;
            return std::vector<char>(k_mib, 'P');
        };
        bool writes_began = false;
        CHECK_THAT(stream_error(plan, writes_began), Contains("connection broke"));
        CHECK_FALSE(called);
        CHECK(writes_began);
        // No hold with a data offset: the image's first 2 MiB are in place.
        std::string want = disk.untouched();
        want.replace(k_mib, 2 * k_mib, image.substr(0, 2 * k_mib));
        CHECK(disk.contents() == want);
    }
    SECTION("the offset counts against the disk size") {
        std::string fits_alone = image_bytes(4 * k_mib + 1, 13);
        MemorySource source(fits_alone);
        StreamPlan plan = plan_for(source, disk);
        plan.data_offset = k_mib;
        plan.make_preamble = [](uint64_t) { return std::vector<char>(k_mib, 'P'); };
        bool writes_began = true;
        CHECK_THAT(stream_error(plan, writes_began),
                   Contains("it needs 5242881 bytes") && Contains("nothing was written"));
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
}

TEST_CASE("stream_image and empty images", "[stream_image]") {
    FileDisk disk(2 * k_mib);
    SECTION("an empty image is an error") {
        MemorySource source("");
        bool writes_began = true;
        CHECK(stream_error(plan_for(source, disk), writes_began) ==
              "image memory://test is empty");
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
    SECTION("allowed (img_id null): nothing is written") {
        MemorySource source("");
        StreamPlan plan = plan_for(source, disk);
        plan.allow_empty = true;
        RecordingProgress progress;
        bool writes_began = true;
        StreamResult r = stream_image(plan, progress, writes_began);
        CHECK_FALSE(writes_began);
        CHECK(r.image_bytes == 0);
        CHECK(r.fetched_bytes == 0);
        CHECK(r.written_bytes == 0);
        CHECK(r.zeroed_bytes == 0);
        CHECK(r.compression == Compression::none);
        CHECK(disk.contents() == disk.untouched());
        REQUIRE_FALSE(progress.calls().empty());
        CHECK(progress.calls().back().final);
        CHECK(progress.calls().back().position == 0);
    }
    SECTION("a compressed empty image is empty too") {
        std::string packed = compress_as(disk.dir(), Compression::gzip, "");
        MemorySource source(packed);
        bool writes_began = true;
        CHECK_THAT(stream_error(plan_for(source, disk), writes_began), Contains("is empty"));
        CHECK_FALSE(writes_began);
        CHECK(disk.contents() == disk.untouched());
    }
}

TEST_CASE("stream_image reports truncated and corrupt compressed images", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(3 * k_mib + 777, 4);
    for (Compression c : k_formats) {
        INFO("format " << to_string(c));
        std::string packed = compress_as(disk.dir(), c, image);
        {
            MemorySource source(packed.substr(0, packed.size() - 10));
            bool writes_began = false;
            CHECK_THAT(stream_error(plan_for(source, disk), writes_began),
                       Contains(std::string(to_string(c)) + " stream is truncated"));
        }
        {
            std::string bad = packed;
            bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x40);
            MemorySource source(bad);
            bool writes_began = false;
            CHECK_THAT(stream_error(plan_for(source, disk), writes_began), Contains("corrupt"));
        }
        CHECK(disk.contents().substr(0, k_mib) == std::string(k_mib, k_fill));
    }
}

TEST_CASE("stream_image stops on a signal from the signalfd", "[stream_image]") {
    FileDisk disk(4 * k_mib);
    std::string image = image_bytes(3 * k_mib, 15);
    ScopedSignalBlock block{SIGUSR1};
    SignalFd signals(block.blocked());
    REQUIRE(::raise(SIGUSR1) == 0);  // pending before the stream starts
    MemorySource source(image);
    StreamPlan plan = plan_for(source, disk);
    plan.signals = &signals;
    NullProgress progress;
    bool writes_began = false;
    try {
        stream_image(plan, progress, writes_began);
        FAIL("no exception");
    } catch (const Interrupted& e) {
        CHECK(e.signal() == SIGUSR1);
    }
    CHECK(disk.contents().substr(0, k_mib) == std::string(k_mib, k_fill));
    CHECK(signals.take() == std::nullopt);
}
