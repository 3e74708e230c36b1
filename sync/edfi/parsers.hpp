#pragma once
// Parsers for what the Ed-Fi server sends back: problem details, OAuth token
// and error bodies, list pages, availableChangeVersions and the discovery
// document. Server input is outside input: every parser caps size and
// nesting depth, checks types, catches the JSON library's exceptions at this
// boundary and answers with a clear error instead of crashing.
#include "sync/core/result.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edsync::edfi {

// The longest a token is trusted, whatever expires_in says (a week).
inline constexpr std::int64_t kMaxTokenSeconds = 7 * 24 * 3600;

struct ParseError {
    std::string message;
};
template <class T>
using Parsed = edsync::Result<T, ParseError>;

// Limits applied to server bodies.
inline constexpr std::size_t kMaxSmallBody = 256u << 10;   // problem details, token, discovery
inline constexpr std::size_t kMaxPageBody = 48u << 20;     // one list page (500 records)
inline constexpr int kMaxSmallDepth = 16;
inline constexpr int kMaxPageDepth = 32;
inline constexpr std::size_t kMaxMessageChars = 2000;      // what we keep of a server's message

// Control characters replaced, cut at a UTF-8 boundary to at most `maxBytes`.
std::string sanitizeText(std::string_view text, std::size_t maxBytes);

// --- RFC 9457 problem details --------------------------------------------
struct ProblemDetails {
    std::optional<int> status;
    std::string type;           // e.g. urn:ed-fi:api:bad-request:data-validation-failed
    std::string title;
    std::string detail;
    std::string correlationId;
    std::vector<std::pair<std::string, std::vector<std::string>>> validationErrors;  // "$.field" -> messages
    std::vector<std::string> errors;

    // The server's own words for a person: detail, then each validation
    // error and error line; at most kMaxMessageChars.
    std::string summary() const;
};
Parsed<ProblemDetails> parseProblemDetails(std::string_view body);

// --- The server's words about a refused request ----------------------------
// Every error body shape a state's server may send: RFC 9457 problem details
// (ODS/API 7.2+), {"message": ...} (older ODS/API), {"error": ...,
// "error_description": ...} (OAuth style, some gateways), or text/HTML (a
// proxy's or load balancer's page). Never fails: what cannot be read stays
// empty. `words` may quote a student ID: show it, never log it; `type` and
// `correlationId` are kept to URN/identifier characters, so they may be logged.
inline constexpr std::size_t kMaxWordsBytes = 600;
inline constexpr std::size_t kMaxTypeBytes = 200;
inline constexpr std::size_t kMaxCorrelationIdBytes = 100;
struct ServerWords {
    enum class Shape { None, ProblemDetails, Message, OAuthError, Text };
    Shape shape = Shape::None;
    std::optional<int> status;  // from the body, when it says
    std::string type;           // problem type URN, e.g. urn:ed-fi:api:conflict:unresolved-reference
    std::string words;          // for a person: detail or title or message, then the first validation errors
    std::string correlationId;  // the server's id for its own log
    bool empty() const { return type.empty() && words.empty() && correlationId.empty(); }
};
ServerWords readServerWords(std::string_view body);
// Keeps only characters a URN or an identifier uses ([A-Za-z0-9] and :._/-#+=@),
// at most `maxBytes`: what may go to a log.
std::string loggableToken(std::string_view text, std::size_t maxBytes);

// --- OAuth2 ---------------------------------------------------------------
struct TokenResponse {
    std::string accessToken;       // printable ASCII, no spaces (it goes into a header)
    std::int64_t expiresInSeconds = 0;
    // Some servers send expires_in as an absolute time (epoch seconds or
    // milliseconds, or an ISO 8601 date) instead of a lifetime: then this is
    // set and expiresInSeconds is only the default (see tokenLifetimeSeconds).
    std::optional<std::int64_t> expiresAtUnixSeconds;
    std::string tokenType;         // "bearer"
};
// expires_in absent: a conservative default (300 s) rather than a refusal.
Parsed<TokenResponse> parseTokenResponse(std::string_view body);

struct OAuthError {
    std::string error;             // invalid_client, invalid_request, ...
    std::string description;
};
Parsed<OAuthError> parseOAuthError(std::string_view body);

// "2026-03-04T09:00:00Z", "2026-03-04T09:00:00.123+02:00", "2026-03-04 09:00:00"
// (no zone: UTC) as Unix seconds; nullopt for anything else.
std::optional<std::int64_t> parseIsoDateTime(std::string_view text);

// --- Change queries and lists ---------------------------------------------
struct ChangeVersions {
    std::int64_t oldest = 0;
    std::int64_t newest = 0;
};
Parsed<ChangeVersions> parseAvailableChangeVersions(std::string_view body);

// A GET-many page: a JSON array of objects, at most `maxItems` of them.
Parsed<std::vector<nlohmann::json>> parseListPage(std::string_view body, std::size_t maxItems);

// --- Discovery (GET {base}/) ----------------------------------------------
struct DataModel {
    std::string name;
    std::string version;
};
struct Discovery {
    std::string version;                                       // the API's version
    std::vector<DataModel> dataModels;
    std::vector<std::pair<std::string, std::string>> urls;   // oauth, dataManagementApi, changeQueries, ...

    std::optional<std::string> url(std::string_view key) const;
    // The Ed-Fi data standard version, e.g. "5.2.0".
    std::optional<std::string> edfiDataModelVersion() const;
    // Its major number (5, 6, ...), or 0 when unknown.
    int dataStandardMajor() const;
};
Parsed<Discovery> parseDiscovery(std::string_view body);

} // namespace edsync::edfi
