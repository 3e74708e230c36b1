#include <doctest/doctest.h>

#include "api_test_support.hpp"

using namespace edfi_double;
using namespace edfi_double::testing;

namespace {

HttpResponse control(Api& api, const std::string& target, const nlohmann::json& body = nlohmann::json::object()) {
    return api.handle(makeRequest("POST", target, body.dump(), "application/json"));
}

nlohmann::json received(Api& api, const std::string& resource) {
    return parseBody(api.handle(makeRequest("GET", "/_test/received?resource=" + resource)));
}

} // namespace

TEST_CASE("/_test/received counts accepted posts per natural key") {
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config);
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);
    const std::string target = "/data/v3/ed-fi/studentAssessments";

    api.handle(postJson(target, studentAssessment("SA-1", "S001"), token));
    api.handle(postJson(target, studentAssessment("SA-1", "S001"), token)); // a replay
    api.handle(postJson(target, studentAssessment("SA-2", "S002"), token));
    api.handle(postJson(target, studentAssessment("SA-3", "S999"), token)); // 409, not stored

    auto log = received(api, "studentAssessments");
    CHECK(log["totalPosts"] == 3);
    CHECK(log["rejectedPosts"] == 1);
    REQUIRE(log["records"].size() == 2);
    CHECK(log["records"][0]["posts"] == 2);
    CHECK(log["records"][0]["key"] == nlohmann::json{{"studentAssessmentIdentifier", "SA-1"},
                                                     {"assessmentIdentifier", "WORKKEYS-AM"},
                                                     {"namespace", kNamespace},
                                                     {"studentUniqueId", "S001"}});
    CHECK(log["records"][0]["body"]["studentReference"]["studentUniqueId"] == "S001");
    CHECK(log["records"][1]["posts"] == 1);

    CHECK(api.handle(makeRequest("GET", "/_test/received")).status == 400);
}

TEST_CASE("/_test/expire-tokens makes the next data call answer 401") {
    Api api(ApiConfig{});
    const std::string token = obtainToken(api);
    CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)).status == 200);
    auto expired = control(api, "/_test/expire-tokens");
    CHECK(expired.status == 200);
    CHECK(parseBody(expired)["expired"] == 1);
    CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)).status == 401);
    CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), obtainToken(api))).status == 200);
}

TEST_CASE("/_test/seed upserts, bumps change versions and refuses bad records whole") {
    Api api(ApiConfig{});
    auto seeded = control(api, "/_test/seed", sampleSeed());
    CHECK(seeded.status == 200);
    CHECK(parseBody(seeded)["records"] == 6);
    CHECK(parseBody(seeded)["newestChangeVersion"] == 6);

    auto again = control(api, "/_test/seed", {{"students", sampleSeed()["students"]}});
    CHECK(parseBody(again)["newestChangeVersion"] == 8);

    nlohmann::json bad = {{"students", {{{"studentUniqueId", "S003"}, {"firstName", "No"}, {"lastSurname", "Date"}}}}};
    auto refused = control(api, "/_test/seed", bad);
    CHECK(refused.status == 400);
    CHECK(parseBody(refused)["error"].get<std::string>().find("birthDate") != std::string::npos);
    CHECK(control(api, "/_test/seed", {{"spaceships", nlohmann::json::array()}}).status == 400);

    // State-namespace descriptors from a seed are accepted on upload.
    auto descriptors =
        control(api, "/_test/seed", {{"descriptors", {"uri://state.example.org/AccommodationDescriptor#Braille"}}});
    CHECK(parseBody(descriptors)["descriptors"] == 1);
    auto body = studentAssessment("SA-1", "S001");
    body["accommodations"] = {{{"accommodationDescriptor", "uri://state.example.org/AccommodationDescriptor#Braille"}}};
    CHECK(api.handle(postJson("/data/v3/ed-fi/studentAssessments", body, obtainToken(api))).status == 201);
}

