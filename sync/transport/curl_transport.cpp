#include "sync/transport/curl_transport.hpp"

#include <curl/curl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace edsync::transport {

namespace {

constexpr std::size_t kMaxHeaders = 200;
constexpr std::size_t kMaxHeaderValue = 8192;
// A link probe's SYN budget: never shorter (a fast LAN would probe in a spin) ...
constexpr std::chrono::milliseconds kMinLinkProbeBudget{200};
// ... and the whole probeTimeout for the 8th, 16th, 32nd, 64th unanswered in
// a row, then every 64th: a link that came back slower than the handshakes
// seen is still found, while most looks send a fresh SYN.
constexpr int kPatientProbeFirst = 8;
constexpr int kPatientProbeEvery = 64;

// The connection request is still unanswered: the kernel waits for a SYN-ACK.
bool synUnanswered(curl_socket_t fd) {
    tcp_info info{};
    socklen_t size = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) return false;
    return info.tcpi_state == TCP_SYN_SENT;
}

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

using Steady = std::chrono::steady_clock;

// "https://host:port/..." -> "https://host:port/".
std::string originRoot(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    auto path = url.find('/', scheme + 3);
    return std::string(url.substr(0, path)) + "/";
}

// Retry-After as a delay: delta-seconds or an HTTP date. Held to a year:
// the caller caps it far lower, but only after a conversion to the steady
// clock's nanoseconds, which a server's "99999999999" would overflow.
std::optional<std::chrono::milliseconds> retryAfterDelay(std::string_view value) {
    constexpr long long kYear = 366LL * 24 * 3600;
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) return std::chrono::seconds(std::min(seconds, kYear));
    if (ec == std::errc::result_out_of_range && end == value.data() + value.size() && value.front() != '-') return std::chrono::seconds(kYear);
    if (auto at = parseHttpDate(value)) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        return std::chrono::seconds(std::clamp<long long>(*at - now, 0, kYear));
    }
    return std::nullopt;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

} // namespace

struct CurlTransport::Impl {
    // Answered: still in the multi handle, but its caller already has its
    // outcome (a DoneWhen::Reached look); its answer is read and dropped.
    enum class State { Idle, Running, Parked, Answered };

    // One transfer. Its address is handed to curl, so slots never move.
    struct Slot {
        Impl* owner = nullptr;
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        std::vector<Header> headerSource;  // what `headers` was built from ...
        Method headerMethod = Method::Get;  // ... and for which method
        std::size_t index = 0;
        std::size_t maxBytes = 0;
        State state = State::Idle;
        bool tooLarge = false;
        bool dropPastMax = false;  // a write's answer: bytes past maxBytes are dropped, not an error
        bool headersEnded = false;  // the blank line after the final response's headers came
        bool resent = false;  // already sent again after a stall
        bool linkProbe = false;  // ConnectWait::Probe: an unanswered SYN is given up at synDeadline
        bool doneOnHandshake = false;  // DoneWhen::Reached over HTTP/2: complete when its own connection's TLS is up
        curl_socket_t socket = CURL_SOCKET_BAD;  // a connection this transfer opened (not one reused)
        Steady::time_point synDeadline;
        Steady::time_point started;
        curl_off_t seenUp = 0;
        curl_off_t seenDown = 0;
        Request owned;  // a streamed request lives here while it runs
        Response response;
        char errorBuffer[CURL_ERROR_SIZE] = {};
    };

    TransportOptions options;
    CURLM* multi = nullptr;
    CURLSH* share = nullptr;
    std::vector<std::unique_ptr<Slot>> slots;  // made as the window grows, up to maxInFlight
    Slot probe;                                // the stall probe's own handle
    bool probing = false;
    std::atomic<bool> interrupted{false};
    std::mutex multiMutex;  // interrupt() wakes the multi handle from another thread while a stall may replace it

