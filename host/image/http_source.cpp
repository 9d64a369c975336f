#include "host/image/http_source.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <cstring>
#include <curl/curl.h>
#include <mutex>
#include <spdlog/spdlog.h>

namespace imgdeploy {

namespace {

/// How long read() waits in curl_multi_poll before it looks at the cancel
/// flag again (cancel() also wakes the poll up at once).
constexpr int k_poll_ms = 200;
constexpr long k_max_redirects = 10;
constexpr const char* k_protocols = "http,https,ftp,ftps";

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            throw Error(std::string("initializing libcurl: ") + curl_easy_strerror(rc));
        }
    });
}

struct EasyDeleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct MultiDeleter {
    void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};

/// Failures that mean "the connection went away or stalled": worth resuming.
bool is_resumable(CURLcode rc) {
    switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

template <typename T>
void set_option(CURL* easy, CURLoption option, T value, const std::string& shown) {
    CURLcode rc = curl_easy_setopt(easy, option, value);
    if (rc != CURLE_OK) {
        throw Error(shown + ": libcurl rejected an option: " + curl_easy_strerror(rc));
    }
}

}  // namespace

std::string redact_url(const std::string& url) {
    size_t scheme_end = url.find("://");
    size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
    size_t authority_end = url.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) {
        authority_end = url.size();
    }
    size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at == std::string::npos || at < authority || at >= authority_end) {
        return url;
    }
    return url.substr(0, authority) + url.substr(at + 1);
}

struct HttpSource::Impl {
    std::string url;
    std::string shown;  // redacted, for every message
    HttpOptions options;
    std::unique_ptr<CURLM, MultiDeleter> multi;
    std::unique_ptr<CURL, EasyDeleter> easy;
    std::atomic<bool> cancelled{false};
    std::atomic<int64_t> total{-1};  // Content-Length of the first response

    // The stream.
    std::string buffer;  // received, not yet read(); filled by on_body
    size_t buffer_pos = 0;
    uint64_t offset = 0;  // stream bytes received so far (read() or buffered)
    unsigned retries_used = 0;
    bool active = false;  // easy is in multi
    bool done = false;
    std::string failure;  // set once read() has thrown; later reads rethrow

    // The current attempt (one request, maybe after redirects).
    bool response_checked = false;
    std::string refusal;  // why on_body refused the response
    uint64_t skip = 0;    // bytes of a 200 answer to a range request to drop
    long status_code = 0;
    std::string status_reason;
    std::optional<uint64_t> range_start;  // from Content-Range
    char errbuf[CURL_ERROR_SIZE] = {};

    Impl(std::string u, HttpOptions o) : url(std::move(u)), shown(redact_url(url)), options(o) {}
    ~Impl() {
        if (active) {
            curl_multi_remove_handle(multi.get(), easy.get());
        }
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void setup();
    void start_attempt();
    void pump();
    void finish(CURLcode rc);
    bool check_response();
    void set_total_from(bool partial_answer);
    [[noreturn]] void fail(const std::string& why);
    void resume_or_fail(const std::string& why);
    std::string http_status_text(long code) const;
    bool is_http() const;

    static size_t on_body(char* data, size_t size, size_t nmemb, void* self);
    static size_t on_header(char* data, size_t size, size_t nmemb, void* self);
    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
};

void HttpSource::Impl::setup() {
    global_init();
    multi.reset(curl_multi_init());
    easy.reset(curl_easy_init());
    if (!multi || !easy) {
        throw Error(shown + ": cannot initialize libcurl");
    }
    CURL* h = easy.get();
    set_option(h, CURLOPT_URL, url.c_str(), shown);
    set_option(h, CURLOPT_PROTOCOLS_STR, k_protocols, shown);
    set_option(h, CURLOPT_REDIR_PROTOCOLS_STR, k_protocols, shown);
    set_option(h, CURLOPT_FOLLOWLOCATION, 1L, shown);
    set_option(h, CURLOPT_MAXREDIRS, k_max_redirects, shown);
    set_option(h, CURLOPT_FAILONERROR, 1L, shown);
    set_option(h, CURLOPT_NOSIGNAL, 1L, shown);
    set_option(h, CURLOPT_USERAGENT, "imgdeploy/" IMGDEPLOY_VERSION, shown);
    if (!options.ca_file.empty()) {
        set_option(h, CURLOPT_CAINFO, options.ca_file.c_str(), shown);
    }
    set_option(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout_s), shown);
    set_option(h, CURLOPT_LOW_SPEED_LIMIT, 1L, shown);
    set_option(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_timeout_s), shown);
    set_option(h, CURLOPT_ERRORBUFFER, errbuf, shown);
    set_option(h, CURLOPT_WRITEFUNCTION, &Impl::on_body, shown);
    set_option(h, CURLOPT_WRITEDATA, this, shown);
    set_option(h, CURLOPT_HEADERFUNCTION, &Impl::on_header, shown);
    set_option(h, CURLOPT_HEADERDATA, this, shown);
    set_option(h, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress, shown);
    set_option(h, CURLOPT_XFERINFODATA, this, shown);
    set_option(h, CURLOPT_NOPROGRESS, 0L, shown);
}

