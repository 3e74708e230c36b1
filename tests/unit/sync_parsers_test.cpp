// Server-response parsers against good, malformed and hostile input.
#include "sync/edfi/parsers.hpp"
#include "sync/edfi/session.hpp"

#include "sync_doctest.hpp"
#include <nlohmann/json.hpp>

#include <string>

using namespace edsync::edfi;

namespace {

std::string nested(int depth) { return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'); }

std::string nestedObjects(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "{\"a\":";
    s += "1";
    for (int i = 0; i < depth; ++i) s += "}";
    return s;
}

} // namespace

TEST_CASE("problem details: the server's detail and validation errors") {
    auto p = parseProblemDetails(R"({
      "detail": "Data validation failed. See 'validationErrors' for details.",
      "type": "urn:ed-fi:api:bad-request:data-validation-failed",
      "title": "Data Validation Failed", "status": 400, "correlationId": "abc-123",
      "validationErrors": {"$.studentReference.studentUniqueId": ["StudentUniqueId is required."],
                           "$.administrationDate": ["must be a date", "second"]},
      "errors": ["one more"]})");
    REQUIRE(p.ok());
    CHECK(p->status == 400);
    CHECK(p->type == "urn:ed-fi:api:bad-request:data-validation-failed");
    CHECK(p->correlationId == "abc-123");
    REQUIRE(p->validationErrors.size() == 2);
    std::string s = p->summary();
    CHECK(s.find("Data validation failed") == 0);
    CHECK(s.find("$.studentReference.studentUniqueId: StudentUniqueId is required.") != std::string::npos);
    CHECK(s.find("must be a date, second") != std::string::npos);
    CHECK(s.find("one more") != std::string::npos);
}

TEST_CASE("problem details: 403 authorization type kept, title used without detail") {
    auto p = parseProblemDetails(R"({"type":"urn:ed-fi:api:security:authorization:namespace","title":"Authorization Denied","status":403})");
    REQUIRE(p.ok());
    CHECK(p->type == "urn:ed-fi:api:security:authorization:namespace");
    CHECK(p->summary() == "Authorization Denied");
}

TEST_CASE("problem details: wrong types are ignored, not trusted") {
    auto p = parseProblemDetails(R"({"detail": 42, "status": "400", "validationErrors": ["x"], "errors": {"a": 1},
                                    "title": ["t"], "type": null})");
    REQUIRE(p.ok());
    CHECK(p->detail.empty());
    CHECK_FALSE(p->status.has_value());
    CHECK(p->validationErrors.empty());
    CHECK(p->errors.empty());
    CHECK(p->summary().empty());
    auto q = parseProblemDetails(R"({"validationErrors": {"$.a": "single string", "$.b": [1, null, "ok"], "$.c": {"x": 1}}})");
    REQUIRE(q.ok());
    REQUIRE(q->validationErrors.size() == 3);
    CHECK(q->validationErrors[0].second == std::vector<std::string>{"single string"});
    CHECK(q->validationErrors[1].second == std::vector<std::string>{"ok"});
    CHECK(q->validationErrors[2].second.empty());
}

TEST_CASE("problem details: malformed input is a clear error") {
    for (const char* bad : {"", "   ", "<html>502 Bad Gateway</html>", "{\"detail\":", "[1,2]", "\"text\"", "null", "{\"a\":1}{"}) {
        auto p = parseProblemDetails(bad);
        CHECK_FALSE(p.ok());
        if (!p.ok()) CHECK_FALSE(p.error().message.empty());
    }
}

TEST_CASE("problem details: hostile input is refused without a crash") {
    CHECK_FALSE(parseProblemDetails(nested(100000)).ok());
    CHECK_FALSE(parseProblemDetails(nestedObjects(5000)).ok());
    auto deep = parseProblemDetails(nested(100000));
    CHECK(deep.error().message.find("nested deeper") != std::string::npos);
    CHECK_FALSE(parseProblemDetails(std::string(kMaxSmallBody + 1, ' ')).ok());
    CHECK_FALSE(parseProblemDetails("{\"detail\":\"\xff\xfe\"}").ok());  // not UTF-8
    CHECK_FALSE(parseProblemDetails("{\"status\": 1e999}").ok());

    // Huge strings within the size cap are cut, control characters defused.
    std::string huge = "{\"detail\":\"" + std::string(200000, 'x') + "\\u0000\\r\\nInjected: yes\"}";
    auto p = parseProblemDetails(huge);
    REQUIRE(p.ok());
    CHECK(p->detail.size() <= 1000);
    CHECK(p->summary().size() <= kMaxMessageChars);
    std::string tail = parseProblemDetails("{\"detail\":\"a\\r\\nb\\u0000c\"}")->detail;
    CHECK(tail == "a  b c");

    // Thousands of validation entries are capped.
    nlohmann::json many;
    for (int i = 0; i < 5000; ++i) many["validationErrors"]["$.f" + std::to_string(i)] = {"m"};
    auto m = parseProblemDetails(many.dump());
    REQUIRE(m.ok());
    CHECK(m->validationErrors.size() == 50);
    CHECK(m->summary().size() <= kMaxMessageChars);
}