    // The adaptive window: grows by one per answer that saw no queueing
    // delay (about doubling per round trip until the pipe is full), halves
    // on a 429; nothing new starts before a Retry-After has passed.
    double window = 1;
    Steady::duration minLatency = Steady::duration::max();
    Steady::time_point pausedUntil{};
    Steady::time_point lastProgress{};  // the last byte any transfer moved
    // The stall threshold: doubled each time a probe finds the link up (the
    // server, not the link, was slow), back to stallTimeout after a run of
    // quick answers, so a slow server is not asked everything twice.
    Steady::duration stallAfter{};
    int quickAnswers = 0;
    // The last TCP handshake seen (SYN to SYN-ACK); link probes' SYN budget follows it.
    std::optional<Steady::duration> tcpHandshake;
    int silentInARow = 0;  // link probes given up since a connection last opened
    // Origins ("https://host:port/") whose last answer came over HTTP/2: a
    // look left running there is one stream beside the next requests, so
    // DoneWhen::Reached may complete early (over HTTP/1.1 it would hold the
    // connection they need).
    std::set<std::string, std::less<>> h2Origins;

    mutable std::mutex statsMutex;
    TransportStats counters;

    ~Impl() {
        for (auto& slot : slots) {
            if (slot->state == State::Running || slot->state == State::Answered) curl_multi_remove_handle(multi, slot->easy);
            if (slot->headers) curl_slist_free_all(slot->headers);
            if (slot->easy) curl_easy_cleanup(slot->easy);
        }
        if (probe.easy) {
            if (probing) curl_multi_remove_handle(multi, probe.easy);
            curl_easy_cleanup(probe.easy);
        }
        if (multi) curl_multi_cleanup(multi);
        if (share) curl_share_cleanup(share);
    }

    template <class F>
    void count(F&& change) {
        std::lock_guard lock(statsMutex);
        change(counters);
    }

    int cap() const { return options.maxInFlight; }
    int windowNow() const { return std::clamp(static_cast<int>(window), 1, cap()); }

    static size_t onBody(char* data, size_t size, size_t count, void* user) {
        auto* slot = static_cast<Slot*>(user);
        size_t n = size * count;
        slot->owner->lastProgress = Steady::now();
        if (slot->response.body.size() + n > slot->maxBytes) {
            if (slot->dropPastMax) {
                slot->response.body.append(data, std::min(n, slot->maxBytes - slot->response.body.size()));
                return n;
            }
            slot->tooLarge = true;
            return 0;  // aborts the transfer with CURLE_WRITE_ERROR
        }
        slot->response.body.append(data, n);
        return n;
    }

