#include <doctest/doctest.h>

#include "api_test_support.hpp"

using namespace edfi_double;
using namespace edfi_double::testing;

namespace {

constexpr const char* kStudentAssessments = "/data/v3/ed-fi/studentAssessments";

ApiConfig seededConfig(DataStandard standard = DataStandard::V52) {
  ApiConfig config;
  config.startupSeed = sampleSeed();
  config.dataStandard = standard;
  return config;
}

struct SeededApi {
  FakeClock time;
  Api api;
  std::string token;
  explicit SeededApi(DataStandard standard = DataStandard::V52) : api(seededConfig(standard), time.clock()) {
    REQUIRE_FALSE(api.applyStartupSeed().has_value());
    token = obtainToken(api);
  }
  HttpResponse get(const std::string& target) { return api.handle(withBearer(makeRequest("GET", target), token)); }
  HttpResponse post(const std::string& target, const nlohmann::json& body) {
    return api.handle(postJson(target, body, token));
  }
};

} // namespace

TEST_CASE("discovery names the data model and the endpoint URLs") {
  SeededApi server;
  auto response = server.api.handle(makeRequest("GET", "/"));
  CHECK(response.status == 200);
  CHECK(response.header("Date").has_value());
  auto body = parseBody(response);
  CHECK(body["dataModels"][0]["name"] == "Ed-Fi");
  CHECK(body["dataModels"][0]["version"] == "5.2.0");
  CHECK(body["urls"]["oauth"] == "https://127.0.0.1:8443/oauth/token");
  CHECK(body["urls"]["dataManagementApi"] == "https://127.0.0.1:8443/data/v3");
  CHECK(body["urls"]["changeQueries"] == "https://127.0.0.1:8443/changeQueries/v1");
  CHECK(body["urls"].contains("dependencies"));
}

TEST_CASE("a StudentAssessment upserts on its natural key: 201, then 200") {
  SeededApi server;
  auto created = server.post(kStudentAssessments, studentAssessment("SA-1", "S001"));
  CHECK(created.status == 201);
  CHECK(created.body.empty());
  auto location = created.header("Location");
  REQUIRE(location.has_value());
  CHECK(location->starts_with("https://127.0.0.1:8443/data/v3/ed-fi/studentAssessments/"));
  CHECK(created.header("ETag").has_value());
  CHECK(created.header("Date").has_value());

  auto changed = studentAssessment("SA-1", "S001");
  changed["eventCircumstanceDescriptor"] = "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm";
  auto replaced = server.post(kStudentAssessments, changed);
  CHECK(replaced.status == 200);
  CHECK(replaced.header("Location") == location);
  CHECK(replaced.header("ETag") != created.header("ETag"));

  const std::string id = location->substr(location->rfind('/') + 1);
  auto item = server.get(std::string(kStudentAssessments) + "/" + id);
  CHECK(item.status == 200);
  CHECK(parseBody(item)["eventCircumstanceDescriptor"] == "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm");

  // Another identifier for the same student and assessment is another record.
  CHECK(server.post(kStudentAssessments, studentAssessment("SA-2", "S001")).status == 201);
}

