#include "sync/edfi/session.hpp"

#include <sodium.h>

#include <algorithm>

namespace edsync::edfi {

namespace {

std::string trimTrailingSlashes(std::string_view url) {
    while (!url.empty() && url.back() == '/') url.remove_suffix(1);
    return std::string(url);
}

std::string withTrailingSlash(std::string url) {
    if (url.empty() || url.back() != '/') url.push_back('/');
    return url;
}

std::string base64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

} // namespace

std::string_view toString(ApiError::Kind kind) {
    switch (kind) {
    case ApiError::Kind::Offline: return "offline";
    case ApiError::Kind::AuthRejected: return "credentials refused";
    case ApiError::Kind::Throttled: return "server busy";
    case ApiError::Kind::Server: return "server error";
    case ApiError::Kind::Refused: return "refused";
    case ApiError::Kind::BadResponse: return "unreadable answer";
    case ApiError::Kind::Database: return "database error";
    case ApiError::Kind::Cancelled: return "stopped";
    }
    return "error";
}

std::string ApiError::describe() const {
    std::string out(toString(kind));
    if (httpStatus) out += " (HTTP " + std::to_string(*httpStatus) + ")";
    if (!message.empty()) out += ": " + message;
    return out;
}

ApiError fromTransport(const transport::TransportError& error) {
    ApiError e;
    e.kind = error.kind == transport::FailureKind::Cancelled ? ApiError::Kind::Cancelled : ApiError::Kind::Offline;
    e.curlCode = error.curlCode;
    e.message = error.describe();
    return e;
}

Endpoints Endpoints::defaults(std::string_view baseUrl) {
    std::string base = trimTrailingSlashes(baseUrl);
    Endpoints e;
    e.discovery = base + "/";
    e.oauthToken = base + "/oauth/token";
    e.dataApi = base + "/data/v3/";
    e.changeQueries = base + "/changeQueries/v1/";
    return e;
}

Endpoints Endpoints::fromDiscovery(std::string_view baseUrl, const Discovery& discovery) {
    Endpoints e = defaults(baseUrl);
    auto take = [&](std::string_view key, std::string& target, bool directory) {
        auto url = discovery.url(key);
        if (!url || url->empty()) return;
        auto moved = transport::onConfiguredOrigin(e.discovery, *url);
        if (!moved) return;
        target = directory ? withTrailingSlash(std::move(*moved)) : std::move(*moved);
    };
    take("oauth", e.oauthToken, false);
    take("dataManagementApi", e.dataApi, true);
    take("changeQueries", e.changeQueries, true);
    return e;
}

bool isValidResourceName(std::string_view resource) {
    if (resource.empty() || resource.size() > 200) return false;
    int segments = 0;
    std::size_t start = 0;
    while (start <= resource.size()) {
        std::size_t end = resource.find('/', start);
        if (end == std::string_view::npos) end = resource.size();
        std::string_view seg = resource.substr(start, end - start);
        if (seg.empty() || !std::all_of(seg.begin(), seg.end(), isNameChar)) return false;
        if (++segments > 2) return false;
        start = end + 1;
    }
    return true;
}

std::optional<std::int64_t> clockOffsetMs(const transport::Response& response, std::int64_t localUnixMs) {
    auto date = response.header("date");
    if (!date) return std::nullopt;
    auto seconds = transport::parseHttpDate(*date);
    if (!seconds) return std::nullopt;
    return *seconds * 1000 - localUnixMs;
}

Session::Session(std::string baseUrl, const Credentials& credentials, transport::HttpClient& http, const Clock& clock,
                 BackoffPolicy authBackoff, std::uint64_t seed)
    : m_baseUrl(trimTrailingSlashes(baseUrl)), m_http(http), m_clock(clock), m_authBackoff(authBackoff), m_rng(seed),
      m_endpoints(Endpoints::defaults(m_baseUrl)) {
    if (sodium_init() < 0) {
        // base64 below needs no initialised state; the call only warms libsodium up.
    }
    std::string pair = credentials.clientKey + ":" + credentials.clientSecret;
    m_basicAuth = "Basic " + base64(pair);
    sodium_memzero(pair.data(), pair.size());
}

Session::~Session() {
    sodium_memzero(m_basicAuth.data(), m_basicAuth.size());
    sodium_memzero(m_token.data(), m_token.size());
}

ApiResult<Discovery> Session::discover() {
    transport::Request request;
    request.method = transport::Method::Get;
    request.url = m_endpoints.discovery;
    request.headers.push_back({"Accept", "application/json"});
    auto outcome = m_http.performOne(request);
    if (!outcome) return fail(fromTransport(outcome.error()));
    if (outcome->status != 200) {
        ApiError e;
        e.kind = outcome->status >= 500 || outcome->status == 429 ? ApiError::Kind::Server : ApiError::Kind::Refused;
        e.httpStatus = outcome->status;
        e.message = "the discovery document could not be fetched";
        return fail(e);
    }
    auto doc = parseDiscovery(outcome->body);
    if (!doc) return fail(ApiError{ApiError::Kind::BadResponse, outcome->status, 0, doc.error().message, std::nullopt});
    m_endpoints = Endpoints::fromDiscovery(m_baseUrl, *doc);
    m_dataModelVersion = doc->edfiDataModelVersion().value_or("");
    m_discovered = true;
    return std::move(*doc);
}

ApiError Session::tokenFailure(ApiError error) {
    if (error.kind != ApiError::Kind::Offline && error.kind != ApiError::Kind::Cancelled) {
        std::int64_t now = m_clock.steadyMs();
        std::int64_t delay = fullJitterDelayMs(m_authBackoff, m_tokenFailures, m_rng);
        if (error.retryAfterMs) delay = std::max(delay, std::min(*error.retryAfterMs, m_authBackoff.cap.count()));
        ++m_tokenFailures;
        m_tokenRetryAtSteadyMs = now + delay;
        m_lastTokenError = error;
    }
    return error;
}

ApiResult<std::string> Session::token() {
    const std::int64_t now = m_clock.steadyMs();
    if (!m_token.empty() && now < m_tokenValidUntilSteadyMs) return m_token;
    if (m_lastTokenError && now < m_tokenRetryAtSteadyMs) return fail(*m_lastTokenError);

    transport::Request request;
    request.method = transport::Method::Post;
    request.url = m_endpoints.oauthToken;
    request.headers.push_back({"Authorization", m_basicAuth});
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    request.headers.push_back({"Accept", "application/json"});
    request.body = "grant_type=client_credentials";
    auto outcome = m_http.performOne(request);
    sodium_memzero(request.headers[0].value.data(), request.headers[0].value.size());
    if (!outcome) return fail(tokenFailure(fromTransport(outcome.error())));

    const transport::Response& response = *outcome;
    ApiError e;
    e.httpStatus = response.status;
    if (response.status == 200) {
        auto parsed = parseTokenResponse(response.body);
        if (!parsed) {
            e.kind = ApiError::Kind::BadResponse;
            e.message = parsed.error().message;
            return fail(tokenFailure(std::move(e)));
        }
        // Renew a little before the server's expiry: a token must not die in flight.
        const std::int64_t lifetime = parsed->expiresInSeconds;
        const std::int64_t margin = std::clamp<std::int64_t>(lifetime / 10, 1, 120);
        m_token = std::move(parsed->accessToken);
        m_tokenValidUntilSteadyMs = now + std::max<std::int64_t>(1, lifetime - margin) * 1000;
        m_lastTokenError.reset();
        m_tokenRetryAtSteadyMs = 0;
        ++m_tokensIssued;
        return m_token;
    }
    if (response.status == 400 || response.status == 401 || response.status == 403) {
        e.kind = ApiError::Kind::AuthRejected;
        auto oauth = parseOAuthError(response.body);
        e.message = oauth ? "the server refused the kiosk's client key or secret (" + oauth->error + ")"
                          : "the server refused the kiosk's client key or secret";
    } else if (response.status == 429) {
        e.kind = ApiError::Kind::Throttled;
        e.message = "the server has too many live tokens for this key; waiting";
        if (auto ra = response.header("retry-after"))
            e.retryAfterMs = parseRetryAfterMs(*ra, m_clock.unixMs(), m_authBackoff.cap.count());
    } else {
        e.kind = ApiError::Kind::Server;
        e.message = "the token endpoint answered HTTP " + std::to_string(response.status);
        if (auto ra = response.header("retry-after"))
            e.retryAfterMs = parseRetryAfterMs(*ra, m_clock.unixMs(), m_authBackoff.cap.count());
    }
    return fail(tokenFailure(std::move(e)));
}

bool Session::tokenStillValid(std::string_view token) const {
    return !m_token.empty() && token == m_token && m_clock.steadyMs() < m_tokenValidUntilSteadyMs;
}

void Session::tokenRejected(std::string_view tokenUsed) {
    if (!m_token.empty() && tokenUsed == m_token) {
        sodium_memzero(m_token.data(), m_token.size());
        m_token.clear();
        m_tokenValidUntilSteadyMs = 0;
    }
}

void Session::refreshDidNotHelp() {
    tokenRejected(m_token);
    tokenFailure(ApiError{ApiError::Kind::AuthRejected, 401, 0,
                          "the server refused a freshly issued token (401); the key may lack permissions", std::nullopt});
}

void Session::tokenAccepted() {
    m_tokenFailures = 0;
    m_lastTokenError.reset();
}

void Session::clearBackoff() {
    m_tokenRetryAtSteadyMs = 0;
    m_lastTokenError.reset();
}

std::string Session::resourceUrl(std::string_view resource) const {
    // "studentAssessments" lives under ed-fi/; "tpdm/candidates" names its own namespace.
    if (resource.find('/') == std::string_view::npos) return m_endpoints.dataApi + "ed-fi/" + std::string(resource);
    return m_endpoints.dataApi + std::string(resource);
}

transport::Request Session::upsertRequest(std::string_view resource, std::string_view json, std::string_view token) const {
    transport::Request r;
    r.method = transport::Method::Post;
    r.url = resourceUrl(resource);
    r.headers.push_back({"Authorization", "Bearer " + std::string(token)});
    r.headers.push_back({"Content-Type", "application/json"});
    r.headers.push_back({"Accept", "application/json"});
    r.body = std::string(json);
    return r;
}

transport::Request Session::getRequest(std::string url, std::string_view token) const {
    transport::Request r;
    r.method = transport::Method::Get;
    r.url = std::move(url);
    r.headers.push_back({"Authorization", "Bearer " + std::string(token)});
    r.headers.push_back({"Accept", "application/json"});
    return r;
}

} // namespace edsync::edfi
