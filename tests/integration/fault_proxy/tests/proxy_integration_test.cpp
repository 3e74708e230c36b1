// The double and the proxy as real processes over real TLS: each fault must
// happen on the wire as specified.
#include <doctest/doctest.h>

#include <charconv>

#include "integration_paths.hpp"
#include "raw_tls_client.hpp"
#include "test_stack.hpp"

using namespace fault_proxy::testing;

namespace {

constexpr std::chrono::seconds kRawTimeout{10};

httplib::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

std::string rawPost(int port, const std::string& target, const std::string& token, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nAuthorization: Bearer " +
           token + "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

std::string rawGet(int port, const std::string& target, const std::string& token) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nAuthorization: Bearer " +
           token + "\r\nConnection: close\r\n\r\n";
}

std::size_t contentLength(const std::string& headers) {
    const std::string name = "Content-Length: ";
    auto at = headers.find(name);
    REQUIRE(at != std::string::npos);
    std::size_t value = 0;
    const char* start = headers.data() + at + name.size();
    std::from_chars(start, headers.data() + headers.size(), value);
    return value;
}

} // namespace

TEST_CASE("pass mode: requests and replies go through, links point at the proxy, both stop cleanly") {
    TestStack stack;
    auto discovery = stack.viaProxy()->Get("/");
    REQUIRE(discovery);
    CHECK(discovery->status == 200);
    CHECK(discovery->has_header("Date"));
    auto urls = nlohmann::json::parse(discovery->body)["urls"];
    CHECK(urls["oauth"] == "https://127.0.0.1:" + std::to_string(stack.proxyPort()) + "/oauth/token");

    auto token =
        stack.viaProxy()->Post("/oauth/token", httplib::Headers{{"Authorization", "Basic a2lvc2s6a2lvc2stc2VjcmV0"}},
                               "grant_type=client_credentials", "application/x-www-form-urlencoded");
    REQUIRE(token);
    REQUIRE(token->status == 200);
    const std::string accessToken = nlohmann::json::parse(token->body)["access_token"];

    auto created = stack.viaProxy()->Post(kStudentAssessments, bearer(accessToken),
                                          sampleStudentAssessment("SA-PASS").dump(), "application/json");
    REQUIRE(created);
    CHECK(created->status == 201);
    CHECK(created->get_header_value("Location").starts_with("https://127.0.0.1:" + std::to_string(stack.proxyPort())));

    auto stats = stack.proxyStats();
    CHECK(stats["forwarded"] == 3);
    CHECK(stats["injectedTotal"] == 0);
    CHECK(stack.received("studentAssessments")["totalPosts"] == 1);

    CHECK(stack.stopProxy() == 0);
    CHECK(stack.stopDouble() == 0);
}

TEST_CASE("reset: the connection is reset with no reply and nothing is forwarded") {
    TestStack stack;
    const std::string token = stack.token();
    stack.setMode({{"mode", "fault"}, {"fault", "reset"}, {"count", 1}});
    auto exchange =
        rawExchange(stack.proxyPort(), stack.caFile(),
                    rawPost(stack.proxyPort(), kStudentAssessments, token, sampleStudentAssessment("SA-RESET").dump()),
                    kRawTimeout);
    CHECK(exchange.received.empty());
    CHECK(std::string(toString(exchange.end)) == "reset");
    CHECK(stack.proxyStats()["injected"]["reset"] == 1);
    CHECK(stack.received("studentAssessments")["totalPosts"] == 0);

    // The fault was for one request only.
    auto after = stack.viaProxy()->Get("/");
    REQUIRE(after);
    CHECK(after->status == 200);
}

TEST_CASE("reset as an HTTP client sees it: no response at all") {
    TestStack stack;
    stack.setMode({{"mode", "fault"}, {"fault", "reset"}, {"count", 1}});
    auto result = stack.viaProxy()->Get("/");
    CHECK_FALSE(result);
}