    static size_t onHeader(char* data, size_t size, size_t count, void* user) {
        auto* slot = static_cast<Slot*>(user);
        size_t n = size * count;
        slot->owner->lastProgress = Steady::now();
        std::string_view line(data, n);
        if (line.starts_with("HTTP/")) {
            // A new status line (after 1xx or a proxy's answer): keep only the final response's headers.
            slot->response.headers.clear();
            slot->headersEnded = false;
            return n;
        }
        if (trim(line).empty()) {
            slot->headersEnded = true;
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

    // Bytes leaving (acknowledged into a full send buffer) or arriving are
    // the stall detector's sign of life.
    static int onProgress(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
        auto* slot = static_cast<Slot*>(user);
        if (dlnow != slot->seenDown || ulnow != slot->seenUp) {
            slot->seenDown = dlnow;
            slot->seenUp = ulnow;
            slot->owner->lastProgress = Steady::now();
        }
        return 0;
    }

    // Every new connection: the kernel gives up on data nobody acknowledges
    // (TCP_USER_TIMEOUT) and keepalive probes find a dead idle connection,
    // both well after the stall detector has had its say.
    static int onSocket(void* user, curl_socket_t fd, curlsocktype purpose) {
        auto* slot = static_cast<Slot*>(user);
        Impl* impl = slot->owner;
        if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKOPT_OK;
        slot->socket = fd;
        const auto userTimeout = 2 * (impl->options.stallTimeout + impl->options.probeTimeout);
        unsigned int ms = static_cast<unsigned int>(std::min<long long>(userTimeout.count(), 600'000));
        int probes = 3;
        // A socket that refuses either only loses this safety net; the stall detector still acts.
        (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
        (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
        impl->count([](TransportStats& s) { ++s.connections; });
        return CURL_SOCKOPT_OK;
    }

    // The connection (TCP and TLS) is ready and the request about to go: on a
    // slow far link that alone can take seconds, and it is a sign of life.
    static int onConnected(void* user, char*, char*, int, int) {
        static_cast<Slot*>(user)->owner->lastProgress = Steady::now();
        return CURL_PREREQFUNC_OK;
    }

    Slot* freeSlot() {
        for (auto& slot : slots)
            if (slot->state == State::Idle) return slot.get();
        if (static_cast<int>(slots.size()) >= cap()) return nullptr;
        auto slot = std::make_unique<Slot>();
        slot->easy = curl_easy_init();
        if (!slot->easy || configure(*slot)) {
            if (slot->easy) curl_easy_cleanup(slot->easy);
            return nullptr;
        }
        slots.push_back(std::move(slot));
        return slots.back().get();
    }

    std::optional<TransportError> makeMulti() {
        multi = curl_multi_init();
        if (!multi) return TransportError{FailureKind::Other, 0, "curl_multi_init failed"};
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        // Over HTTP/1.1 each parallel request needs its own connection; keep them bounded.
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.maxConnections));
        // Over HTTP/2 the window runs as streams of one connection (the server's own limit applies too).
        curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(options.maxInFlight));
        return std::nullopt;
    }

    // What every request of this transport shares, set once when the handle is
    // made: options persist across transfers (the connection cache lives in
    // the multi handle), so a request sets only its URL, headers and body.
    std::optional<TransportError> configure(Slot& slot) {
        slot.owner = this;
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
        set(CURLOPT_SHARE, share);  // TLS sessions resumed across connections (and multi handles)
        set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        set(CURLOPT_PIPEWAIT, 1L);  // wait for an HTTP/2 connection rather than open another
        set(CURLOPT_NOSIGNAL, 1L);  // we run on a worker thread
        set(CURLOPT_TCP_KEEPALIVE, 1L);
        set(CURLOPT_TCP_KEEPIDLE, 10L);
        set(CURLOPT_TCP_KEEPINTVL, 5L);
        set(CURLOPT_SOCKOPTFUNCTION, &Impl::onSocket);
        set(CURLOPT_SOCKOPTDATA, static_cast<void*>(&slot));
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connectTimeout.count()));
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.totalTimeout.count()));
        set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.maxResponseBytes));
        set(CURLOPT_USERAGENT, options.userAgent.c_str());
        set(CURLOPT_WRITEFUNCTION, &Impl::onBody);
        set(CURLOPT_WRITEDATA, static_cast<void*>(&slot));
        set(CURLOPT_HEADERFUNCTION, &Impl::onHeader);
        set(CURLOPT_HEADERDATA, static_cast<void*>(&slot));
        set(CURLOPT_NOPROGRESS, 0L);
        set(CURLOPT_XFERINFOFUNCTION, &Impl::onProgress);
        set(CURLOPT_XFERINFODATA, static_cast<void*>(&slot));
        set(CURLOPT_PREREQFUNCTION, &Impl::onConnected);
        set(CURLOPT_PREREQDATA, static_cast<void*>(&slot));
        set(CURLOPT_ERRORBUFFER, slot.errorBuffer);
        set(CURLOPT_PRIVATE, static_cast<void*>(&slot));
        if (rc != CURLE_OK) return TransportError{kindOf(rc), static_cast<int>(rc), curl_easy_strerror(rc)};
        return std::nullopt;
    }

    // Replaces the slot's header list; on failure the slot holds none, so the
    // next request builds it again rather than reusing half a list.
    static std::optional<TransportError> buildHeaders(Slot& slot, const Request& request) {
        if (slot.headers) curl_slist_free_all(slot.headers);
        slot.headers = nullptr;
        slot.headerSource.clear();
        auto append = [&](const std::string& line) {
            curl_slist* next = curl_slist_append(slot.headers, line.c_str());
            if (next) slot.headers = next;
            return next != nullptr;
        };
        bool ok = true;
        bool ownAccept = false;
        for (const Header& h : request.headers) {
            ok = ok && append(h.name + ": " + h.value);
            if (h.name.size() == 6 && (h.name[0] == 'A' || h.name[0] == 'a') && h.name.substr(1) == "ccept") ownAccept = true;
        }
        ok = ok && append("Expect:");  // no "Expect: 100-continue" round trip for larger bodies
        // An upsert's answer is a status and a Location: curl's "Accept: */*" buys nothing.
        if (request.method == Method::Post && !ownAccept) ok = ok && append("Accept:");
        if (!ok) {
            curl_slist_free_all(slot.headers);
            slot.headers = nullptr;
            return TransportError{FailureKind::Other, 0, "out of memory"};
        }
        slot.headerSource = request.headers;
        slot.headerMethod = request.method;
        return std::nullopt;
    }

    // Prepares and adds one request; an error means it never started.
    std::optional<TransportError> start(Slot& slot, const Request& request, std::size_t index, int active) {
        for (const Header& h : request.headers)
            if (hasLineBreakOrNul(h.name) || hasLineBreakOrNul(h.value) || h.name.empty())
                return TransportError{FailureKind::Config, 0, "a request header holds a line break"};
        if (hasLineBreakOrNul(request.url)) return TransportError{FailureKind::Config, 0, "the URL holds a line break"};

        CURL* e = slot.easy;
        slot.index = index;
        slot.dropPastMax = request.method != Method::Get;
        slot.maxBytes = slot.dropPastMax ? options.maxWriteAnswerBytes : options.maxResponseBytes;
        slot.tooLarge = false;
        slot.resent = false;
        slot.linkProbe = request.connectWait == ConnectWait::Probe;
        // Not a POST: a batch's body stays the caller's, and libcurl would
        // still be reading it after the caller was answered.
        slot.doneOnHandshake = request.doneWhen == DoneWhen::Reached && request.method != Method::Post &&
                               h2Origins.contains(originRoot(request.url));
        slot.response = Response{};
        slot.errorBuffer[0] = '\0';

        // The same headers as the slot's last request (a drain sends thousands
        // with one token): keep the list libcurl already has.
        if (!slot.headers || slot.headerSource != request.headers || slot.headerMethod != request.method) {
            if (auto err = buildHeaders(slot, request)) return err;
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
            // The answer to an upsert has no body worth compressing: no Accept-Encoding.
            set(CURLOPT_ACCEPT_ENCODING, static_cast<const char*>(nullptr));
        } else {
            // Forget an earlier request's body (it is freed), then back to GET;
            // a DELETE is a GET with its method renamed (no body either way).
            set(CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
            set(CURLOPT_HTTPGET, 1L);
            set(CURLOPT_ACCEPT_ENCODING, "");  // whatever this libcurl can decode
            set(CURLOPT_CUSTOMREQUEST, request.method == Method::Delete ? "DELETE" : static_cast<const char*>(nullptr));
        }
        if (rc != CURLE_OK) return TransportError{kindOf(rc), static_cast<int>(rc), curl_easy_strerror(rc)};
        if (auto err = add(slot)) return err;
        if (slot.linkProbe) slot.synDeadline = slot.started + linkProbeBudget();
        // The stall clock starts when the first request goes out after a quiet spell.
        if (active == 0) lastProgress = Steady::now();
        return std::nullopt;
    }

    std::optional<TransportError> add(Slot& slot) {
        slot.socket = CURL_SOCKET_BAD;
        slot.headersEnded = false;
        slot.seenUp = 0;
        slot.seenDown = 0;
        slot.started = Steady::now();
        if (CURLMcode mc = curl_multi_add_handle(multi, slot.easy); mc != CURLM_OK)
            return TransportError{FailureKind::Other, 0, curl_multi_strerror(mc)};
        slot.state = State::Running;
        return std::nullopt;
    }

    // The window follows the answers: one more for an answer that came back
    // with no more delay than the quickest seen (the pipe has room), half on
    // a 429 (and a pause for its Retry-After, up to the request timeout).
    void adapt(const Slot& slot, int status) {
        const auto now = Steady::now();
        if (status == 429) {
            window = std::max(1.0, window / 2);
            if (auto ra = slot.response.header("retry-after")) {
                if (auto delay = retryAfterDelay(*ra)) {
                    auto pause = std::min<Steady::duration>(*delay, options.totalTimeout);
                    pausedUntil = std::max(pausedUntil, now + pause);
                }
            }
            count([](TransportStats& s) { ++s.throttled; });
            return;
        }
        const auto latency = now - slot.started;
        minLatency = std::min(minLatency, latency);
        if (stallAfter != Steady::duration(options.stallTimeout) && latency < options.stallTimeout / 2 && ++quickAnswers >= 64) {
            stallAfter = options.stallTimeout;
            quickAnswers = 0;
        }
        if (latency <= minLatency + minLatency / 2 + std::chrono::milliseconds(5)) window = std::min<double>(cap(), window + 1);
    }

    // How long a link probe's SYN may go unanswered (see the header).
    Steady::duration linkProbeBudget() const {
        const int n = silentInARow + 1;
        const bool patient = n >= kPatientProbeFirst && ((n & (n - 1)) == 0 || n % kPatientProbeEvery == 0);
        if (!tcpHandshake || patient) return options.probeTimeout;
        return std::clamp<Steady::duration>(2 * *tcpHandshake, kMinLinkProbeBudget, options.probeTimeout);
    }

    // A transfer that opened a connection: remember how long the server took to answer its SYN.
    void noteHandshake(Slot& slot) {
        if (slot.socket == CURL_SOCKET_BAD) return;
        curl_off_t lookup = 0;
        curl_off_t connect = 0;
        curl_easy_getinfo(slot.easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
        curl_easy_getinfo(slot.easy, CURLINFO_CONNECT_TIME_T, &connect);
        if (connect <= 0) return;
        tcpHandshake = std::chrono::microseconds(std::max<curl_off_t>(0, connect - lookup));
        silentInARow = 0;
    }

    // Link probes still waiting for a SYN-ACK past their budget are given
    // up; `wake` becomes the earliest deadline still ahead.
    template <class Done>
    void abandonSilentConnects(Steady::time_point now, int& active, Steady::time_point& wake, Done&& complete) {
        for (auto& slot : slots) {
            if (slot->state != State::Running || !slot->linkProbe || slot->socket == CURL_SOCKET_BAD) continue;
            if (now < slot->synDeadline) {
                wake = std::min(wake, slot->synDeadline);
                continue;
            }
            if (!synUnanswered(slot->socket)) {
                slot->linkProbe = false;  // answered: the handshake and the request take their time
                continue;
            }
            curl_multi_remove_handle(multi, slot->easy);
            slot->state = State::Idle;
            --active;
            ++silentInARow;
            count([](TransportStats& s) { ++s.silentConnects; });
            const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - slot->started).count();
            complete(*slot, TransportError{FailureKind::Timeout, kCurlTimedOut,
                                           "the server did not answer the connection request within " + std::to_string(waited) + " ms"});
        }
    }

    // DoneWhen::Reached transfers whose own connection finished its TLS
    // handshake (certificate verified, or libcurl would have failed it) are
    // answered as reachedOnly at once. The transfer itself stays (Answered)
    // until its answer comes and is dropped: removing it would reset its
    // stream, and libcurl 7.88 then finds the idle connection "dead" if only
    // the server's TLS session tickets are waiting on it, opening a new one
    // for the next request; a connection in use is never checked, so the
    // next requests go on it as further HTTP/2 streams.
    template <class Done>
    void completeReached(int& active, Done&& done) {
        for (auto& slot : slots) {
            if (slot->state != State::Running || !slot->doneOnHandshake || slot->socket == CURL_SOCKET_BAD) continue;
            curl_off_t tls = 0;
            if (curl_easy_getinfo(slot->easy, CURLINFO_APPCONNECT_TIME_T, &tls) != CURLE_OK || tls <= 0) continue;
            noteHandshake(*slot);
            slot->state = State::Answered;
            slot->linkProbe = false;
            --active;
            lastProgress = Steady::now();
            count([](TransportStats& s) { ++s.reached; });
            Response reached;
            reached.reachedOnly = true;
            done(slot->index, Outcome(std::move(reached)));
        }
    }

    // An Answered transfer's end (its answer, or its failure): nobody waits for it.
    void dropAnswered(Slot& slot) {
        if (multi) curl_multi_remove_handle(multi, slot.easy);
        slot.state = State::Idle;
        slot.owned = Request{};
        slot.response = Response{};
    }

    // Every transfer still owed an answer ends with `err` (interrupted, the
    // multi handle broken, a stall that could not be probed); looks already
    // answered are dropped.
    template <class Complete>
    void failAll(const TransportError& err, int& active, Complete&& complete) {
        for (auto& slot : slots) {
            if (slot->state == State::Answered) dropAnswered(*slot);
            if (slot->state == State::Idle) continue;
            if (slot->state == State::Running && multi) curl_multi_remove_handle(multi, slot->easy);
            slot->state = State::Idle;
            --active;
            complete(*slot, err);
        }
    }

    template <class Next>
    void run(Next&& next, const Completion& done);

    Outcome finish(Slot& slot, CURLcode result) {
        curl_multi_remove_handle(multi, slot.easy);
        slot.state = State::Idle;
        long version = 0;
        curl_easy_getinfo(slot.easy, CURLINFO_HTTP_VERSION, &version);
        const int httpVersion = version == CURL_HTTP_VERSION_2_0 ? 2 : (version == 0 ? 0 : 1);
        if (httpVersion != 0) {
            char* effective = nullptr;
            curl_easy_getinfo(slot.easy, CURLINFO_EFFECTIVE_URL, &effective);
            if (effective && httpVersion == 2) h2Origins.insert(originRoot(effective));
            else if (effective) h2Origins.erase(originRoot(effective));
        }
        if (result == CURLE_OK && !slot.headersEnded) {
            // libcurl 7.88 takes a connection closed inside an HTTP/1.1
            // header block as the end of the answer: a 201 whose Location
            // never came would be a write acknowledged without its id. It is
            // no answer (a write then counts as "may be stored").
            slot.response = Response{};
            return fail(TransportError{FailureKind::Truncated, static_cast<int>(CURLE_PARTIAL_FILE),
                                       "the connection closed inside the answer's headers"});
        }
        if (result == CURLE_OK) {
            noteHandshake(slot);
            long status = 0;
            curl_easy_getinfo(slot.easy, CURLINFO_RESPONSE_CODE, &status);
            slot.response.status = static_cast<int>(status);
            slot.response.sentTwice = slot.resent;
            adapt(slot, slot.response.status);
            const int w = windowNow();
            count([&](TransportStats& s) {
                s.httpVersion = httpVersion;
                s.window = w;
                ++s.completed;
            });
            return std::move(slot.response);
        }
        if (httpVersion != 0) count([&](TransportStats& s) { s.httpVersion = httpVersion; });
        TransportError err;
        err.curlCode = static_cast<int>(result);
        err.kind = (result == CURLE_WRITE_ERROR && slot.tooLarge) ? FailureKind::TooLarge : kindOf(result);
        // The error buffer can still hold the text of an earlier internal attempt (a
        // retry on a reused connection that had died); for a timeout it misleads.
        const bool useBuffer = slot.errorBuffer[0] != '\0' && result != CURLE_OPERATION_TIMEDOUT;
        err.message = useBuffer ? std::string(slot.errorBuffer) : std::string(curl_easy_strerror(result));
        if (err.kind == FailureKind::Tls)
            err.message = withClockHint(std::move(err.message), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                    std::chrono::system_clock::now().time_since_epoch())
                                                                    .count());
        slot.response = Response{};
        return fail(std::move(err));
    }

    // No byte has moved for stallTimeout with requests in flight. Every
    // running transfer is parked, the multi handle (and with it every
    // connection, dead or not) is replaced, and a HEAD goes out on a new
    // connection: the link's answer decides what happens to the parked ones.
    std::optional<TransportError> stall() {
        std::string url;
        for (auto& slot : slots) {
            if (slot->state == State::Answered) dropAnswered(*slot);
            if (slot->state != State::Running) continue;
            curl_multi_remove_handle(multi, slot->easy);
            slot->state = State::Parked;
            if (url.empty()) {
                char* effective = nullptr;
                curl_easy_getinfo(slot->easy, CURLINFO_EFFECTIVE_URL, &effective);
                if (effective) url = originRoot(effective);
            }
        }
        count([](TransportStats& s) {
            ++s.stalls;
            ++s.probes;
        });
        {
            std::lock_guard lock(multiMutex);
            curl_multi_cleanup(multi);
            multi = nullptr;
            if (auto err = makeMulti()) return err;
        }
        if (options.probeUrl) url = *options.probeUrl;

        probe.response = Response{};
        probe.linkProbe = false;
        probe.doneOnHandshake = false;
        probe.tooLarge = false;
        probe.dropPastMax = false;
        probe.maxBytes = 64 * 1024;
        probe.errorBuffer[0] = '\0';
        CURLcode rc = CURLE_OK;
        auto set = [&](CURLoption opt, auto value) {
            if (rc == CURLE_OK) rc = curl_easy_setopt(probe.easy, opt, value);
        };
        set(CURLOPT_URL, url.c_str());
        set(CURLOPT_NOBODY, 1L);
        set(CURLOPT_FRESH_CONNECT, 1L);
        set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.probeTimeout.count()));
        set(CURLOPT_TIMEOUT_MS, static_cast<long>(options.probeTimeout.count()));
        if (rc != CURLE_OK) return TransportError{kindOf(rc), static_cast<int>(rc), curl_easy_strerror(rc)};
        if (auto err = add(probe)) return err;
        probing = true;
        return std::nullopt;
    }

    // The probe's answer: any HTTP status means the link is up and only the
    // old connections were dead, so the parked requests go again (once each),
    // on the probe's connection where it can carry them.
    template <class Done>
    void probed(CURLcode result, int& active, Done&& complete) {
        curl_multi_remove_handle(multi, probe.easy);
        probe.state = State::Idle;
        probing = false;
        lastProgress = Steady::now();
        const bool answered = result == CURLE_OK;
        if (answered) noteHandshake(probe);
        if (answered) stallAfter = std::min<Steady::duration>(2 * stallAfter, options.totalTimeout);
        else stallAfter = options.stallTimeout;
        quickAnswers = 0;
        count([&](TransportStats& s) {
            if (answered) ++s.probesAnswered;
            else ++s.linkDowns;
        });
        for (auto& slot : slots) {
            if (slot->state != State::Parked) continue;
            if (answered && !slot->resent) {
                slot->resent = true;
                slot->linkProbe = false;  // the link answered: no SYN budget this time
                slot->doneOnHandshake = false;  // resent on a connection that may be reused: wait for the answer
                slot->response = Response{};
                slot->tooLarge = false;
                slot->errorBuffer[0] = '\0';
                if (!add(*slot)) {
                    count([](TransportStats& s) { ++s.resent; });
                    continue;
                }
            }
            slot->state = State::Idle;
            --active;
            TransportError err;
            err.kind = answered ? FailureKind::Timeout : FailureKind::LinkDown;
            err.curlCode = kCurlTimedOut;
            err.message = answered ? "no answer, twice, while the server answered a probe"
                                   : "no byte moved and a probe on a new connection got no answer";
            complete(*slot, std::move(err));
        }
    }
};

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
CurlTransport::CurlTransport(CurlTransport&& other) noexcept = default;
CurlTransport& CurlTransport::operator=(CurlTransport&& other) noexcept = default;
CurlTransport::~CurlTransport() = default;

