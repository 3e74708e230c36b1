#pragma once
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/clock.hpp"
#include "edfi_double/http_types.hpp"

namespace edfi_double::testing {

// A clock tests move by hand, so nothing waits on real time.
class FakeClock {
public:
  TimePoint now = TimePoint{} + std::chrono::hours(24 * 365 * 55);
  Clock clock() {
    return [this] { return now; };
  }
  void advance(std::chrono::seconds by) { now += by; }
};

// "GET", "/data/v3/ed-fi/students?offset=0" -> request with parsed query.
HttpRequest makeRequest(const std::string& method, const std::string& target, const std::string& body = "",
                        const std::string& contentType = "");
HttpRequest withBearer(HttpRequest request, const std::string& token);
HttpRequest postJson(const std::string& target, const nlohmann::json& body, const std::string& token);

std::string obtainToken(Api& api);
nlohmann::json parseBody(const HttpResponse& response);

// Two students (one with diacritics), a school association, an
// administration and a registration with scheduled accommodations.
nlohmann::json sampleSeed();
nlohmann::json studentAssessment(const std::string& identifier, const std::string& studentUniqueId);
nlohmann::json studentProgramEvaluation(const std::string& evaluationDate, const std::string& studentUniqueId);

inline constexpr const char* kNamespace = "uri://testsite.example.org/assessment";

} // namespace edfi_double::testing