TEST_CASE("stall: the connection is held past the client's timeout, then closed, nothing is forwarded") {
    TestStack stack;
    const std::string token = stack.token();
    stack.setMode({{"mode", "fault"}, {"fault", "stall"}, {"count", 1}, {"stallSeconds", 2}});
    auto result =
        stack.viaProxy(std::chrono::seconds(1))
            ->Post(kStudentAssessments, bearer(token), sampleStudentAssessment("SA-STALL").dump(), "application/json");
    REQUIRE_FALSE(result);
    CHECK(httplib::to_string(result.error()) == httplib::to_string(httplib::Error::Read));
    CHECK(stack.proxyStats()["injected"]["stall"] == 1);
    CHECK(stack.received("studentAssessments")["totalPosts"] == 0);
}

TEST_CASE("stall on the wire: silence, then a close with no reply") {
    TestStack stack;
    stack.setMode({{"mode", "fault"}, {"fault", "stall"}, {"count", 1}, {"stallSeconds", 1}});
    auto exchange = rawExchange(stack.proxyPort(), stack.caFile(), rawGet(stack.proxyPort(), "/", ""), kRawTimeout);
    CHECK(exchange.received.empty());
    CHECK(std::string(toString(exchange.end)) == "eof");
}

TEST_CASE("truncate: the headers and exactly half the body arrive, then the stream ends without close_notify") {
    TestStack stack;
    const std::string token = stack.token();
    stack.setMode({{"mode", "fault"}, {"fault", "truncate"}, {"count", 1}});
    auto exchange = rawExchange(stack.proxyPort(), stack.caFile(),
                                rawGet(stack.proxyPort(), "/data/v3/ed-fi/students", token), kRawTimeout);
    auto headerEnd = exchange.received.find("\r\n\r\n");
    REQUIRE(headerEnd != std::string::npos);
    const std::string headers = exchange.received.substr(0, headerEnd + 4);
    CHECK(headers.starts_with("HTTP/1.1 200 OK\r\n"));
    const std::size_t declared = contentLength(headers);
    CHECK(declared > 100); // five students
    CHECK(exchange.received.size() - headers.size() == declared / 2);
    CHECK(std::string(toString(exchange.end)) == "eof");
    CHECK(stack.proxyStats()["injected"]["truncate"] == 1);
}

TEST_CASE("truncate as an HTTP client sees it: a read error") {
    TestStack stack;
    const std::string token = stack.token();
    stack.setMode({{"mode", "fault"}, {"fault", "truncate"}, {"count", 1}});
    auto result = stack.viaProxy()->Get("/data/v3/ed-fi/students", bearer(token));
    REQUIRE_FALSE(result);
    CHECK(httplib::to_string(result.error()) == httplib::to_string(httplib::Error::Read));
}

TEST_CASE("429 with Retry-After, 500 and 503 are answered by the proxy without forwarding") {
    TestStack stack;
    const std::string token = stack.token();
    const std::string body = sampleStudentAssessment("SA-STATUS").dump();

    stack.setMode({{"mode", "fault"}, {"fault", "429"}, {"count", 1}, {"retryAfter", 3}});
    auto tooMany = stack.viaProxy()->Post(kStudentAssessments, bearer(token), body, "application/json");
    REQUIRE(tooMany);
    CHECK(tooMany->status == 429);
    CHECK(tooMany->get_header_value("Retry-After") == "3");

    stack.setMode({{"mode", "fault"}, {"fault", "500"}, {"count", 1}});
    auto internal = stack.viaProxy()->Post(kStudentAssessments, bearer(token), body, "application/json");
    REQUIRE(internal);
    CHECK(internal->status == 500);

    stack.setMode({{"mode", "fault"}, {"fault", "503"}, {"count", 1}});
    auto unavailable = stack.viaProxy()->Post(kStudentAssessments, bearer(token), body, "application/json");
    REQUIRE(unavailable);
    CHECK(unavailable->status == 503);

    CHECK(stack.received("studentAssessments")["totalPosts"] == 0);
    auto stats = stack.proxyStats();
    CHECK(stats["injected"]["429"] == 1);
    CHECK(stats["injected"]["500"] == 1);
    CHECK(stats["injected"]["503"] == 1);
    CHECK(stats["forwarded"] == 0);

    auto stored = stack.viaProxy()->Post(kStudentAssessments, bearer(token), body, "application/json");
    REQUIRE(stored);
    CHECK(stored->status == 201);
}