/// Starts one request for the bytes from `offset` on. We ask with
/// CURLOPT_RANGE rather than CURLOPT_RESUME_FROM_LARGE: with the latter curl
/// itself refuses a server's 200 answer (CURLE_RANGE_ERROR), and we would
/// rather skip the bytes we already have. For FTP both mean REST.
void HttpSource::Impl::start_attempt() {
    std::string range = std::to_string(offset) + "-";
    set_option(easy.get(), CURLOPT_RANGE, offset > 0 ? range.c_str() : nullptr, shown);
    response_checked = false;
    refusal.clear();
    skip = 0;
    status_code = 0;
    status_reason.clear();
    range_start.reset();
    errbuf[0] = '\0';
    CURLMcode mc = curl_multi_add_handle(multi.get(), easy.get());
    if (mc != CURLM_OK) {
        fail(std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
    }
    active = true;
}

/// Lets curl work once, handles a finished attempt, and waits up to
/// k_poll_ms for the socket when nothing arrived.
void HttpSource::Impl::pump() {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK) {
        fail(std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
        if (msg->msg == CURLMSG_DONE) {
            CURLcode rc = msg->data.result;  // msg dies with remove_handle
            finish(rc);
        }
    }
    if (cancelled) {
        fail("cancelled");
    }
    if (active && buffer_pos == buffer.size()) {
        mc = curl_multi_poll(multi.get(), nullptr, 0, k_poll_ms, nullptr);
        if (mc != CURLM_OK) {
            fail(std::string("curl_multi_poll: ") + curl_multi_strerror(mc));
        }
    }
}

/// Decides what an ended attempt means: the end of the stream, a resumable
/// drop, or a failure.
void HttpSource::Impl::finish(CURLcode rc) {
    curl_multi_remove_handle(multi.get(), easy.get());
    active = false;
    if (cancelled || rc == CURLE_ABORTED_BY_CALLBACK) {
        fail("cancelled");
    }
    if (!refusal.empty()) {
        fail(refusal);
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
        long code = 0;
        curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &code);
        fail(http_status_text(code));
    }
    if (rc != CURLE_OK) {
        std::string why = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
        if (!is_resumable(rc)) {
            fail(why);
        }
        return resume_or_fail(why);
    }
    // A response without a body never reached on_body; check it now.
    if (!check_response()) {
        fail(refusal);
    }
    int64_t expected = total;
    if (expected >= 0 && offset < static_cast<uint64_t>(expected)) {
        return resume_or_fail("connection closed after " + std::to_string(offset) + " of " +
                              std::to_string(expected) + " bytes");
    }
    if (skip > 0) {
        return resume_or_fail("the answer to a range request ended before byte " +
                              std::to_string(offset));
    }
    done = true;
}

void HttpSource::Impl::resume_or_fail(const std::string& why) {
    if (options.retries == 0) {
        fail("transfer failed: " + why);
    }
    if (retries_used >= options.retries) {
        fail("transfer failed after " + std::to_string(options.retries) + " retries: " + why);
    }
    ++retries_used;
    spdlog::warn("resuming {} at byte {} after: {} (attempt {} of {})", shown, offset, why,
                 retries_used, options.retries);
    start_attempt();
}

void HttpSource::Impl::fail(const std::string& why) {
    failure = shown + ": " + why;
    throw Error(failure);
}

bool HttpSource::Impl::is_http() const {
    const char* scheme = nullptr;
    curl_easy_getinfo(easy.get(), CURLINFO_SCHEME, &scheme);
    return scheme != nullptr && starts_with_icase(scheme, "http");
}

std::string HttpSource::Impl::http_status_text(long code) const {
    std::string text = "HTTP " + std::to_string(code);
    if (code == status_code && !status_reason.empty()) {
        text += " " + status_reason;
    }
    return text;
}

