#include "host/ops/stream_image.hpp"

#include "common/bounded_queue.hpp"
#include "common/error.hpp"
#include "common/sha256.hpp"
#include "common/signals.hpp"
#include "common/strings.hpp"
#include "host/disk/buffer_pool.hpp"
#include "host/disk/disk_writer.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace imgdeploy {

namespace {

/// State shared by the pipeline threads: the first error wins and stops
/// everyone; `done` (an eventfd) wakes the poll loop.
class Pipeline {
  public:
    explicit Pipeline(const StreamPlan& stream_plan)
        : plan(stream_plan), pool(plan.buffers, plan.block_bytes), input_pool(3, 1u << 20),
          fetched(plan.buffers), done(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        if (!done) {
            throw SystemError("stream pipeline", "eventfd", errno);
        }
    }

    void fail(std::exception_ptr e) {
        {
            std::lock_guard lock(error_mutex);
            if (!error) {
                error = e;
            }
        }
        cancel();
    }

    void cancel() {
        cancelled = true;
        plan.source->cancel();
        fetched.abort();
        pool.abort();
        input_pool.abort();
        signal_done();
    }

    void signal_done() {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(done.get(), &one, sizeof one);
    }

    std::exception_ptr first_error() {
        std::lock_guard lock(error_mutex);
        return error;
    }

    const StreamPlan& plan;
    BufferPool pool;        // image blocks (raw fetch buffers are blocks too)
    BufferPool input_pool;  // compressed input chunks
    BoundedQueue<AlignedBuffer> fetched;
    UniqueFd done;
    std::atomic<bool> cancelled{false};
    std::atomic<uint64_t> fetched_bytes{0};
    std::atomic<Compression> compression{Compression::none};
    std::atomic<bool> compression_known{false};
    std::atomic<bool> writes_began{false};
    std::string sha256;
    uint64_t image_bytes = 0;
    std::vector<char> held;  // the image's first bytes, written last

