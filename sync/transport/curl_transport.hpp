#pragma once
// The libcurl owner: one CURLM multi handle and a pool of easy handles, so
// connections are reused, TLS sessions resumed (a share handle), HTTP/2
// streams multiplexed where the server agrees (ALPN), and several requests
// run at once: an adaptive window between 1 and maxInFlight, grown while the
// answers come back without queueing delay, halved on a 429, paused for a
// Retry-After.
//
// A dead link is noticed in seconds: when no answer byte has moved for
// stallTimeout while requests are in flight, every connection is dropped and
// a HEAD of probeUrl goes out on a fresh one. An answer means only the old
// connections were dead: the stalled requests are sent again (once each). No
// answer within probeTimeout: they complete as FailureKind::LinkDown.
//
// A request marked ConnectWait::Probe (the engine's look for a silent link)
// that opens a connection gives up its SYN after linkProbeBudget: twice the
// TCP handshakes seen, at least 200 ms, at most probeTimeout (and the whole
// probeTimeout before any handshake was seen, and for the 8th, 16th, 32nd,
// 64th unanswered in a row and every 64th after, so a link that came back
// slower than before is still found). It completes as a Timeout with
// kCurlTimedOut, as silence. Only an unanswered SYN is given up: once the
// server answered it, the TLS handshake and the request take their time.
//
// A request marked DoneWhen::Reached completes as Response::reachedOnly once
// the connection it opened has finished its TLS handshake (verification is
// always on, so a captive portal or another server fails instead): the link
// is proven and its answer is not needed. The transfer goes on unseen until
// its answer comes and is dropped, so over HTTP/2 the next requests run as
// streams of that same connection. Over HTTP/1.1 it would hold the
// connection until then, and the next request would open another; ALPN's
// choice is not readable from libcurl 7.88 before an answer, so the early
// completion applies only once this transport has seen that origin answer
// over HTTP/2 (and stops if it answers over 1.1). Before that, and on a
// reused connection (which proves nothing about the link), the request waits
// for its answer.
//
// TLS verification is always on; there is deliberately no option to turn it
// off. A site may name its own CA bundle. Only https:// URLs are accepted.
// Nothing here logs request or response bodies.
#include "sync/transport/http.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace edsync::transport {

struct TransportOptions {
    std::optional<std::filesystem::path> caBundle;  // PEM file; absent: the system store
    std::chrono::milliseconds connectTimeout{10'000};
    std::chrono::milliseconds totalTimeout{60'000};  // per request, connect included
    int maxInFlight = 128;                            // the cap of transfers running at once (a state may lower it)
    int initialInFlight = 8;                          // where the adaptive window starts
    int maxConnections = 8;                           // per host, for HTTP/1.1 (HTTP/2 multiplexes on one)
    std::size_t maxResponseBytes = 64u << 20;         // larger bodies fail as TooLarge
    // A POST's or DELETE's answer counts by its status; its body (a problem
    // detail of a few KiB) is kept to this and the rest read and dropped, so
    // a server answering every write of a drain with megabytes holds no
    // more than this per request in flight.
    std::size_t maxWriteAnswerBytes = 256u << 10;
    std::string userAgent = "testsite-kiosk/1";       // short: it goes out with every request
    std::chrono::milliseconds stallTimeout{3'000};    // no byte this long with requests in flight: probe
    std::chrono::milliseconds probeTimeout{3'000};    // the fresh-connection probe's whole budget
    std::optional<std::string> probeUrl;              // HEAD while stalled; absent: the stalled request's origin "/"
};

// What the transport has seen since it was made (for tests, benchmarks and
// the status screen).
struct TransportStats {
    int httpVersion = 0;      // of the most recent transfer: 1 (1.x), 2, or 0 if none
    int window = 0;           // requests it lets run at once now
    long long completed = 0;  // requests completed with an HTTP answer
    int stalls = 0;           // times no byte moved for stallTimeout with requests in flight
    int probes = 0;           // probes sent on a fresh connection
    int probesAnswered = 0;   // ... that got an HTTP answer (the link was up)
    int resent = 0;           // stalled requests sent again after an answered probe
    int linkDowns = 0;        // probes with no answer (requests completed as LinkDown)
    int throttled = 0;        // 429 answers (the window halved)
    int silentConnects = 0;   // link probes whose SYN had no answer within the probe budget (given up)
    long long connections = 0;  // connections opened
    int reached = 0;          // DoneWhen::Reached requests completed at their TLS handshake, with no HTTP answer
};

class CurlTransport final : public HttpClient {
public:
    // Fails only when libcurl cannot be initialised or options are invalid.
    static edsync::Result<CurlTransport, TransportError> create(TransportOptions options);

    CurlTransport(CurlTransport&& other) noexcept;
    CurlTransport& operator=(CurlTransport&& other) noexcept;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;
    ~CurlTransport() override;

    void perform(std::span<const Request> batch, const Completion& done) override;
    void performStream(const NextRequest& next, const Completion& done) override;
    void interrupt() override;
    void resume() override;

    // The HTTP version the most recent transfer used: 1 (1.x), 2, or 0 if none.
    int lastHttpVersion() const;
    TransportStats stats() const;

private:
    struct Impl;
    explicit CurlTransport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace edsync::transport