/// Once per attempt, when the headers are in: refuses an HTTP error status
/// (FAILONERROR lets some through, e.g. 401 during authentication), checks
/// that a 206 starts where we asked, and notes the stream's size.
bool HttpSource::Impl::check_response() {
    if (response_checked) {
        return refusal.empty();
    }
    response_checked = true;
    bool partial_answer = false;
    bool http = is_http();
    if (http) {
        long code = 0;
        curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &code);
        if (code >= 400) {
            refusal = http_status_text(code);
            return false;
        }
        partial_answer = code == 206;
        if (offset > 0 && partial_answer && range_start != offset) {
            refusal = "asked for the bytes from " + std::to_string(offset) +
                      " on, the server sent a different range";
            return false;
        }
        if (offset > 0 && !partial_answer) {
            skip = offset;  // The server ignored the Range header.
        }
    }
    // A resumed FTP transfer reports the remaining length only.
    set_total_from(partial_answer || (!http && offset > 0));
    return true;
}

/// Records Content-Length as the stream's size, once, from an answer that
/// covers the whole stream (not from a partial, resumed one).
void HttpSource::Impl::set_total_from(bool partial_answer) {
    if (total >= 0 || partial_answer) {
        return;
    }
    curl_off_t length = -1;
    if (curl_easy_getinfo(easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length >= 0) {
        total = length;
    }
}

size_t HttpSource::Impl::on_body(char* data, size_t size, size_t nmemb, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    size_t n = size * nmemb;
    if (self->cancelled || !self->check_response()) {
        return 0;  // Makes curl stop with CURLE_WRITE_ERROR.
    }
    size_t dropped = static_cast<size_t>(std::min<uint64_t>(self->skip, n));
    self->skip -= dropped;
    self->buffer.append(data + dropped, n - dropped);
    self->offset += n - dropped;
    return n;
}

size_t HttpSource::Impl::on_header(char* data, size_t size, size_t nmemb, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    size_t n = size * nmemb;
    std::string_view line = trim(std::string_view(data, n));
    if (line.starts_with("HTTP/")) {
        // "HTTP/1.1 404 Not Found": a new response (maybe after a redirect).
        size_t space = line.find(' ');
        std::string_view rest = space == line.npos ? "" : trim(line.substr(space + 1));
        space = rest.find(' ');
        self->status_code = static_cast<long>(parse_u64(rest.substr(0, space)).value_or(0));
        self->status_reason = space == rest.npos ? "" : trim(rest.substr(space + 1));
        self->range_start.reset();
    } else if (starts_with_icase(line, "content-range:")) {
        // "Content-Range: bytes 1000-2999/3000"
        std::string_view value = trim(line.substr(std::strlen("content-range:")));
        if (starts_with_icase(value, "bytes ")) {
            value = value.substr(6);
            self->range_start = parse_u64(value.substr(0, value.find('-')));
        }
    }
    return n;
}

int HttpSource::Impl::on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<Impl*>(self_ptr)->cancelled ? 1 : 0;
}

HttpSource::HttpSource(std::string url, HttpOptions options)
    : m_impl(std::make_unique<Impl>(std::move(url), options)) {
    m_impl->setup();
}

HttpSource::~HttpSource() = default;

size_t HttpSource::read(char* buf, size_t len) {
    Impl& s = *m_impl;
    if (!s.failure.empty()) {
        throw Error(s.failure);
    }
    if (s.cancelled) {
        s.fail("cancelled");
    }
    while (s.buffer_pos == s.buffer.size()) {
        s.buffer.clear();
        s.buffer_pos = 0;
        if (s.done || len == 0) {
            return 0;
        }
        if (!s.active) {
            s.start_attempt();
        }
        s.pump();
    }
    size_t n = std::min(len, s.buffer.size() - s.buffer_pos);
    std::memcpy(buf, s.buffer.data() + s.buffer_pos, n);
    s.buffer_pos += n;
    return n;
}

std::optional<uint64_t> HttpSource::size() const {
    int64_t total = m_impl->total;
    if (total < 0) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(total);
}

std::string HttpSource::describe() const { return m_impl->shown; }

void HttpSource::cancel() {
    m_impl->cancelled = true;
    curl_multi_wakeup(m_impl->multi.get());
}

std::string http_fetch_small(const std::string& url, const HttpOptions& options, size_t max_bytes) {
    HttpSource source(url, options);
    std::string text;
    char buf[65536];
    while (size_t n = source.read(buf, sizeof buf)) {
        std::optional<uint64_t> size = source.size();
        if (text.size() + n > max_bytes || (size && *size > max_bytes)) {
            throw Error(source.describe() + ": larger than the limit of " + std::to_string(max_bytes) +
                        " bytes");
        }
        text.append(buf, n);
    }
    return text;
}

}  // namespace imgdeploy
