#pragma once
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "edfi_double/http_types.hpp"

namespace edfi_double {

// Problem type URNs the ODS/API 7.x uses (reference/edfi.md).
namespace problem_type {
inline constexpr const char* kBadRequest = "urn:ed-fi:api:bad-request";
inline constexpr const char* kDataValidationFailed = "urn:ed-fi:api:bad-request:data-validation-failed";
inline constexpr const char* kAuthentication = "urn:ed-fi:api:security:authentication";
inline constexpr const char* kTooManyTokens = "urn:ed-fi:api:security:authentication:too-many-tokens";
// The client's claim set grants nothing on the resource.
inline constexpr const char* kNoClaims = "urn:ed-fi:api:security:authorization:access-denied:resource";
inline constexpr const char* kNamespaceMismatch =
    "urn:ed-fi:api:security:authorization:namespace:access-denied:namespace-mismatch";
inline constexpr const char* kUnresolvedReference = "urn:ed-fi:api:data-conflict:unresolved-reference";
inline constexpr const char* kOptimisticLockFailed = "urn:ed-fi:api:optimistic-lock-failed";
inline constexpr const char* kNotFound = "urn:ed-fi:api:not-found";
inline constexpr const char* kMethodNotAllowed = "urn:ed-fi:api:method-not-allowed";
inline constexpr const char* kUnsupportedMediaType = "urn:ed-fi:api:unsupported-media-type";
} // namespace problem_type

using ValidationErrors = std::map<std::string, std::vector<std::string>>;

// RFC 9457 problem details in the shape Ed-Fi sends them.
struct Problem {
    int status = 400;
    std::string type;
    std::string title;
    std::string detail;
    ValidationErrors validationErrors;
    std::vector<std::string> errors;
};

HttpResponse problemResponse(const Problem& problem);

// How the double words its errors (POST /_test/error-style): ODS/API 7.2+
// problem details, older ODS/API {"message"}, OAuth-style {"error",
// "error_description"}, or a gateway's HTML page.
enum class ErrorStyle { Problem, Message, Error, Html };
std::optional<ErrorStyle> errorStyleFromName(std::string_view name);
// A problem-details response re-worded in `style`; others unchanged.
HttpResponse restyleError(HttpResponse response, ErrorStyle style);
HttpResponse notFound(const std::string& detail);
HttpResponse methodNotAllowed(const std::string& allowed);

} // namespace edfi_double