TEST_CASE("expire: the double's tokens are expired, then the request goes on and meets 401") {
    TestStack stack;
    const std::string token = stack.token();
    auto before = stack.viaProxy()->Get("/data/v3/ed-fi/students", bearer(token));
    REQUIRE(before);
    CHECK(before->status == 200);

    stack.setMode({{"mode", "fault"}, {"fault", "expire"}, {"count", 1}});
    auto expired = stack.viaProxy()->Get("/data/v3/ed-fi/students", bearer(token));
    REQUIRE(expired);
    CHECK(expired->status == 401);
    CHECK(nlohmann::json::parse(expired->body)["type"] == "urn:ed-fi:api:security:authentication");

    // The token really is gone; a new one works.
    auto stillExpired = stack.viaProxy()->Get("/data/v3/ed-fi/students", bearer(token));
    REQUIRE(stillExpired);
    CHECK(stillExpired->status == 401);
    auto renewed = stack.viaProxy()->Get("/data/v3/ed-fi/students", bearer(stack.token()));
    REQUIRE(renewed);
    CHECK(renewed->status == 200);
    CHECK(stack.proxyStats()["injected"]["expire"] == 1);
}

TEST_CASE("commit-drop: the double stores the record, the client hears nothing, a replay is a 200 update") {
    TestStack stack;
    const std::string token = stack.token();
    const std::string body = sampleStudentAssessment("SA-COMMIT").dump();
    stack.setMode({{"mode", "fault"}, {"fault", "commit-drop"}, {"count", 1}});
    auto exchange = rawExchange(stack.proxyPort(), stack.caFile(),
                                rawPost(stack.proxyPort(), kStudentAssessments, token, body), kRawTimeout);
    CHECK(exchange.received.empty());
    CHECK(std::string(toString(exchange.end)) == "eof");

    auto stored = stack.received("studentAssessments");
    REQUIRE(stored["records"].size() == 1);
    CHECK(stored["records"][0]["posts"] == 1);
    CHECK(stored["records"][0]["key"]["studentAssessmentIdentifier"] == "SA-COMMIT");
    CHECK(stored["records"][0]["body"]["studentReference"]["studentUniqueId"] == "604821");

    // The client's retry after a lost response: the same key, so an update.
    auto replay = stack.viaProxy()->Post(kStudentAssessments, bearer(token), body, "application/json");
    REQUIRE(replay);
    CHECK(replay->status == 200);
    auto after = stack.received("studentAssessments");
    CHECK(after["records"].size() == 1);
    CHECK(after["records"][0]["posts"] == 2);
    CHECK(stack.proxyStats()["injected"]["commit-drop"] == 1);
}

TEST_CASE("commit-drop as an HTTP client sees it: no response, yet the record is there") {
    TestStack stack;
    const std::string token = stack.token();
    stack.setMode({{"mode", "fault"}, {"fault", "commit-drop"}, {"count", 1}});
    auto result = stack.viaProxy()->Post(kStudentAssessments, bearer(token),
                                         sampleStudentAssessment("SA-COMMIT-2").dump(), "application/json");
    CHECK_FALSE(result);
    CHECK(stack.received("studentAssessments")["totalPosts"] == 1);
}

