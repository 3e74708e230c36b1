#include "sync/edfi/session.hpp"

#include <sodium.h>

#include <algorithm>
#include <vector>

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
    std::string out(tokenLimit ? std::string_view("too many tokens") : toString(kind));
    if (httpStatus) out += " (HTTP " + std::to_string(*httpStatus) + ")";
    if (!message.empty()) out += ": " + message;
    if (!request.empty()) out += " [" + request + "]";
    return out;
}

ApiError databaseError(const sqlite::Error& error) {
    return ApiError{ApiError::Kind::Database, std::nullopt, 0, error.describe(), std::nullopt};
}

ApiError fromTransport(const transport::TransportError& error) {
    ApiError e;
    e.kind = error.kind == transport::FailureKind::Cancelled ? ApiError::Kind::Cancelled : ApiError::Kind::Offline;
    e.curlCode = error.curlCode;
    e.message = error.describe();
    return e;
}

Endpoints Endpoints::defaults(std::string_view baseUrl, std::string_view route) {
    std::string base = trimTrailingSlashes(baseUrl);
    std::string routed = route.empty() ? base : base + "/" + std::string(route);
    Endpoints e;
    e.discovery = base + "/";
    e.oauthToken = base + "/oauth/token";
    e.dataApi = routed + "/data/v3/";
    e.changeQueries = routed + "/changeQueries/v1/";
    return e;
}

namespace {

std::vector<std::string_view> routeSegments(std::string_view route) {
    std::vector<std::string_view> out;
    while (!route.empty()) {
        std::size_t slash = route.find('/');
        out.push_back(route.substr(0, slash));
        if (slash == std::string_view::npos) break;
        route.remove_prefix(slash + 1);
    }
    return out;
}

// Fills "{...}" placeholders with the route's segments in order; nullopt
// when the route has too few segments for them.
std::optional<std::string> fillPlaceholders(std::string url, std::string_view route) {
    auto segments = routeSegments(route);
    std::size_t next = 0;
    for (std::size_t open = url.find('{'); open != std::string::npos; open = url.find('{', open)) {
        std::size_t close = url.find('}', open);
        if (close == std::string::npos || next >= segments.size()) return std::nullopt;
        url.replace(open, close - open + 1, segments[next]);
        open += segments[next].size();
        ++next;
    }
    return url;
}

} // namespace

std::string requestLine(std::string_view method, std::string_view url) {
    std::string_view path = url;
    if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
        path.remove_prefix(scheme + 3);
        auto slash = path.find('/');
        path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
    return sanitizeText(std::string(method) + " " + std::string(path), 400);
}

bool isValidRoute(std::string_view route) {
    if (route.empty()) return true;
    if (route.size() > 200) return false;
    auto segments = routeSegments(route);
    if (segments.size() > 3) return false;
    return std::all_of(segments.begin(), segments.end(),
                       [](std::string_view seg) { return !seg.empty() && std::all_of(seg.begin(), seg.end(), isNameChar); });
}

Endpoints Endpoints::fromDiscovery(std::string_view baseUrl, const Discovery& discovery, std::string_view route) {
    Endpoints e = defaults(baseUrl, route);
    const std::string base = trimTrailingSlashes(baseUrl);
    auto take = [&](std::string_view key, std::string& target, bool directory, bool routed) {
        auto url = discovery.url(key);
        if (!url || url->empty()) return;
        auto filled = fillPlaceholders(*url, routed ? route : std::string_view{});
        if (!filled) return;
        auto moved = transport::onConfiguredOrigin(e.discovery, *filled);
        if (!moved) return;
        // A deployment whose discovery lists routeless URLs: put the route
        // right after the configured base ({base}/data/v3 -> {base}/2026/data/v3).
        if (routed && !route.empty() && filled->find('{') == std::string::npos && url->find('{') == std::string::npos &&
            moved->find("/" + std::string(route) + "/") == std::string::npos && moved->starts_with(base + "/"))
            moved = base + "/" + std::string(route) + moved->substr(base.size());
        target = directory ? withTrailingSlash(std::move(*moved)) : std::move(*moved);
    };
    take("oauth", e.oauthToken, false, false);
    take("dataManagementApi", e.dataApi, true, true);
    take("changeQueries", e.changeQueries, true, true);
    return e;
}

std::int64_t tokenLifetimeSeconds(const TokenResponse& token, std::optional<std::int64_t> serverNowUnixSeconds,
                                  std::int64_t localNowUnixMs) {
    std::int64_t lifetime = token.expiresInSeconds;
    if (token.expiresAtUnixSeconds) {
        // Measured on the server's clock when it sent one: ours may be off.
        const std::int64_t now = serverNowUnixSeconds.value_or(localNowUnixMs / 1000);
        lifetime = *token.expiresAtUnixSeconds - now;
    }
    return std::clamp(lifetime, kMinTokenSeconds, kMaxTokenSeconds);
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
    m_clientId = credentials.clientKey;
    std::string pair = credentials.clientKey + ":" + credentials.clientSecret;
    m_basicAuth = "Basic " + base64(pair);
    sodium_memzero(pair.data(), pair.size());
}

