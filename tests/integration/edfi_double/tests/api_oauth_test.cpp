#include <doctest/doctest.h>

#include "api_test_support.hpp"

using namespace edfi_double;
using namespace edfi_double::testing;

namespace {

constexpr const char* kBasicKiosk = "Basic a2lvc2s6a2lvc2stc2VjcmV0"; // kiosk:kiosk-secret
constexpr const char* kForm = "application/x-www-form-urlencoded";

HttpResponse requestToken(Api& api, const std::string& body, const std::string& authorization = "") {
  HttpRequest request = makeRequest("POST", "/oauth/token", body, kForm);
  if (!authorization.empty()) request.headers.emplace("Authorization", authorization);
  return api.handle(request);
}

} // namespace

TEST_CASE("a token comes with Basic credentials or with form fields") {
  Api api(ApiConfig{});
  auto basic = requestToken(api, "grant_type=client_credentials", kBasicKiosk);
  CHECK(basic.status == 200);
  auto body = parseBody(basic);
  CHECK(body["token_type"] == "bearer");
  CHECK(body["expires_in"] == 1800);
  CHECK_FALSE(body["access_token"].get<std::string>().empty());
  CHECK(basic.header("Date").has_value());

  auto form = requestToken(api, "grant_type=client_credentials&client_id=kiosk&client_secret=kiosk-secret");
  CHECK(form.status == 200);

  HttpRequest json = makeRequest(
      "POST", "/oauth/token",
      R"({"grant_type":"client_credentials","client_id":"kiosk","client_secret":"kiosk-secret"})",
      "application/json");
  CHECK(api.handle(json).status == 200);
}

TEST_CASE("token errors follow OAuth 2 and the ODS/API") {
  Api api(ApiConfig{});
  SUBCASE("credentials in both places") {
    auto response = requestToken(api, "grant_type=client_credentials&client_id=kiosk", kBasicKiosk);
    CHECK(response.status == 400);
    CHECK(parseBody(response)["error"] == "invalid_client");
  }
  SUBCASE("another grant type") {
    auto response = requestToken(api, "grant_type=password", kBasicKiosk);
    CHECK(response.status == 400);
    CHECK(parseBody(response)["error"] == "unsupported_grant_type");
  }
  SUBCASE("no grant type") {
    CHECK(parseBody(requestToken(api, "", kBasicKiosk))["error"] == "unsupported_grant_type");
  }
  SUBCASE("wrong secret") {
    auto response = requestToken(api, "grant_type=client_credentials&client_id=kiosk&client_secret=nope");
    CHECK(response.status == 401);
    CHECK(parseBody(response)["error"] == "invalid_client");
  }
  SUBCASE("no credentials") {
    CHECK(requestToken(api, "grant_type=client_credentials").status == 401);
  }
  SUBCASE("GET is not allowed") {
    CHECK(api.handle(makeRequest("GET", "/oauth/token")).status == 405);
  }
}

TEST_CASE("the 16th live token is refused with 429 too-many-tokens") {
  Api api(ApiConfig{});
  for (int i = 0; i < 15; ++i) REQUIRE(requestToken(api, "grant_type=client_credentials", kBasicKiosk).status == 200);
  auto refused = requestToken(api, "grant_type=client_credentials", kBasicKiosk);
  CHECK(refused.status == 429);
  CHECK(parseBody(refused)["type"] == "urn:ed-fi:api:security:authentication:too-many-tokens");
}

TEST_CASE("data calls need a live bearer token") {
  FakeClock time;
  ApiConfig config;
  config.tokenTtl = std::chrono::seconds(30);
  Api api(config, time.clock());
  const std::string token = obtainToken(api);

  auto missing = api.handle(makeRequest("GET", "/data/v3/ed-fi/students"));
  CHECK(missing.status == 401);
  CHECK(parseBody(missing)["type"] == "urn:ed-fi:api:security:authentication");
  CHECK(missing.header("WWW-Authenticate") == std::optional<std::string>("Bearer"));

  CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token)).status == 200);
  CHECK(api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), "forged")).status == 401);

  time.advance(std::chrono::seconds(30));
  auto expired = api.handle(withBearer(makeRequest("GET", "/data/v3/ed-fi/students"), token));
  CHECK(expired.status == 401);
  CHECK(parseBody(expired)["type"] == "urn:ed-fi:api:security:authentication");
}

TEST_CASE("client id, secret and token lifetime come from the configuration") {
  ApiConfig config;
  config.clientId = "state-key";
  config.clientSecret = "s3cret";
  config.tokenTtl = std::chrono::seconds(300);
  Api api(config);
  auto response = requestToken(api, "grant_type=client_credentials&client_id=state-key&client_secret=s3cret");
  REQUIRE(response.status == 200);
  CHECK(parseBody(response)["expires_in"] == 300);
  CHECK(requestToken(api, "grant_type=client_credentials", kBasicKiosk).status == 401);
}