TEST_CASE("refusals: id, missing fields, descriptors, namespace, unknown student, media type") {
  SeededApi server;
  SUBCASE("a body with id") {
    auto body = studentAssessment("SA-1", "S001");
    body["id"] = "0123";
    auto response = server.post(kStudentAssessments, body);
    CHECK(response.status == 400);
    CHECK(parseBody(response)["validationErrors"].contains("$.id"));
  }
  SUBCASE("missing required members") {
    auto body = studentAssessment("SA-1", "S001");
    body.erase("studentAssessmentIdentifier");
    body["assessmentReference"].erase("namespace");
    auto response = server.post(kStudentAssessments, body);
    CHECK(response.status == 400);
    auto problem = parseBody(response);
    CHECK(problem["type"] == "urn:ed-fi:api:bad-request:data-validation-failed");
    CHECK(problem["status"] == 400);
    CHECK(problem["validationErrors"].contains("$.studentAssessmentIdentifier"));
    CHECK(problem["validationErrors"].contains("$.assessmentReference.namespace"));
    CHECK(response.header("Content-Type")->starts_with("application/problem+json"));
  }
  SUBCASE("an unknown descriptor value") {
    auto body = studentAssessment("SA-1", "S001");
    body["reasonNotTestedDescriptor"] = "uri://ed-fi.org/ReasonNotTestedDescriptor#Overslept";
    auto response = server.post(kStudentAssessments, body);
    CHECK(response.status == 400);
    CHECK(parseBody(response)["validationErrors"].contains("$.reasonNotTestedDescriptor"));
  }
  SUBCASE("another namespace") {
    auto body = studentAssessment("SA-1", "S001");
    body["assessmentReference"]["namespace"] = "uri://vendor.example.com/assessment";
    auto response = server.post(kStudentAssessments, body);
    CHECK(response.status == 403);
    CHECK(parseBody(response)["type"].get<std::string>().find("namespace") != std::string::npos);
  }
  SUBCASE("a student the API does not know") {
    auto response = server.post(kStudentAssessments, studentAssessment("SA-1", "S999"));
    CHECK(response.status == 409);
    CHECK(parseBody(response)["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference");
  }
  SUBCASE("not JSON") {
    HttpRequest request = withBearer(
        makeRequest("POST", kStudentAssessments, studentAssessment("SA-1", "S001").dump(), "text/plain"),
        server.token);
    CHECK(server.api.handle(request).status == 415);
  }
  SUBCASE("JSON with a charset parameter is fine") {
    HttpRequest request = withBearer(makeRequest("POST", kStudentAssessments,
                                                 studentAssessment("SA-1", "S001").dump(),
                                                 "application/json; charset=utf-8"),
                                     server.token);
    CHECK(server.api.handle(request).status == 201);
  }
  SUBCASE("malformed JSON") {
    HttpRequest request =
        withBearer(makeRequest("POST", kStudentAssessments, "{\"oops\":", "application/json"), server.token);
    CHECK(server.api.handle(request).status == 400);
  }
}

TEST_CASE("a StudentProgramEvaluation upserts on date, program evaluation and student") {
  SeededApi server;
  const std::string target = "/data/v3/ed-fi/studentProgramEvaluations";
  CHECK(server.post(target, studentProgramEvaluation("2025-03-04", "S001")).status == 201);
  auto again = studentProgramEvaluation("2025-03-04", "S001");
  again["summaryEvaluationComment"] = "Mock interview done";
  CHECK(server.post(target, again).status == 200);
  CHECK(server.post(target, studentProgramEvaluation("2025-03-05", "S001")).status == 201);
  CHECK(server.post(target, studentProgramEvaluation("2025-03-05", "S404")).status == 409);
  auto missing = studentProgramEvaluation("2025-03-06", "S001");
  missing["programEvaluationReference"].erase("programTypeDescriptor");
  auto refused = server.post(target, missing);
  CHECK(refused.status == 400);
  CHECK(parseBody(refused)["validationErrors"].contains("$.programEvaluationReference.programTypeDescriptor"));
  CHECK(parseBody(server.get(target)).size() == 2);
}

TEST_CASE("lists page with offset and limit, and count on request") {
  SeededApi server;
  auto all = server.get("/data/v3/ed-fi/students?totalCount=true");
  CHECK(all.status == 200);
  CHECK(all.header("Total-Count") == std::optional<std::string>("2"));
  auto items = parseBody(all);
  REQUIRE(items.size() == 2);
  CHECK(items[0]["firstName"] == "José");
  for (const auto& item : items) {
    CHECK(item.contains("id"));
    CHECK(item.contains("_etag"));
    CHECK(item.contains("_lastModifiedDate"));
  }
  CHECK_FALSE(server.get("/data/v3/ed-fi/students").header("Total-Count").has_value());

  auto second = parseBody(server.get("/data/v3/ed-fi/students?offset=1&limit=1"));
  REQUIRE(second.size() == 1);
  CHECK(second[0]["studentUniqueId"] == "S002");

  CHECK(server.get("/data/v3/ed-fi/students?limit=500").status == 200);
  auto tooMany = server.get("/data/v3/ed-fi/students?limit=501");
  CHECK(tooMany.status == 400);
  CHECK(server.get("/data/v3/ed-fi/students?offset=-1").status == 400);
  CHECK(server.get("/data/v3/ed-fi/students?limit=ten").status == 400);

  auto bySchool = parseBody(server.get("/data/v3/ed-fi/studentSchoolAssociations?schoolId=255901002"));
  REQUIRE(bySchool.size() == 1);
  CHECK(bySchool[0]["studentReference"]["studentUniqueId"] == "S002");
}

TEST_CASE("the default page is 25 items") {
  SeededApi server;
  nlohmann::json students = nlohmann::json::array();
  for (int i = 0; i < 30; ++i) {
    students.push_back({{"studentUniqueId", "X" + std::to_string(i)},
                        {"firstName", "F"},
                        {"lastSurname", "L"},
                        {"birthDate", "2008-01-01"}});
  }
  REQUIRE(server.api.handle(makeRequest("POST", "/_test/seed", nlohmann::json{{"students", students}}.dump(),
                                        "application/json"))
              .status == 200);
  CHECK(parseBody(server.get("/data/v3/ed-fi/students")).size() == 25);
  CHECK(parseBody(server.get("/data/v3/ed-fi/students?offset=25")).size() == 7);
}

TEST_CASE("change queries: available versions, windows, deletes and key changes") {
  SeededApi server;
  auto versions = parseBody(server.get("/changeQueries/v1/availableChangeVersions"));
  CHECK(versions["oldestChangeVersion"] == 0);
  const auto newest = versions["newestChangeVersion"].get<std::uint64_t>();
  CHECK(newest == 6); // six seeded records

  auto nothingNew = parseBody(server.get("/data/v3/ed-fi/students?minChangeVersion=" + std::to_string(newest + 1)));
  CHECK(nothingNew.empty());

  nlohmann::json renamed = {{"students",
                             {{{"studentUniqueId", "S002"},
                               {"firstName", "Zoë"},
                               {"lastSurname", "Brontë-Smith"},
                               {"birthDate", "2007-11-19"}}}}};
  server.api.handle(makeRequest("POST", "/_test/seed", renamed.dump(), "application/json"));
  auto changed = parseBody(server.get("/data/v3/ed-fi/students?minChangeVersion=" + std::to_string(newest + 1)));
  REQUIRE(changed.size() == 1);
  CHECK(changed[0]["lastSurname"] == "Brontë-Smith");
  auto bounded = parseBody(server.get("/data/v3/ed-fi/students?minChangeVersion=0&maxChangeVersion=" +
                                      std::to_string(newest)));
  CHECK(bounded.size() == 1); // S001 only: S002 moved past the window

  server.api.handle(makeRequest("POST", "/_test/delete",
                                R"({"resource":"students","key":{"studentUniqueId":"S001"}})", "application/json"));
  auto deletes = parseBody(server.get("/data/v3/ed-fi/students/deletes?minChangeVersion=" + std::to_string(newest)));
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0]["keyValues"]["studentUniqueId"] == "S001");
  CHECK(deletes[0]["changeVersion"] == newest + 2);
  CHECK(parseBody(server.get("/data/v3/ed-fi/students/keyChanges")).empty());
  CHECK(parseBody(server.get("/changeQueries/v1/availableChangeVersions"))["newestChangeVersion"] == newest + 2);
}

