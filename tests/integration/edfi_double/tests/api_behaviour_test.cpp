// /_test/behaviour: the double plays a particular deployment per test.
#include <doctest/doctest.h>

#include "api_test_support.hpp"

using namespace edfi_double;
using namespace edfi_double::testing;

namespace {

HttpResponse behave(Api& api, const nlohmann::json& body) {
    return api.handle(makeRequest("POST", "/_test/behaviour", body.dump(), "application/json"));
}

} // namespace

TEST_CASE("behaviour: change queries off, a lower limit, page tokens") {
    FakeClock clock;
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config, clock.clock());
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);
    REQUIRE(behave(api, {{"changeQueries", 500}, {"maxLimit", 1}, {"pageTokens", true}}).status == 200);
    CHECK(api.handle(withBearer(makeRequest("GET", "/changeQueries/v1/availableChangeVersions"), token)).status == 500);
    auto refused = api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students?limit=2"), token));
    CHECK(refused.status == 400);
    CHECK(refused.body.find("between 0 and 1") != std::string::npos);
    auto first = api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students?offset=0&limit=1"), token));
    REQUIRE(first.status == 200);
    auto next = first.header("Next-Page-Token");
    REQUIRE(next.has_value());
    auto second = api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students?pageToken=" + *next + "&pageSize=1"), token));
    REQUIRE(second.status == 200);
    CHECK(parseBody(second).at(0) != parseBody(first).at(0));
    CHECK_FALSE(second.header("Next-Page-Token").has_value());  // two students in the seed
    CHECK(behave(api, {{"nonsense", 1}}).status == 400);
}

TEST_CASE("behaviour: tenant/year and ODS/API 8 routes, absolute expires_in, token counting and the live limit") {
    FakeClock clock;
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config, clock.clock());
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    REQUIRE(behave(api, {{"routePrefix", "district-a/2026"}, {"v8", true}, {"expiresAs", "iso"}, {"maxLiveTokens", 2}}).status == 200);
    auto discovery = parseBody(api.handle(makeRequest("GET", "/")));
    CHECK(discovery["urls"]["oauth"].get<std::string>().ends_with("/connect/token"));
    CHECK(discovery["urls"]["dataManagementApi"].get<std::string>().ends_with("/district-a/2026/data"));
    auto issued = api.handle(makeRequest("POST", "/connect/token", "grant_type=client_credentials&client_id=kiosk&client_secret=kiosk-secret",
                                         "application/x-www-form-urlencoded"));
    REQUIRE(issued.status == 200);
    auto body = parseBody(issued);
    CHECK(body["expires_in"].is_string());
    CHECK(body["expires_in"].get<std::string>().ends_with("Z"));
    const std::string token = body["access_token"];
    CHECK(api.handle(withBearer(makeRequest("GET", "/district-a/2026/data/ed-fi/students"), token)).status == 200);
    CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)).status == 404);
    CHECK(api.handle(withBearer(makeRequest("GET", "/district-a/2026/data/v3/ed-fi/students"), token)).status == 404);
    obtainToken(api);  // /oauth/token still answers (the second live token)
    auto third = api.handle(makeRequest("POST", "/oauth/token", "grant_type=client_credentials&client_id=kiosk&client_secret=kiosk-secret",
                                        "application/x-www-form-urlencoded"));
    CHECK(third.status == 429);
    CHECK(parseBody(api.handle(makeRequest("GET", "/_test/tokens")))["issued"] == 2);
}

TEST_CASE("behaviour: snapshots are read when asked, 404 without one, 410 when gone") {
    FakeClock clock;
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config, clock.clock());
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);
    auto snapshotGet = [&](const std::string& target) {
        HttpRequest r = withBearer(makeRequest("GET", target), token);
        r.headers.emplace("Use-Snapshot", "true");
        return api.handle(r);
    };
    CHECK(snapshotGet("/data/v3/ed-fi/students").status == 404);
    REQUIRE(behave(api, {{"snapshots", true}, {"snapshotGoneAfter", 1}}).status == 200);
    const auto before = parseBody(snapshotGet("/data/v3/ed-fi/students")).size();
    auto student = parseBody(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token))).at(0);
    REQUIRE(api.handle(makeRequest("POST", "/_test/delete", nlohmann::json{{"resource", "students"}, {"key", {{"studentUniqueId", student["studentUniqueId"]}}}}.dump(),
                                   "application/json")).status == 200);
    CHECK(snapshotGet("/data/v3/ed-fi/students").status == 410);
    // A new snapshot after the 410: it has the deletion.
    CHECK(parseBody(snapshotGet("/data/v3/ed-fi/students")).size() == before - 1);
}