TEST_CASE("random mode: rate 1 faults every request from the whole set, the same seed repeats itself") {
    TestStack stack;
    constexpr int kRequests = 24;
    auto run = [&] {
        for (int i = 0; i < kRequests; ++i)
            stack.viaProxy(std::chrono::seconds(2))->Get("/");
        return stack.proxyStats();
    };
    const nlohmann::json mode = {{"mode", "random"}, {"rate", 1.0}, {"seed", 11}, {"stallSeconds", 0}};

    stack.setMode(mode);
    auto first = run();
    CHECK(first["requests"] == kRequests);
    CHECK(first["injectedTotal"] == kRequests);
    int kinds = 0;
    for (const auto& [name, count] : first["injected"].items())
        kinds += count.get<int>() > 0 ? 1 : 0;
    CHECK(kinds >= 4); // 24 draws from 8 kinds spread out

    auto reset = stack.viaProxy()->Post("/_proxy/stats/reset", "", "application/json");
    REQUIRE(reset);
    stack.setMode(mode);
    auto second = run();
    CHECK(second["injected"] == first["injected"]);

    stack.viaProxy()->Post("/_proxy/stats/reset", "", "application/json");
    stack.setMode({{"mode", "random"}, {"rate", 0.0}, {"seed", 11}});
    for (int i = 0; i < 5; ++i) {
        auto result = stack.viaProxy()->Get("/");
        REQUIRE(result);
        CHECK(result->status == 200);
    }
    CHECK(stack.proxyStats()["injectedTotal"] == 0);
}

TEST_CASE("control surface: bad modes are refused, /_test/ is never faulted") {
    TestStack stack;
    auto bad = stack.viaProxy()->Post("/_proxy/mode", R"({"mode":"fault","fault":"meteor"})", "application/json");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    auto unknown = stack.viaProxy()->Get("/_proxy/nothing");
    REQUIRE(unknown);
    CHECK(unknown->status == 404);

    stack.setMode({{"mode", "fault"}, {"fault", "500"}, {"count", 1}});
    auto control = stack.viaProxy()->Get("/_test/received?resource=studentAssessments");
    REQUIRE(control);
    CHECK(control->status == 200);
    auto mode = stack.viaProxy()->Get("/_proxy/mode");
    REQUIRE(mode);
    CHECK(nlohmann::json::parse(mode->body)["remaining"] == 1);
}

TEST_CASE("the proxy verifies the upstream: a CA that did not sign it gives 502") {
    TestStack stack;
    TempDir otherCa;
    makeTestCerts(otherCa.path());
    ChildProcess proxy({kFaultProxyPath, "--port", "0", "--cert", stack.certFile(), "--key", stack.keyFile(),
                        "--upstream", "https://127.0.0.1:" + std::to_string(stack.doublePort()), "--ca",
                        (otherCa.path() / "ca.pem").string(), "--quiet"});
    const int port = waitForListening(proxy);
    auto result = stack.client(port)->Get("/");
    REQUIRE(result);
    CHECK(result->status == 502);
    CHECK(proxy.terminate() == 0);
}

TEST_CASE("the double plays Data Standard 5.1: no registrations, no administrations") {
    TestStack stack({"--ds", "5.1"});
    const std::string token = stack.token();
    auto registrations = stack.direct()->Get("/data/v3/ed-fi/studentAssessmentRegistrations", bearer(token));
    REQUIRE(registrations);
    CHECK(registrations->status == 404);
    auto students = stack.viaProxy()->Get("/data/v3/ed-fi/students?totalCount=true", bearer(token));
    REQUIRE(students);
    CHECK(students->status == 200);
    CHECK(students->get_header_value("Total-Count") == "5");
    // The task catalogue is there in either Data Standard.
    auto tasks = stack.viaProxy()->Get("/data/v3/ed-fi/programEvaluationElements", bearer(token));
    REQUIRE(tasks);
    CHECK(nlohmann::json::parse(tasks->body).size() == 4);
    auto discovery = stack.direct()->Get("/");
    REQUIRE(discovery);
    CHECK(nlohmann::json::parse(discovery->body)["dataModels"][0]["version"] == "5.1.0");
}