TEST_CASE("sanitizeText never splits a UTF-8 sequence") {
    std::string s = "ab\xc3\xa9\xc3\xa9";  // "abéé"
    std::string cut = sanitizeText(s, 3);
    CHECK(cut == "ab");
    CHECK(sanitizeText("plain", 100) == "plain");
}

TEST_CASE("token response: good") {
    auto t = parseTokenResponse(R"({"access_token":"7a1b9c","expires_in":1800,"token_type":"bearer"})");
    REQUIRE(t.ok());
    CHECK(t->accessToken == "7a1b9c");
    CHECK(t->expiresInSeconds == 1800);
    CHECK(parseTokenResponse(R"({"access_token":"x","expires_in":"900","token_type":"Bearer"})")->expiresInSeconds == 900);
    CHECK(parseTokenResponse(R"({"access_token":"x","expires_in":59.9})")->expiresInSeconds == 59);
    CHECK(parseTokenResponse(R"({"access_token":"x"})")->expiresInSeconds == 300);  // absent: conservative default
    // A billion seconds is a point in time (year 33658), not a lifetime: clamped to a week.
    CHECK(tokenLifetimeSeconds(*parseTokenResponse(R"({"access_token":"x","expires_in":999999999999})"), std::nullopt, 0) == 7 * 24 * 3600);
}

TEST_CASE("token response: malformed and hostile") {
    CHECK_FALSE(parseTokenResponse(R"({"expires_in":1800})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":123})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":""})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"a b"})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"abc\r\nX-Evil: 1"})").ok());  // header injection
    CHECK_FALSE(parseTokenResponse("{\"access_token\":\"" + std::string(5000, 'a') + "\"}").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"x","token_type":"mac"})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"x","expires_in":-5})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"x","expires_in":0})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"x","expires_in":[1]})").ok());
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"x","expires_in":"soon"})").ok());
    CHECK_FALSE(parseTokenResponse(R"(["access_token"])").ok());
    CHECK_FALSE(parseTokenResponse(nested(50000)).ok());
    CHECK_FALSE(parseTokenResponse("").ok());
}

TEST_CASE("OAuth error bodies") {
    auto e = parseOAuthError(R"({"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"})");
    REQUIRE(e.ok());
    CHECK(e->error == "invalid_client");
    CHECK_FALSE(parseOAuthError(R"({"error":5})").ok());
    CHECK_FALSE(parseOAuthError("Unauthorized").ok());
}

TEST_CASE("availableChangeVersions") {
    auto v = parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":12345})");
    REQUIRE(v.ok());
    CHECK(v->oldest == 0);
    CHECK(v->newest == 12345);
    CHECK(parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":9007199254740993})")->newest == 9007199254740993);
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":0})").ok());
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":"5"})").ok());
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":-1})").ok());
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":1.5})").ok());
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":9,"newestChangeVersion":3})").ok());
    CHECK_FALSE(parseAvailableChangeVersions(R"({"oldestChangeVersion":0,"newestChangeVersion":18446744073709551615})").ok());
    CHECK_FALSE(parseAvailableChangeVersions("[]").ok());
    CHECK_FALSE(parseAvailableChangeVersions(nestedObjects(100)).ok());
}

TEST_CASE("list pages") {
    auto page = parseListPage(R"([{"id":"a","studentUniqueId":"1"},{"id":"b","studentUniqueId":"2"}])", 500);
    REQUIRE(page.ok());
    REQUIRE(page->size() == 2);
    CHECK((*page)[1]["id"] == "b");
    CHECK(parseListPage("[]", 500)->empty());
    CHECK_FALSE(parseListPage(R"({"items":[]})", 500).ok());
    CHECK_FALSE(parseListPage(R"([{"id":"a"}, 5])", 500).ok());
    CHECK_FALSE(parseListPage(R"([{"id":"a"}, {"id":"b"}, {"id":"c"}])", 2).ok());  // more than asked for
    CHECK_FALSE(parseListPage(R"([{"id":"a"})", 500).ok());                         // truncated
    CHECK_FALSE(parseListPage("[" + nestedObjects(40) + "]", 500).ok());
    CHECK(parseListPage("[" + nestedObjects(20) + "]", 500).ok());                   // real documents nest a little
    CHECK_FALSE(parseListPage(std::string(kMaxPageBody + 1, ' '), 500).ok());
}

