#include "sync/transport/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>

namespace edsync::transport {

namespace {

constexpr std::size_t kMaxHeaders = 200;
constexpr std::size_t kMaxHeaderValue = 8192;

void globalInitOnce() {
    // curl_global_init is not guaranteed thread-safe on every build: once per process.
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

FailureKind kindOf(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return FailureKind::Resolve;
    case CURLE_COULDNT_CONNECT: return FailureKind::Connect;
    case CURLE_OPERATION_TIMEDOUT: return FailureKind::Timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED: return FailureKind::Tls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING: return FailureKind::Reset;
    case CURLE_PARTIAL_FILE: return FailureKind::Truncated;
    case CURLE_FILESIZE_EXCEEDED: return FailureKind::TooLarge;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT: return FailureKind::Config;
    default: return FailureKind::Other;
    }
}

bool hasLineBreakOrNul(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

} // namespace

struct CurlTransport::Impl {
    // One running transfer. Its address is handed to curl, so slots never move.
    struct Slot {
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        std::vector<Header> headerSource;  // what `headers` was built from
        std::size_t index = 0;
        std::size_t maxBytes = 0;
        bool busy = false;
        bool tooLarge = false;
        Request owned;  // a streamed request lives here while it runs
        Response response;
        char errorBuffer[CURL_ERROR_SIZE] = {};
    };

    TransportOptions options;
    CURLM* multi = nullptr;
    std::vector<std::unique_ptr<Slot>> slots;
    std::atomic<bool> interrupted{false};
    int lastHttpVersion = 0;

    ~Impl() {
        for (auto& slot : slots) {
            if (slot->busy) curl_multi_remove_handle(multi, slot->easy);
            if (slot->headers) curl_slist_free_all(slot->headers);
            if (slot->easy) curl_easy_cleanup(slot->easy);
        }
        if (multi) curl_multi_cleanup(multi);
    }

    static size_t onBody(char* data, size_t size, size_t count, void* user) {
        auto* slot = static_cast<Slot*>(user);
        size_t n = size * count;
        if (slot->response.body.size() + n > slot->maxBytes) {
            slot->tooLarge = true;
            return 0;  // aborts the transfer with CURLE_WRITE_ERROR
        }
        slot->response.body.append(data, n);
        return n;
    }