Session::~Session() {
    sodium_memzero(m_basicAuth.data(), m_basicAuth.size());
    sodium_memzero(m_token.data(), m_token.size());
    for (auto& t : m_rejectedTokens) sodium_memzero(t.data(), t.size());
}

void Session::setRoute(std::string route) {
    m_route = std::move(route);
    m_endpoints = Endpoints::defaults(m_baseUrl, m_route);
}

transport::Request Session::discoveryRequest(transport::ConnectWait connectWait, transport::DoneWhen doneWhen) const {
    transport::Request request;
    request.method = transport::Method::Get;
    request.url = m_endpoints.discovery;
    request.connectWait = connectWait;
    request.doneWhen = doneWhen;
    request.headers.push_back({"Accept", "application/json"});
    return request;
}

ApiResult<Discovery> Session::takeDiscovery(const transport::Outcome& outcome) {
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
    m_endpoints = Endpoints::fromDiscovery(m_baseUrl, *doc, m_route);
    m_dataModelVersion = doc->edfiDataModelVersion().value_or("");
    m_discovered = true;
    m_provisional = false;
    return std::move(*doc);
}

void Session::assumeEndpoints(Endpoints endpoints, std::string dataModelVersion) {
    if (m_discovered) return;  // the server's own answer of this process wins
    m_endpoints = std::move(endpoints);
    m_dataModelVersion = std::move(dataModelVersion);
    m_provisional = true;
}

transport::Request Session::confirmationRequest() const {
    return discoveryRequest(transport::ConnectWait::Full, transport::DoneWhen::Answered);
}

Session::Confirmation Session::confirm(const transport::Outcome& outcome) {
    if (!outcome) return Confirmation::NoAnswer;
    const Endpoints assumed = m_endpoints;
    if (!takeDiscovery(outcome)) {
        // An answer, but no usable document: the assumed endpoints came from
        // this server's own earlier one, which is better than the defaults.
        m_provisional = false;
        return Confirmation::Unchanged;
    }
    return m_endpoints == assumed ? Confirmation::Unchanged : Confirmation::Changed;
}

ApiResult<Discovery> Session::discover(transport::ConnectWait connectWait) {
    return takeDiscovery(m_http.performOne(discoveryRequest(connectWait, transport::DoneWhen::Answered)));
}