  private:
    std::mutex error_mutex;
    std::exception_ptr error;
};

[[noreturn]] void throw_cancelled() { throw Error("cancelled"); }

/// Fills buf from the source until full or end of stream.
size_t fill(ByteSource& source, AlignedBuffer& buf, size_t want) {
    size_t n = 0;
    while (n < want) {
        size_t got = source.read(buf.data() + n, want - n);
        if (got == 0) {
            break;
        }
        n += got;
    }
    buf.set_size(n);
    return n;
}

void check_fits(const StreamPlan& plan, uint64_t image_bytes, const char* how) {
    uint64_t need = plan.data_offset + image_bytes;
    if (need > plan.disk->size()) {
        throw Error("image " + plan.source->describe() + " is larger than disk " +
                    plan.disk->path() + ": " + how + " " + std::to_string(need) +
                    " bytes, the disk has " + std::to_string(plan.disk->size()) +
                    " (nothing was written)");
    }
}

/// Fetch thread: source -> fetched queue.
void fetch_stage(Pipeline& p) {
    const StreamPlan& plan = p.plan;
    std::optional<Sha256> hash;
    if (plan.compute_sha256 || plan.expected_sha256) {
        hash.emplace();
    }
    bool first = true;
    for (;;) {
        bool raw = !first && p.compression.load() == Compression::none;
        if (raw && !hash) {
            // A sparse file's holes are zeroed on the disk without reading them.
            uint64_t hole = plan.source->skip_hole(k_max_hole_block);
            if (hole > 0) {
                AlignedBuffer marker;
                marker.set_size(static_cast<size_t>(hole));
                p.fetched_bytes += hole;
                if (!p.fetched.push(std::move(marker))) {
                    throw_cancelled();
                }
                continue;
            }
        }
        BufferPool& pool = first || raw ? p.pool : p.input_pool;
        auto buf = pool.acquire();
        if (!buf) {
            throw_cancelled();
        }
        size_t n = fill(*plan.source, *buf, pool.buffer_bytes());
        if (first) {
            first = false;
            Compression c = plan.detect_compression
                                ? detect_compression({buf->data(), buf->size()})
                                : Compression::none;
            p.compression = c;
            p.compression_known = true;
            if (c == Compression::none && plan.source->size()) {
                check_fits(plan, *plan.source->size(), "it needs");
            }
            if (c == Compression::zstd) {
                if (auto size = zstd_first_frame_size({buf->data(), buf->size()})) {
                    check_fits(plan, *size, "its zstd header records at least");
                }
            }
        }
        if (hash && n > 0) {
            hash->update(buf->data(), n);
        }
        p.fetched_bytes += n;
        if (n == 0) {
            pool.release(std::move(*buf));
            break;
        }
        if (!p.fetched.push(std::move(*buf))) {
            throw_cancelled();
        }
    }
    if (hash) {
        p.sha256 = hash->hex_digest();
    }
    p.fetched.close();
}

/// Places one image block on the disk, holding back the first bytes.
void dispatch(Pipeline& p, DiskWriter& writer, AlignedBuffer block) {
    const StreamPlan& plan = p.plan;
    uint64_t image_offset = p.image_bytes;
    size_t len = block.size();
    p.image_bytes += len;
    uint64_t disk_offset = plan.data_offset + image_offset;
    if (disk_offset + len > plan.disk->size()) {
        throw Error("image " + plan.source->describe() + " is larger than disk " +
                    plan.disk->path() + " (" + std::to_string(plan.disk->size()) +
                    " bytes): the stream goes on past the disk's end; stopped there");
    }
    size_t skip = 0;
    if (plan.data_offset == 0 && image_offset < plan.hold_bytes) {
        skip = static_cast<size_t>(std::min<uint64_t>(len, plan.hold_bytes - image_offset));
        if (block.data() != nullptr) {
            p.held.insert(p.held.end(), block.data(), block.data() + skip);
        } else {
            p.held.insert(p.held.end(), skip, '\0');  // a hole
        }
    }
    if (skip == len) {
        if (block.data() != nullptr) {
            p.pool.release(std::move(block));
        }
        return;
    }
    p.writes_began = true;
    writer.submit(WriteBlock{disk_offset, std::move(block), skip});
}

/// Decodes `first` and then everything else fetched into image blocks.
void decode_stage(Pipeline& p, DiskWriter& writer, Compression c, AlignedBuffer first) {
    auto decoder = make_decompressor(c);
    std::optional<AlignedBuffer> in(std::move(first));
    bool in_from_block_pool = true;  // the first buffer came from the block pool
    size_t in_pos = 0;
    bool input_ended = false;
    std::optional<AlignedBuffer> out;
    auto release_input = [&] {
        (in_from_block_pool ? p.pool : p.input_pool).release(std::move(*in));
        in.reset();
        in_from_block_pool = false;
    };
    for (;;) {
        if (!out) {
            out = p.pool.acquire();
            if (!out) {
                throw_cancelled();
            }
        }
        if ((!in || in_pos == in->size()) && !input_ended) {
            if (in) {
                release_input();
            }
            in = p.fetched.pop();
            in_pos = 0;
            if (!in) {
                if (p.cancelled) {
                    throw_cancelled();
                }
                input_ended = true;
            }
        }
        std::span<const char> input;
        if (in) {
            input = {in->data() + in_pos, in->size() - in_pos};
        }
        std::span<char> output{out->data() + out->size(), out->capacity() - out->size()};
        DecodeStep step = decoder->decode(input, output, input_ended);
        in_pos += step.consumed;
        out->set_size(out->size() + step.produced);
        if (out->size() == out->capacity() || (step.finished && out->size() > 0)) {
            dispatch(p, writer, std::move(*out));
            out.reset();
        }
        if (step.finished) {
            break;
        }
        if (input_ended && step.consumed == 0 && step.produced == 0 && !output.empty()) {
            throw Error(std::string(to_string(c)) +
                        " stream is truncated (the image file ends too early)");
        }
    }
    if (out) {
        p.pool.release(std::move(*out));
    }
    if (in) {
        release_input();
    }
}

void process_stage(Pipeline& p, DiskWriter& writer) {
    // The fetch thread has decided the format from the first buffer.
    auto first = p.fetched.pop();
    if (!first) {
        return;  // an empty stream, or cancelled
    }
    Compression c = p.compression.load();
    if (c == Compression::none) {
        dispatch(p, writer, std::move(*first));
        while (auto buf = p.fetched.pop()) {
            dispatch(p, writer, std::move(*buf));
        }
        return;
    }
    decode_stage(p, writer, c, std::move(*first));
}

/// Runs the poll loop until the pipeline is done; returns a signal number
/// if SIGINT/SIGTERM arrived (the pipeline is then cancelled).
std::optional<int> wait_for_pipeline(Pipeline& p, ProgressSink& progress) {
    std::optional<int> signal;
    for (;;) {
        pollfd fds[2] = {{p.done.get(), POLLIN, 0},
                         {p.plan.signals ? p.plan.signals->fd() : -1, POLLIN, 0}};
        int rc = ::poll(fds, 2, 250);
        if (rc < 0 && errno != EINTR) {
            throw SystemError("stream pipeline", "poll", errno);
        }
        progress.copy_progress(p.fetched_bytes.load(), p.plan.source->size().value_or(0), false);
        if (fds[1].revents & POLLIN) {
            if (auto s = p.plan.signals->take()) {
                signal = s;
                p.cancel();
            }
        }
        if (fds[0].revents & POLLIN) {
            return signal;
        }
    }
}

template <typename F> std::thread start_stage(Pipeline& p, F body) {
    return std::thread([&p, body] {
        try {
            body();
        } catch (...) {
            p.fail(std::current_exception());
        }
        p.signal_done();
    });
}

}  // namespace