TEST_CASE("registrations carry scheduled accommodations; DS 5.1 has no registrations") {
  SUBCASE("Data Standard 5.2") {
    SeededApi server;
    auto registrations = parseBody(server.get("/data/v3/ed-fi/studentAssessmentRegistrations"));
    REQUIRE(registrations.size() == 1);
    CHECK(registrations[0]["assessmentAccommodations"][0]["accommodationDescriptor"] ==
          "uri://ed-fi.org/AccommodationDescriptor#Test administration");
    CHECK(parseBody(server.get("/data/v3/ed-fi/assessmentAdministrations")).size() == 1);
  }
  SUBCASE("Data Standard 5.1") {
    SeededApi server(DataStandard::V51);
    CHECK(server.get("/data/v3/ed-fi/studentAssessmentRegistrations").status == 404);
    CHECK(server.get("/data/v3/ed-fi/assessmentAdministrations").status == 404);
    CHECK(server.get("/data/v3/ed-fi/studentSchoolAssociations").status == 200);
    CHECK(parseBody(server.api.handle(makeRequest("GET", "/")))["dataModels"][0]["version"] == "5.1.0");
  }
}

TEST_CASE("unknown routes and resources answer 404 with a Date header") {
  SeededApi server;
  auto unknownResource = server.get("/data/v3/ed-fi/spaceships");
  CHECK(unknownResource.status == 404);
  CHECK(unknownResource.header("Date").has_value());
  CHECK(server.api.handle(makeRequest("GET", "/nowhere")).status == 404);
  CHECK(server.get("/data/v3/ed-fi/students/00000000000000000000000000000000").status == 404);
  CHECK(server.api.handle(withBearer(makeRequest("PUT", "/data/v3/ed-fi/students"), server.token)).status == 405);
}