ApiResult<void> Session::lookForServer() {
    // Without a discovery or a live token the look's answer (or the token
    // request after it) is needed anyway: the whole GET.
    const bool reachEnough = m_discovered && !m_token.empty() && m_clock.steadyMs() < m_tokenValidUntilSteadyMs;
    auto outcome = m_http.performOne(discoveryRequest(transport::ConnectWait::Probe,
                                                      reachEnough ? transport::DoneWhen::Reached : transport::DoneWhen::Answered));
    if (outcome && outcome->reachedOnly) return {};
    // Answered (HTTP/1.1, a reused connection, or a full look): as discover().
    auto found = takeDiscovery(outcome);
    if (!found) return fail(found.error());
    return {};
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

bool Session::tokenAtHand() {
    if (!m_token.empty() && m_clock.steadyMs() < m_tokenValidUntilSteadyMs) return true;
    return takeStoredToken();
}

ApiResult<std::string> Session::tokenAtAssumedEndpoints(transport::ConnectWait connectWait) {
    auto token = this->token(connectWait);
    if (token || !m_provisional || token.error().kind == ApiError::Kind::Offline || token.error().kind == ApiError::Kind::Cancelled)
        return token;
    // The assumed token endpoint may not be the server's (moved since it was
    // kept, or never the default): ask where it is, and once more there.
    const std::string tried = m_endpoints.oauthToken;
    auto found = discover(connectWait);
    if (!found && (found.error().kind == ApiError::Kind::Offline || found.error().kind == ApiError::Kind::Cancelled))
        return fail(found.error());
    if (m_endpoints.oauthToken == tried) return token;
    clearBackoff();
    return this->token(connectWait);
}

ApiResult<std::string> Session::token(transport::ConnectWait connectWait) {
    const std::int64_t now = m_clock.steadyMs();
    if (!m_token.empty() && now < m_tokenValidUntilSteadyMs) return m_token;
    if (m_lastTokenError && now < m_tokenRetryAtSteadyMs) return fail(*m_lastTokenError);

    if (takeStoredToken()) return m_token;

    transport::Request request;
    request.method = transport::Method::Post;
    request.url = m_endpoints.oauthToken;
    request.connectWait = connectWait;
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
    e.request = requestLine("POST", m_endpoints.oauthToken);
    if (response.status == 200) {
        auto parsed = parseTokenResponse(response.body);
        if (!parsed) {
            e.kind = ApiError::Kind::BadResponse;
            e.message = parsed.error().message;
            return fail(tokenFailure(std::move(e)));
        }
        std::optional<std::int64_t> serverNow;
        if (auto date = response.header("date")) serverNow = transport::parseHttpDate(*date);
        const std::int64_t lifetime = tokenLifetimeSeconds(*parsed, serverNow, m_clock.unixMs());
        // Reuse for about 90 % of its life: a token must not die in flight.
        const std::int64_t reuseMs = std::max<std::int64_t>(1, lifetime * 9 / 10) * 1000;
        sodium_memzero(m_token.data(), m_token.size());
        m_token = std::move(parsed->accessToken);
        m_tokenValidUntilSteadyMs = now + reuseMs;
        m_lastTokenError.reset();
        m_tokenRetryAtSteadyMs = 0;
        ++m_tokensIssued;
        if (m_tokenStore) {
            const std::int64_t nowUnix = m_clock.unixMs();
            m_tokenStore->save(m_endpoints.oauthToken, m_clientId, StoredToken{m_token, nowUnix, nowUnix + reuseMs});
        }
        return m_token;
    }
    if (response.status == 400 || response.status == 401 || response.status == 403) {
        e.kind = ApiError::Kind::AuthRejected;
        auto oauth = parseOAuthError(response.body);
        e.message = oauth ? "the server refused the kiosk's client key or secret (" + oauth->error + ")"
                          : "the server refused the kiosk's client key or secret";
    } else if (response.status == 429) {
        e.kind = ApiError::Kind::Throttled;
        e.tokenLimit = true;
        std::string words;
        if (auto problem = parseProblemDetails(response.body)) words = problem->summary();
        e.message = "the state's server refuses more tokens for this client: " +
                    (words.empty() ? std::string("it holds too many live tokens") : words) +
                    " (each live token counts until it expires; this kiosk reuses one, so another program or machine may share the key)";
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

// Another process (the window, `serve`, an earlier `sync`) may hold one
// with life left: every live token counts against the client's 15.
bool Session::takeStoredToken() {
    if (!m_tokenStore) return false;
    auto stored = m_tokenStore->load(m_endpoints.oauthToken, m_clientId);
    const std::int64_t now = m_clock.steadyMs();
    const std::int64_t nowUnix = m_clock.unixMs();
    // Issued "in the future" means our clock went back: its times mean nothing.
    if (stored && !stored->accessToken.empty() &&
        std::find(m_rejectedTokens.begin(), m_rejectedTokens.end(), stored->accessToken) == m_rejectedTokens.end() &&
        nowUnix < stored->reuseUntilUnixMs && stored->issuedAtUnixMs <= nowUnix + 5 * 60 * 1000) {
        sodium_memzero(m_token.data(), m_token.size());
        m_token = std::move(stored->accessToken);
        m_tokenValidUntilSteadyMs = now + std::min(stored->reuseUntilUnixMs - nowUnix, kMaxTokenSeconds * 1000);
        return true;
    }
    if (stored) sodium_memzero(stored->accessToken.data(), stored->accessToken.size());
    return false;
}

bool Session::tokenStillValid(std::string_view token) const {
    return !m_token.empty() && token == m_token && m_clock.steadyMs() < m_tokenValidUntilSteadyMs;
}

void Session::tokenRejected(std::string_view tokenUsed) {
    if (!tokenUsed.empty() && std::find(m_rejectedTokens.begin(), m_rejectedTokens.end(), tokenUsed) == m_rejectedTokens.end()) {
        if (m_rejectedTokens.size() >= 4) {
            sodium_memzero(m_rejectedTokens.front().data(), m_rejectedTokens.front().size());
            m_rejectedTokens.erase(m_rejectedTokens.begin());
        }
        m_rejectedTokens.emplace_back(tokenUsed);
    }
    if (!m_token.empty() && tokenUsed == m_token) {
        sodium_memzero(m_token.data(), m_token.size());
        m_token.clear();
        m_tokenValidUntilSteadyMs = 0;
    }
}

void Session::refreshDidNotHelp() {
    tokenRejected(m_token);
    if (m_tokenStore) m_tokenStore->forget(m_endpoints.oauthToken, m_clientId);
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

transport::Request Session::upsertRequest(std::string_view resource, std::string_view body, std::string_view token) const {
    transport::Request r;
    r.method = transport::Method::Post;
    r.url = resourceUrl(resource);
    r.headers.push_back({"Authorization", "Bearer " + std::string(token)});
    r.headers.push_back({"Content-Type", "application/json"});
    r.headers.push_back({"Accept", "application/json"});
    r.body = std::string(body);
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