TEST_CASE("/_test/delete by key or id, and /_test/reset back to the startup seed") {
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config);
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);

    CHECK(control(api, "/_test/delete", {{"resource", "students"}, {"key", {{"studentUniqueId", "S002"}}}}).status ==
          200);
    CHECK(control(api, "/_test/delete", {{"resource", "students"}, {"key", {{"studentUniqueId", "S002"}}}}).status ==
          404);
    CHECK(control(api, "/_test/delete", {{"resource", "students"}}).status == 400);
    auto students = parseBody(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)));
    REQUIRE(students.size() == 1);
    CHECK(control(api, "/_test/delete", {{"resource", "students"}, {"id", students[0]["id"]}}).status == 200);

    api.handle(postJson("/data/v3/ed-fi/studentAssessments", studentAssessment("SA-1", "S001"), token));
    auto reset = control(api, "/_test/reset");
    CHECK(reset.status == 200);
    CHECK(parseBody(reset)["newestChangeVersion"] == 6);
    CHECK(received(api, "studentAssessments")["totalPosts"] == 0);
    // Tokens do not survive a reset.
    CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)).status == 401);
    auto after = parseBody(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), obtainToken(api))));
    CHECK(after.size() == 2);
}

TEST_CASE("test-control endpoints check their method") {
    Api api(ApiConfig{});
    CHECK(api.handle(makeRequest("GET", "/_test/reset")).status == 405);
    CHECK(api.handle(makeRequest("POST", "/_test/received")).status == 405);
    CHECK(api.handle(makeRequest("POST", "/_test/unknown")).status == 404);
}

TEST_CASE("/_test/error-style words data-call errors as problem details, {message}, {error} or an HTML page") {
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config);
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);
    const std::string target = "/data/v3/ed-fi/studentAssessments";
    auto conflict = [&] { return api.handle(postJson(target, studentAssessment("SA-9", "S999"), token)); };

    auto problem = conflict();
    CHECK(problem.status == 409);
    CHECK(parseBody(problem)["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference");
    CHECK(parseBody(problem).contains("correlationId"));

    CHECK(control(api, "/_test/error-style", {{"style", "message"}}).status == 200);
    auto message = conflict();
    CHECK(message.status == 409);
    CHECK(parseBody(message)["message"].get<std::string>().find("S999") != std::string::npos);
    CHECK_FALSE(parseBody(message).contains("type"));

    CHECK(control(api, "/_test/error-style", {{"style", "error"}}).status == 200);
    auto error = conflict();
    CHECK(parseBody(error)["error"] == "invalid_request");
    CHECK(parseBody(error)["error_description"].get<std::string>().find("S999") != std::string::npos);

    CHECK(control(api, "/_test/error-style", {{"style", "html"}}).status == 200);
    auto html = conflict();
    CHECK(html.status == 409);
    CHECK(html.header("Content-Type").value_or("").find("text/html") == 0);
    CHECK(html.body.find("<title>409 Unresolved Reference</title>") != std::string::npos);

    CHECK(control(api, "/_test/error-style", {{"style", "xml"}}).status == 400);
    CHECK(control(api, "/_test/reset").status == 200);
    CHECK(parseBody(conflict()).contains("type"));
}

TEST_CASE("client DELETEs by id are counted per record, and an unknown id is a 404 counted apart") {
    ApiConfig config;
    config.startupSeed = sampleSeed();
    Api api(config);
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    const std::string token = obtainToken(api);
    const std::string target = "/data/v3/ed-fi/studentAssessments";
    auto created = api.handle(postJson(target, studentAssessment("SA-1", "S001"), token));
    REQUIRE(created.status == 201);
    const std::string location = created.header("Location").value_or("");
    const std::string id = location.substr(location.rfind('/') + 1);
    CHECK(api.handle(withBearer(makeRequest("DELETE", target + "/" + id), token)).status == 204);
    CHECK(api.handle(withBearer(makeRequest("DELETE", target + "/" + id), token)).status == 404);
    auto log = received(api, "studentAssessments");
    CHECK(log["totalDeletes"] == 1);
    CHECK(log["missedDeletes"] == 1);
    CHECK(log["records"][0]["deletes"] == 1);
    CHECK(api.handle(withBearer(makeRequest("GET", target + "?studentUniqueId=S001"), token)).body == "[]");
}