StreamResult stream_image(const StreamPlan& plan, ProgressSink& progress, bool& writes_began) {
    auto start = std::chrono::steady_clock::now();
    Pipeline p(plan);
    DiskWriter writer(*plan.disk, p.pool, plan.writer_threads);
    std::thread fetch = start_stage(p, [&p] { fetch_stage(p); });
    std::thread process = start_stage(p, [&p, &writer] { process_stage(p, writer); });
    std::optional<int> signal;
    // The process stage's end (success or failure) ends the loop; a fetch
    // failure cancels the process stage, which then ends too.
    try {
        signal = wait_for_pipeline(p, progress);
    } catch (...) {
        p.cancel();
        fetch.join();
        process.join();
        writes_began = p.writes_began;
        throw;
    }
    fetch.join();
    process.join();
    writes_began = p.writes_began;
    if (signal) {
        writer.abort();
        throw Interrupted(*signal);
    }
    if (auto e = p.first_error()) {
        writer.abort();
        std::rethrow_exception(e);
    }
    writer.finish();

    StreamResult r;
    r.compression = p.compression.load();
    r.fetched_bytes = p.fetched_bytes.load();
    r.image_bytes = p.image_bytes;
    r.sha256 = p.sha256;
    progress.copy_progress(r.fetched_bytes, plan.source->size().value_or(r.fetched_bytes), true);
    if (plan.expected_sha256 && *plan.expected_sha256 != r.sha256) {
        throw Error("checksum mismatch for image " + plan.source->describe() + ": expected sha256:" +
                    *plan.expected_sha256 + ", got sha256:" + r.sha256);
    }
    if (r.image_bytes == 0 && !plan.allow_empty) {
        throw Error("image " + plan.source->describe() + " is empty");
    }
    // Only now does the disk get its first MiB: boot code, partition table.
    if (plan.make_preamble) {
        std::vector<char> head = plan.make_preamble(r.image_bytes);
        writes_began = true;
        writer.write(0, head.data(), head.size());
    } else if (!p.held.empty()) {
        writes_began = true;
        writer.write(0, p.held.data(), p.held.size());
    }
    writer.sync();
    WriterStats ws = writer.stats();
    r.written_bytes = ws.bytes_written;
    r.zeroed_bytes = ws.bytes_zeroed;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace imgdeploy