edsync::Result<CurlTransport, TransportError> CurlTransport::create(TransportOptions options) {
    globalInitOnce();
    options.maxInFlight = std::max(1, options.maxInFlight);
    options.initialInFlight = std::clamp(options.initialInFlight, 1, options.maxInFlight);
    options.maxConnections = std::clamp(options.maxConnections, 1, options.maxInFlight);
    if (options.connectTimeout.count() <= 0 || options.totalTimeout.count() <= 0 || options.stallTimeout.count() <= 0 ||
        options.probeTimeout.count() <= 0)
        return fail(TransportError{FailureKind::Config, 0, "timeouts must be positive"});
    if (options.caBundle && !std::filesystem::is_regular_file(*options.caBundle))
        return fail(TransportError{FailureKind::Tls, 0, "the CA bundle " + options.caBundle->string() + " is not a readable file"});

    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->window = impl->options.initialInFlight;
    impl->stallAfter = impl->options.stallTimeout;
    impl->counters.window = impl->options.initialInFlight;
    impl->share = curl_share_init();
    if (!impl->share) return fail(TransportError{FailureKind::Other, 0, "curl_share_init failed"});
    // One thread uses the transport at a time, so the share needs no locks.
    curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(impl->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    if (auto err = impl->makeMulti()) return fail(std::move(*err));
    impl->probe.easy = curl_easy_init();
    if (!impl->probe.easy) return fail(TransportError{FailureKind::Other, 0, "curl_easy_init failed"});
    if (auto err = impl->configure(impl->probe)) return fail(std::move(*err));
    for (int i = 0; i < impl->options.initialInFlight; ++i) {
        if (!impl->freeSlot()) return fail(TransportError{FailureKind::Other, 0, "curl_easy_init failed"});
    }
    return CurlTransport(std::move(impl));
}

void CurlTransport::interrupt() {
    if (!m_impl) return;
    m_impl->interrupted.store(true);
    std::lock_guard lock(m_impl->multiMutex);
    if (m_impl->multi) curl_multi_wakeup(m_impl->multi);
}

void CurlTransport::resume() {
    if (m_impl) m_impl->interrupted.store(false);
}

int CurlTransport::lastHttpVersion() const { return stats().httpVersion; }

TransportStats CurlTransport::stats() const {
    if (!m_impl) return {};
    std::lock_guard lock(m_impl->statsMutex);
    return m_impl->counters;
}

// The transfer loop shared by perform() and performStream(). `next(slot)`
// gives the request to start in a free slot (kept alive until it completes)
// and its index, or nullptr when there is nothing more to start.
template <class Next>
void CurlTransport::Impl::run(Next&& next, const Completion& done) {
    bool exhausted = false;
    int active = 0;
    auto cancelled = [] { return TransportError{FailureKind::Cancelled, 0, "stopped before it completed"}; };
    auto complete = [&](Slot& slot, TransportError err) {
        std::size_t index = slot.index;
        slot.owned = Request{};
        done(index, fail(std::move(err)));
    };

    for (;;) {
        if (interrupted.load()) {
            if (probing) {
                curl_multi_remove_handle(multi, probe.easy);
                probe.state = State::Idle;
                probing = false;
            }
            failAll(cancelled(), active, complete);
            // What was never started is cancelled too (batch mode; a stream is simply not asked again).
            while (!exhausted) {
                std::size_t index = 0;
                Slot scratch;
                if (!next(scratch, index, /*cancel=*/true)) break;
                done(index, fail(cancelled()));
            }
            return;
        }
        // Refill up to the window; not while probing, nor while the server asked for a pause.
        while (!exhausted && !probing && active < windowNow() && Steady::now() >= pausedUntil) {
            Slot* slot = freeSlot();
            if (!slot) break;
            std::size_t index = 0;
            const Request* request = next(*slot, index, /*cancel=*/false);
            if (!request) {
                exhausted = true;
                break;
            }
            if (auto err = start(*slot, *request, index, active)) {
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
            CURLcode result = msg->data.result;
            if (msg->easy_handle == probe.easy) {
                probed(result, active, complete);
                completed = true;
                continue;
            }
            void* priv = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            auto* slot = static_cast<Slot*>(priv);
            if (slot->state == State::Answered) {
                dropAnswered(*slot);
                continue;
            }
            std::size_t index = slot->index;
            Outcome outcome = finish(*slot, result);
            slot->owned = Request{};
            --active;
            completed = true;
            lastProgress = Steady::now();
            done(index, std::move(outcome));
        }
        if (mc != CURLM_OK) {
            // The multi handle itself broke: fail what is running rather than spin.
            failAll(TransportError{FailureKind::Other, 0, curl_multi_strerror(mc)}, active, complete);
            if (probing) {
                curl_multi_remove_handle(multi, probe.easy);
                probing = false;
            }
            continue;
        }
        const auto now = Steady::now();
        auto synWake = Steady::time_point::max();
        const int before = active;
        completeReached(active, done);
        abandonSilentConnects(now, active, synWake, complete);
        if (active < before) continue;  // a slot freed: refill it (or return) at once
        if (!probing && active > 0 && now - lastProgress >= stallAfter) {
            if (auto err = stall()) {
                // No new multi handle or no probe: the parked requests cannot go on.
                failAll(*err, active, complete);
                if (!multi) return;
            }
            continue;
        }
        // A completion frees a slot: refill it at once rather than wait in poll.
        if (completed || active == 0) {
            if (active == 0 && !exhausted && now < pausedUntil)
                std::this_thread::sleep_for(std::min<Steady::duration>(pausedUntil - now, std::chrono::milliseconds(200)));
            continue;
        }
        auto wait = std::chrono::milliseconds(1000);
        if (!probing) {
            auto toStall = std::chrono::duration_cast<std::chrono::milliseconds>(lastProgress + stallAfter - now);
            wait = std::clamp(toStall + std::chrono::milliseconds(1), std::chrono::milliseconds(1), wait);
        }
        if (now < pausedUntil)
            wait = std::min(wait, std::max(std::chrono::milliseconds(1),
                                           std::chrono::duration_cast<std::chrono::milliseconds>(pausedUntil - now)));
        if (synWake != Steady::time_point::max())
            wait = std::min(wait, std::max(std::chrono::milliseconds(1),
                                           std::chrono::duration_cast<std::chrono::milliseconds>(synWake - now) + std::chrono::milliseconds(1)));
        curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
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
