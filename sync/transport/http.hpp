#pragma once
// HTTP value types and the injectable client interface the Ed-Fi layer talks
// to. No curl types here: the libcurl owner lives in curl_transport.hpp, and
// tests substitute a fake that implements HttpClient.
#include "sync/core/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edsync::transport {

enum class Method { Get, Post, Delete };

struct Header {
    std::string name;
    std::string value;
    bool operator==(const Header&) const = default;
};

// How long a request that needs a new connection waits for the server to
// answer its connection request (the TCP SYN).
enum class ConnectWait {
    Full,   // the transport's connect timeout: the kernel resends the SYN after 1 s, 3 s, 7 s ...
    Probe,  // a look for a link that went silent: an unanswered SYN is given up soon (about twice
            // the handshakes seen), so the next look sends a fresh one instead of waiting on that back-off
};

// When a request is done.
enum class DoneWhen {
    Answered,  // its HTTP answer arrived (or it failed)
    Reached,   // a look whose answer is not needed: done as soon as a connection it opened itself finished
               // its TLS handshake (certificate verified), as Response::reachedOnly; its answer, when it
               // comes, is dropped. Only where that costs the next requests nothing (HTTP/2, see
               // CurlTransport); otherwise, on a connection reused, and for a POST, it waits for its answer.
};

struct Request {
    Method method = Method::Get;
    std::string url;
    std::vector<Header> headers;  // e.g. Authorization, Content-Type
    std::string body;             // sent as-is for Post
    ConnectWait connectWait = ConnectWait::Full;
    DoneWhen doneWhen = DoneWhen::Answered;
};

struct Response {
    int status = 0;
    std::vector<Header> headers;  // names lower-cased; only the final response's headers
    std::string body;
    // The transport sent the request a second time after the first stalled:
    // the first copy may still reach the server, later than this answer.
    bool sentTwice = false;
    // DoneWhen::Reached: the server was reached (a verified TLS handshake on a
    // new connection); no status, headers or body.
    bool reachedOnly = false;

    // Case-insensitive lookup of the first header with that name.
    std::optional<std::string_view> header(std::string_view name) const;
};

// Why a request produced no HTTP response. Every kind is worth retrying
// later; Tls and Config usually need a person (wrong CA bundle, bad URL).
enum class FailureKind {
    Resolve,    // host name not found
    Connect,    // refused, unreachable
    Timeout,    // connect or total timeout
    Tls,        // handshake failed or certificate not trusted
    Reset,      // connection reset, nothing or garbage received
    Truncated,  // the body ended early
    TooLarge,   // the response exceeded the size cap
    Cancelled,  // interrupt() was called
    LinkDown,   // the link stalled and a probe on a fresh connection got no answer either
    Config,     // malformed URL, unsupported scheme
    Other,
};
std::string_view toString(FailureKind kind);

// libcurl's code for "no answer in time" (CURLE_OPERATION_TIMEDOUT), also
// given to LinkDown: callers tell silence (a dead link, where probing often
// costs nobody anything) from a refusal without including curl.h.
inline constexpr int kCurlTimedOut = 28;

struct TransportError {
    FailureKind kind = FailureKind::Other;
    int curlCode = 0;     // raw CURLcode (0 when the failure is ours, e.g. Cancelled)
    std::string message;  // readable; never contains a body or credentials

    // A sentence for the status screen.
    std::string describe() const;
};

// A certificate refused for its dates ("not yet valid", "has expired") is
// most often this machine's clock, years off after a dead CMOS battery.
bool isCertificateDateFailure(std::string_view tlsMessage);
// The TLS message, with the machine's own date and a word about the clock
// added when the failure is about dates; unchanged otherwise.
std::string withClockHint(std::string tlsMessage, std::int64_t nowUnixMs);

using Outcome = edsync::Result<Response, TransportError>;

// Called once per request, on the thread that called perform(), as soon as
// that request completes (so its result can be saved before the others end).
using Completion = std::function<void(std::size_t index, Outcome&& outcome)>;

// Asked for the next request of a stream whenever a transfer slot is free, on
// the thread that called performStream(); nullopt: nothing more to send (it
// is not asked again in that stream).
using NextRequest = std::function<std::optional<Request>()>;

// How many requests the fallback performStream() gathers per batch.
inline constexpr std::size_t kFallbackStreamBatch = 8;

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // Runs every request of the batch, several at a time, and returns when
    // all have completed. `done` receives each outcome with its index.
    virtual void perform(std::span<const Request> batch, const Completion& done) = 0;
    // Keeps the client's limit of requests in flight for as long as `next`
    // has requests: as soon as one completes, the next one starts; no request
    // waits for a slower one. Outcomes go to `done` with the request's index
    // in the order `next` handed them out (0, 1, 2, ...), each exactly once.
    // Returns when `next` said nothing more and every request handed out has
    // completed, or promptly after interrupt() (outstanding requests complete
    // as Cancelled and `next` is not asked again). Callbacks may do other
    // work (e.g. save outcomes) but must not call this client again.
    // The default, for clients that can only run batches, gathers up to
    // kFallbackStreamBatch requests and runs them with perform(): correct,
    // with a barrier per batch.
    virtual void performStream(const NextRequest& next, const Completion& done);
    // Thread-safe: makes a running perform() finish promptly, completing the
    // outstanding requests with FailureKind::Cancelled.
    virtual void interrupt() = 0;
    // Clears a previous interrupt() so perform() runs normally again.
    virtual void resume() = 0;

    // Convenience: the outcomes in request order.
    std::vector<Outcome> performAll(std::span<const Request> batch);
    Outcome performOne(const Request& request);
};

// Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) to Unix seconds.
std::optional<std::int64_t> parseHttpDate(std::string_view text);

// The URL `serverUrl` names, moved onto the scheme, host and port of
// `configuredBase`. Discovery documents name absolute URLs; we keep their
// paths but never send credentials to a host the configuration did not name
// (and a site's pinned CA or a proxy in front of the server stays in play).
std::optional<std::string> onConfiguredOrigin(std::string_view configuredBase, std::string_view serverUrl);

} // namespace edsync::transport