TEST_CASE("discovery document") {
    auto d = parseDiscovery(R"({"version":"7.2","informationalVersion":"7.2",
      "dataModels":[{"name":"Ed-Fi","version":"5.1.0","informationalVersion":"x"},{"name":"TPDM","version":"1.1.0"}],
      "urls":{"dependencies":"https://h/metadata/data/v3/dependencies","oauth":"https://h/oauth/token",
              "dataManagementApi":"https://h/data/v3/","changeQueries":"https://h/changeQueries/v1/"}})");
    REQUIRE(d.ok());
    CHECK(d->edfiDataModelVersion() == "5.1.0");
    CHECK(d->dataStandardMajor() == 5);
    CHECK(d->url("oauth") == "https://h/oauth/token");
    CHECK_FALSE(d->url("composites").has_value());

    auto odd = parseDiscovery(R"({"dataModels":"none","urls":{"oauth":7}})");
    REQUIRE(odd.ok());
    CHECK(odd->dataModels.empty());
    CHECK(odd->urls.empty());
    CHECK(odd->dataStandardMajor() == 0);
    CHECK_FALSE(parseDiscovery("<html/>").ok());
}

TEST_CASE("server words: ODS/API 7.2 problem details keep type, correlationId and the first validation errors") {
    auto w = readServerWords(R"({"type":"urn:ed-fi:api:conflict:unresolved-reference","title":"Unresolved Reference",
      "detail":"Reference validation failed.","status":409,"correlationId":"c0ffee-42",
      "validationErrors":{"$.a":["a1","a2","a3"],"$.b":["b1"],"$.c":["c1"],"$.d":["d1"]},
      "errors":["Student S100003 is not known."]})");
    CHECK(w.shape == ServerWords::Shape::ProblemDetails);
    CHECK(w.status == 409);
    CHECK(w.type == "urn:ed-fi:api:conflict:unresolved-reference");
    CHECK(w.correlationId == "c0ffee-42");
    CHECK(w.words == "Reference validation failed.; $.a: a1, a2; $.b: b1; $.c: c1");
    auto titleOnly = readServerWords(R"({"type":"urn:x","title":"Authorization Denied"})");
    CHECK(titleOnly.words == "Authorization Denied");
    auto errorsOnly = readServerWords(R"({"status":409,"errors":["Student S100003 is not known."]})");
    CHECK(errorsOnly.shape == ServerWords::Shape::ProblemDetails);
    CHECK(errorsOnly.words == "Student S100003 is not known.");
}

TEST_CASE("server words: older {message} and OAuth-style {error} bodies") {
    auto m = readServerWords(R"({"message":"The request is invalid.\nStudent S1 not found"})");
    CHECK(m.shape == ServerWords::Shape::Message);
    CHECK(m.words == "The request is invalid. Student S1 not found");  // control characters replaced
    CHECK(m.type.empty());
    auto e = readServerWords(R"({"error":"invalid_request","error_description":"studentUniqueId is required"})");
    CHECK(e.shape == ServerWords::Shape::OAuthError);
    CHECK(e.words == "invalid_request: studentUniqueId is required");
    auto bare = readServerWords(R"({"error":"server_error"})");
    CHECK(bare.words == "server_error");
}

TEST_CASE("server words: HTML and text pages are read as text, bounded and sanitised") {
    auto h = readServerWords("<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
                             "<body><h1>Bad&nbsp;Gateway</h1>\n<script>alert(1)</script><p>nginx &amp; co</p></body></html>");
    CHECK(h.shape == ServerWords::Shape::Text);
    CHECK(h.words == "502 Bad Gateway Bad Gateway nginx & co");
    auto t = readServerWords("Service Unavailable\x1b[31m\r\n");
    CHECK(t.words == "Service Unavailable [31m");
    auto big = readServerWords(std::string(1 << 20, 'x'));
    CHECK(big.words.size() <= kMaxWordsBytes);
    auto binary = readServerWords(std::string("\xff\xfe\xc3(\x80 ok", 8));
    CHECK(binary.words == std::string("??") + "?(? ok");  // invalid UTF-8 never reaches a screen
    CHECK(readServerWords("").empty());
    CHECK(readServerWords("   ").empty());
    CHECK(readServerWords("[1,2]").empty());
    CHECK(readServerWords(std::string(100000, '[')).empty());  // broken JSON is not a page to quote
    CHECK(readServerWords(R"({"detail": "cut off)").empty());
}

TEST_CASE("server words: type and correlationId keep only characters a log may carry") {
    auto w = readServerWords(R"({"type":"urn:ed-fi:api:x\nS100003 Zoë","correlationId":"id 1;\u001b[2J","detail":"d"})");
    CHECK(w.type == "urn:ed-fi:api:xS100003Zo");
    CHECK(w.correlationId == "id12J");
    CHECK(loggableToken(std::string(500, 'a'), kMaxTypeBytes).size() == kMaxTypeBytes);
    auto wrongTypes = readServerWords(R"({"type":7,"detail":["x"],"correlationId":{"a":1},"status":"409"})");
    CHECK(wrongTypes.shape == ServerWords::Shape::ProblemDetails);
    CHECK(wrongTypes.type.empty());
    CHECK(wrongTypes.words.empty());
    CHECK_FALSE(wrongTypes.status.has_value());
}
