// POST /oauth/token and bearer-token checks of the double's Api.
#include <ctime>

#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/text_codec.hpp"

namespace edfi_double {

namespace {

HttpResponse oauthError(int status, const std::string& error, const std::string& description) {
    HttpResponse response = jsonResponse(status, {{"error", error}, {"error_description", description}});
    response.setHeader("Cache-Control", "no-store");
    return response;
}

// The token request's fields, from a form body or (also accepted by the
// ODS/API) a JSON body.
QueryParams tokenFields(const HttpRequest& request) {
    std::string contentType = toLowerAscii(request.header("Content-Type").value_or(""));
    if (contentType.starts_with("application/json")) {
        QueryParams fields;
        auto body = nlohmann::json::parse(request.body, nullptr, false);
        if (body.is_object()) {
            for (const auto& [name, value] : body.items()) {
                if (value.is_string()) fields.emplace(name, value.get<std::string>());
            }
        }
        return fields;
    }
    return parseFormUrlEncoded(request.body);
}

std::string isoUtc(std::int64_t unixSeconds) {
    std::time_t t = static_cast<std::time_t>(unixSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::string> field(const QueryParams& fields, std::string_view name) {
    auto it = fields.find(name);
    if (it == fields.end()) return std::nullopt;
    return it->second;
}

} // namespace

HttpResponse Api::issueToken(const HttpRequest& request) {
    const QueryParams fields = tokenFields(request);
    auto basic = parseBasicAuth(request.header("Authorization").value_or(""));
    auto bodyId = field(fields, "client_id");
    auto bodySecret = field(fields, "client_secret");

    if (basic && (bodyId || bodySecret)) {
        return oauthError(400, "invalid_client",
                          "Client credentials were supplied both in the Authorization header and in the request body.");
    }
    if (field(fields, "grant_type") != "client_credentials") {
        return oauthError(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.");
    }
    const std::string clientId = basic ? basic->first : bodyId.value_or("");
    const std::string secret = basic ? basic->second : bodySecret.value_or("");
    if (clientId != m_config.clientId || secret != m_config.clientSecret) {
        return oauthError(401, "invalid_client", "Invalid client or client secret.");
    }

    auto issued = m_tokens.issue(clientId);
    if (!issued) {
        return problemResponse({429,
                                problem_type::kTooManyTokens,
                                "Too Many Tokens",
                                "The client already holds " + std::to_string(m_config.maxLiveTokens) +
                                    " live access tokens; reuse one until it expires.",
                                {},
                                {}});
    }
    // Some servers send the expiry as a point in time, not a lifetime.
    nlohmann::json expiresIn = issued->expiresIn.count();
    const std::string expiresAs = behaviour().expiresAs;
    const auto at = std::chrono::duration_cast<std::chrono::seconds>((m_clock() + issued->expiresIn).time_since_epoch()).count();
    if (expiresAs == "epoch") expiresIn = at;
    else if (expiresAs == "iso") expiresIn = isoUtc(at);
    HttpResponse response =
        jsonResponse(200, {{"access_token", issued->accessToken}, {"expires_in", expiresIn}, {"token_type", "bearer"}});
    response.setHeader("Cache-Control", "no-store");
    return response;
}

std::optional<HttpResponse> Api::requireBearer(const HttpRequest& request) {
    auto refuse = [](const std::string& detail) {
        HttpResponse response =
            problemResponse({401, problem_type::kAuthentication, "Authentication Failed", detail, {}, {}});
        response.setHeader("WWW-Authenticate", "Bearer");
        return response;
    };
    auto header = request.header("Authorization");
    if (!header) return refuse("The caller could not be authenticated: the Authorization header is missing.");
    std::string_view value = trim(*header);
    if (!startsWithNoCase(value, "Bearer ")) {
        return refuse("The caller could not be authenticated: the Authorization header is not a bearer token.");
    }
    if (!m_tokens.clientFor(std::string(trim(value.substr(7))))) {
        return refuse("The caller could not be authenticated: the access token is invalid or has expired.");
    }
    return std::nullopt;
}

} // namespace edfi_double
