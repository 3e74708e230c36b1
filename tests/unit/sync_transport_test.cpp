// Transport pieces that need no server: dates, URL rebasing, refusals.
#include "sync/transport/curl_transport.hpp"

#include "sync_doctest.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

using namespace edsync::transport;

TEST_CASE("HTTP dates in the three legal formats") {
    CHECK(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
    CHECK(parseHttpDate("Sun Nov  6 08:49:37 1994") == 784111777);
    CHECK_FALSE(parseHttpDate("").has_value());
    CHECK_FALSE(parseHttpDate("not a date at all").has_value());
    CHECK_FALSE(parseHttpDate(std::string(1000, '1')).has_value());
}

TEST_CASE("a certificate refused for its dates points at this machine's clock") {
    const std::int64_t at = 1'950'000'000'000;  // 2031-10-17, a clock years ahead
    auto notYet = withClockHint("SSL certificate problem: certificate is not yet valid", at);
    CHECK(notYet.find("not yet valid") != std::string::npos);
    CHECK(notYet.find("clock says 2031-10-17") != std::string::npos);
    CHECK(notYet.find("timedatectl") != std::string::npos);
    CHECK(withClockHint("SSL certificate problem: certificate has expired", at).find("set the clock") != std::string::npos);
    // Any other TLS failure is about trust, not time: unchanged.
    const std::string untrusted = "SSL certificate problem: unable to get local issuer certificate";
    CHECK(withClockHint(untrusted, at) == untrusted);
    CHECK_FALSE(isCertificateDateFailure(untrusted));
}

TEST_CASE("discovery URLs keep their path but move onto the configured origin") {
    CHECK(onConfiguredOrigin("https://proxy.local:8443/api/", "https://internal-host/api/data/v3/") ==
          "https://proxy.local:8443/api/data/v3/");
    CHECK(onConfiguredOrigin("https://h.example/", "https://evil.example/oauth/token?x=1#frag") == "https://h.example/oauth/token?x=1");
    CHECK(onConfiguredOrigin("https://h.example/api/", "/api/changeQueries/v1/") == "https://h.example/api/changeQueries/v1/");
    CHECK_FALSE(onConfiguredOrigin("not a url", "https://x/").has_value());
}

TEST_CASE("response headers are looked up without regard to case") {
    Response r;
    r.headers = {{"retry-after", "5"}, {"date", "x"}};
    CHECK(std::string(r.header("Retry-After").value_or("")) == "5");
    CHECK_FALSE(r.header("ETag").has_value());
}

TEST_CASE("the transport speaks only https and fails as values") {
    auto t = CurlTransport::create({});
    REQUIRE(t.ok());
    auto plain = t->performOne(Request{Method::Get, "http://127.0.0.1:9/", {}, {}});
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.error().kind == FailureKind::Config);
    CHECK(plain.error().curlCode != 0);

    // Nothing listens on port 9 (discard) of loopback here: refused, not thrown.
    auto refused = t->performOne(Request{Method::Get, "https://127.0.0.1:9/", {}, {}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == FailureKind::Connect);
    CHECK(refused.error().curlCode == 7);
    CHECK_FALSE(refused.error().describe().empty());

    auto injected = t->performOne(Request{Method::Get, "https://127.0.0.1:9/", {{"X-A", "1\r\nX-B: 2"}}, {}});
    REQUIRE_FALSE(injected.ok());
    CHECK(injected.error().kind == FailureKind::Config);
}

TEST_CASE("a batch reports every request, in any order, each once") {
    TransportOptions o;
    o.maxInFlight = 3;
    auto t = CurlTransport::create(o);
    REQUIRE(t.ok());
    std::vector<Request> batch(7, Request{Method::Post, "https://127.0.0.1:9/x", {{"Content-Type", "application/json"}}, "{}"});
    std::vector<int> seen(batch.size(), 0);
    t->perform(batch, [&](std::size_t i, Outcome&& outcome) {
        ++seen.at(i);
        CHECK_FALSE(outcome.ok());
    });
    for (int s : seen) CHECK(s == 1);
}

TEST_CASE("interrupt cancels, resume restores") {
    auto t = CurlTransport::create({});
    REQUIRE(t.ok());
    t->interrupt();
    auto o = t->performOne(Request{Method::Get, "https://127.0.0.1:9/", {}, {}});
    REQUIRE_FALSE(o.ok());
    CHECK(o.error().kind == FailureKind::Cancelled);
    t->resume();
    auto again = t->performOne(Request{Method::Get, "https://127.0.0.1:9/", {}, {}});
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().kind == FailureKind::Connect);
}

TEST_CASE("a missing CA bundle is refused up front") {
    TransportOptions o;
    o.caBundle = "/nonexistent/ca.pem";
    auto t = CurlTransport::create(o);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().kind == FailureKind::Tls);
}

TEST_CASE("the transport is move-only and usable after a move") {
    static_assert(!std::is_copy_constructible_v<CurlTransport>);
    static_assert(std::is_nothrow_move_constructible_v<CurlTransport>);
    auto t = CurlTransport::create({});
    REQUIRE(t.ok());
    CurlTransport moved(std::move(*t));
    auto o = moved.performOne(Request{Method::Get, "https://127.0.0.1:9/", {}, {}});
    CHECK_FALSE(o.ok());
}

TEST_CASE("a link probe gives up a connection request nobody answers, as silence, and only a probe does") {
    // A listener whose accept queue is full drops every new SYN: to a client, a dead link.
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listener, 0) == 0);
    socklen_t size = sizeof addr;
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
    const int filler = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);  // fills the queue
    const std::string url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";

    TransportOptions o;
    o.connectTimeout = std::chrono::milliseconds(1'500);
    o.stallTimeout = std::chrono::seconds(60);  // only the connection waits decide here
    o.probeTimeout = std::chrono::milliseconds(200);
    auto t = CurlTransport::create(o);
    REQUIRE(t.ok());
    Request look{Method::Get, url, {}, {}};
    look.connectWait = ConnectWait::Probe;
    auto silent = t->performOne(look);
    REQUIRE_FALSE(silent.ok());
    CHECK(silent.error().kind == FailureKind::Timeout);
    CHECK(silent.error().curlCode == kCurlTimedOut);
    CHECK(silent.error().message.find("connection request") != std::string::npos);
    CHECK(t->stats().silentConnects == 1);

    // An ordinary request waits the whole connect timeout: libcurl's own timeout, not the probe's.
    auto patient = t->performOne(Request{Method::Get, url, {}, {}});
    REQUIRE_FALSE(patient.ok());
    CHECK(patient.error().kind == FailureKind::Timeout);
    CHECK(t->stats().silentConnects == 1);
    close(filler);
    close(listener);
}