    static size_t onHeader(char* data, size_t size, size_t count, void* user) {
        auto* slot = static_cast<Slot*>(user);
        size_t n = size * count;
        std::string_view line(data, n);
        if (line.starts_with("HTTP/")) {
            // A new status line (after 1xx or a proxy's answer): keep only the final response's headers.
            slot->response.headers.clear();
            return n;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return n;
        if (slot->response.headers.size() >= kMaxHeaders) return n;
        std::string name(trim(line.substr(0, colon)));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view value = trim(line.substr(colon + 1));
        if (value.size() > kMaxHeaderValue) value = value.substr(0, kMaxHeaderValue);
        slot->response.headers.push_back({std::move(name), std::string(value)});
        return n;
    }

    Slot* freeSlot() {
        for (auto& slot : slots)
            if (!slot->busy) return slot.get();
        return nullptr;
    }

    // What every request of this transport shares, set once when the handle is
    // made: options persist across transfers (the connection cache lives in
    // the multi handle), so a request sets only its URL, headers and body.
    std::optional<TransportError> configure(Slot& slot) {
        CURL* e = slot.easy;
        CURLcode rc = CURLE_OK;
        auto set = [&](CURLoption opt, auto value) {
            if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, value);
        };
        set(CURLOPT_PROTOCOLS_STR, "https");
        set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
        set(CURLOPT_FOLLOWLOCATION, 0L);
        // Verification stays on whatever else is set; these are libcurl's defaults, restated on purpose.
        set(CURLOPT_SSL_VERIFYPEER, 1L);
        set(CURLOPT_SSL_VERIFYHOST, 2L);
        set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        if (options.caBundle) set(CURLOPT_CAINFO, options.caBundle->c_str());
        set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        set(CURLOPT_PIPEWAIT, 1L);  // wait for an HTTP/2 connection rather than open another
        set(CURLOPT_NOSIGNAL, 1L);  // we run on a worker thread
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connectTimeout.count()));
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.totalTimeout.count()));
        set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.maxResponseBytes));
        set(CURLOPT_ACCEPT_ENCODING, "");
        set(CURLOPT_USERAGENT, options.userAgent.c_str());
        set(CURLOPT_WRITEFUNCTION, &Impl::onBody);
        set(CURLOPT_WRITEDATA, static_cast<void*>(&slot));
        set(CURLOPT_HEADERFUNCTION, &Impl::onHeader);
        set(CURLOPT_HEADERDATA, static_cast<void*>(&slot));
        set(CURLOPT_ERRORBUFFER, slot.errorBuffer);
        set(CURLOPT_PRIVATE, static_cast<void*>(&slot));
        if (rc != CURLE_OK) return TransportError{kindOf(rc), static_cast<int>(rc), curl_easy_strerror(rc)};
        return std::nullopt;
    }

    // Replaces the slot's header list; on failure the slot holds none, so the
    // next request builds it again rather than reusing half a list.
    static std::optional<TransportError> buildHeaders(Slot& slot, const std::vector<Header>& headers) {
        if (slot.headers) curl_slist_free_all(slot.headers);
        slot.headers = nullptr;
        slot.headerSource.clear();
        auto append = [&](const std::string& line) {
            curl_slist* next = curl_slist_append(slot.headers, line.c_str());
            if (next) slot.headers = next;
            return next != nullptr;
        };
        bool ok = true;
        for (const Header& h : headers) ok = ok && append(h.name + ": " + h.value);
        ok = ok && append("Expect:");  // no "Expect: 100-continue" round trip for larger bodies
        if (!ok) {
            curl_slist_free_all(slot.headers);
            slot.headers = nullptr;
            return TransportError{FailureKind::Other, 0, "out of memory"};
        }
        slot.headerSource = headers;
        return std::nullopt;
    }

    // Prepares and adds one request; an error means it never started.
    std::optional<TransportError> start(Slot& slot, const Request& request, std::size_t index) {
        for (const Header& h : request.headers)
            if (hasLineBreakOrNul(h.name) || hasLineBreakOrNul(h.value) || h.name.empty())
                return TransportError{FailureKind::Config, 0, "a request header holds a line break"};
        if (hasLineBreakOrNul(request.url)) return TransportError{FailureKind::Config, 0, "the URL holds a line break"};

        CURL* e = slot.easy;
        slot.index = index;
        slot.maxBytes = options.maxResponseBytes;
        slot.tooLarge = false;
        slot.response = Response{};
        slot.errorBuffer[0] = '\0';

        // The same headers as the slot's last request (a drain sends thousands
        // with one token): keep the list libcurl already has.
        if (!slot.headers || slot.headerSource != request.headers) {
            if (auto err = buildHeaders(slot, request.headers)) return err;
        }

        CURLcode rc = CURLE_OK;
        auto set = [&](CURLoption opt, auto value) {
            if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, value);
        };
        set(CURLOPT_URL, request.url.c_str());
        set(CURLOPT_HTTPHEADER, slot.headers);
        if (request.method == Method::Post) {
            set(CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
            set(CURLOPT_POST, 1L);
            set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
            set(CURLOPT_POSTFIELDS, request.body.data());
        } else {
            // Forget an earlier request's body (it is freed), then back to GET;
            // a DELETE is a GET with its method renamed (no body either way).
            set(CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
            set(CURLOPT_HTTPGET, 1L);
            set(CURLOPT_CUSTOMREQUEST, request.method == Method::Delete ? "DELETE" : static_cast<const char*>(nullptr));
        }
        if (rc != CURLE_OK) return TransportError{kindOf(rc), static_cast<int>(rc), curl_easy_strerror(rc)};
        if (CURLMcode mc = curl_multi_add_handle(multi, e); mc != CURLM_OK)
            return TransportError{FailureKind::Other, 0, curl_multi_strerror(mc)};
        slot.busy = true;
        return std::nullopt;
    }

    template <class Next>
    void run(Next&& next, const Completion& done);

    Outcome finish(Slot& slot, CURLcode result) {
        curl_multi_remove_handle(multi, slot.easy);
        slot.busy = false;
        long version = 0;
        curl_easy_getinfo(slot.easy, CURLINFO_HTTP_VERSION, &version);
        lastHttpVersion = version == CURL_HTTP_VERSION_2_0 ? 2 : (version == 0 ? 0 : 1);
        if (result == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(slot.easy, CURLINFO_RESPONSE_CODE, &status);
            slot.response.status = static_cast<int>(status);
            return std::move(slot.response);
        }
        TransportError err;
        err.curlCode = static_cast<int>(result);
        err.kind = (result == CURLE_WRITE_ERROR && slot.tooLarge) ? FailureKind::TooLarge : kindOf(result);
        // The error buffer can still hold the text of an earlier internal attempt (a
        // retry on a reused connection that had died); for a timeout it misleads.
        const bool useBuffer = slot.errorBuffer[0] != '\0' && result != CURLE_OPERATION_TIMEDOUT;
        err.message = useBuffer ? std::string(slot.errorBuffer) : std::string(curl_easy_strerror(result));
        slot.response = Response{};
        return fail(std::move(err));
    }
};

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CurlTransport::CurlTransport(CurlTransport&& other) noexcept = default;
CurlTransport& CurlTransport::operator=(CurlTransport&& other) noexcept = default;
CurlTransport::~CurlTransport() = default;

edsync::Result<CurlTransport, TransportError> CurlTransport::create(TransportOptions options) {
    globalInitOnce();
    if (options.maxInFlight < 1) options.maxInFlight = 1;
    if (options.connectTimeout.count() <= 0 || options.totalTimeout.count() <= 0)
        return fail(TransportError{FailureKind::Config, 0, "timeouts must be positive"});
    if (options.caBundle && !std::filesystem::is_regular_file(*options.caBundle))
        return fail(TransportError{FailureKind::Tls, 0, "the CA bundle " + options.caBundle->string() + " is not a readable file"});

    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->multi = curl_multi_init();
    if (!impl->multi) return fail(TransportError{FailureKind::Other, 0, "curl_multi_init failed"});
    curl_multi_setopt(impl->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    // Over HTTP/1.1 each parallel request needs its own connection; keep them bounded.
    curl_multi_setopt(impl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(impl->options.maxInFlight));
    for (int i = 0; i < impl->options.maxInFlight; ++i) {
        auto slot = std::make_unique<Impl::Slot>();
        slot->easy = curl_easy_init();
        if (!slot->easy) return fail(TransportError{FailureKind::Other, 0, "curl_easy_init failed"});
        if (auto err = impl->configure(*slot)) return fail(std::move(*err));
        impl->slots.push_back(std::move(slot));
    }
    return CurlTransport(std::move(impl));
}

void CurlTransport::interrupt() {
    if (!m_impl) return;
    m_impl->interrupted.store(true);
    curl_multi_wakeup(m_impl->multi);
}

void CurlTransport::resume() {
    if (m_impl) m_impl->interrupted.store(false);
}

int CurlTransport::lastHttpVersion() const { return m_impl ? m_impl->lastHttpVersion : 0; }

// The transfer loop shared by perform() and performStream(). `next(slot)`
// gives the request to start in a free slot (kept alive until it completes)
// and its index, or nullptr when there is nothing more to start.
template <class Next>
void CurlTransport::Impl::run(Next&& next, const Completion& done) {
    bool exhausted = false;
    int active = 0;
    auto cancelled = [] { return TransportError{FailureKind::Cancelled, 0, "stopped before it completed"}; };

    for (;;) {
        if (interrupted.load()) {
            for (auto& slot : slots) {
                if (!slot->busy) continue;
                curl_multi_remove_handle(multi, slot->easy);
                slot->busy = false;
                slot->owned = Request{};
                done(slot->index, fail(cancelled()));
            }
            // What was never started is cancelled too (batch mode; a stream is simply not asked again).
            while (!exhausted) {
                std::size_t index = 0;
                Slot scratch;
                if (!next(scratch, index, /*cancel=*/true)) break;
                done(index, fail(cancelled()));
            }
            return;
        }
        while (!exhausted) {
            Slot* slot = freeSlot();
            if (!slot) break;
            std::size_t index = 0;
            const Request* request = next(*slot, index, /*cancel=*/false);
            if (!request) {
                exhausted = true;
                break;
            }
            if (auto err = start(*slot, *request, index)) {
                slot->owned = Request{};
                done(index, fail(std::move(*err)));
            } else {
                ++active;
            }
        }
        if (active == 0 && exhausted) return;

        int running = 0;
        CURLMcode mc = curl_multi_perform(multi, &running);
        bool completed = false;
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) continue;
            void* priv = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            auto* slot = static_cast<Slot*>(priv);
            CURLcode result = msg->data.result;
            std::size_t index = slot->index;
            Outcome outcome = finish(*slot, result);
            slot->owned = Request{};
            --active;
            completed = true;
            done(index, std::move(outcome));
        }
        if (mc != CURLM_OK) {
            // The multi handle itself broke: fail what is running rather than spin.
            for (auto& slot : slots) {
                if (!slot->busy) continue;
                curl_multi_remove_handle(multi, slot->easy);
                slot->busy = false;
                slot->owned = Request{};
                --active;
                done(slot->index, fail(TransportError{FailureKind::Other, 0, curl_multi_strerror(mc)}));
            }
            continue;
        }
        // A completion frees a slot: refill it at once rather than wait in poll.
        if (!completed && active > 0) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
}

void CurlTransport::perform(std::span<const Request> batch, const Completion& done) {
    std::size_t next = 0;
    m_impl->run(
        [&](Impl::Slot&, std::size_t& index, bool) -> const Request* {
            if (next >= batch.size()) return nullptr;
            index = next;
            return &batch[next++];
        },
        done);
}

void CurlTransport::performStream(const NextRequest& nextRequest, const Completion& done) {
    std::size_t counter = 0;
    m_impl->run(
        [&](Impl::Slot& slot, std::size_t& index, bool cancel) -> const Request* {
            if (cancel) return nullptr;  // a stream's unasked requests do not exist yet
            std::optional<Request> request = nextRequest();
            if (!request) return nullptr;
            // libcurl keeps a pointer to the body (CURLOPT_POSTFIELDS): the slot owns it until completion.
            slot.owned = std::move(*request);
            index = counter++;
            return &slot.owned;
        },
        done);
}

} // namespace edsync::transport
