#pragma once
// One conversation with an Ed-Fi ODS/API: where its endpoints are
// (discovery), and a cached OAuth2 client-credentials token that is reused
// until shortly before it expires. The server allows 15 live tokens per
// client, so a token is never requested per call.
#include "sync/edfi/backoff.hpp"
#include "sync/edfi/clock.hpp"
#include "sync/edfi/parsers.hpp"
#include "sync/sqlite/error.hpp"
#include "sync/transport/http.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::edfi {

struct ApiError {
    enum class Kind {
        Offline,       // no HTTP answer (resolve, connect, TLS, reset, timeout)
        AuthRejected,  // the token endpoint refused our key/secret
        Throttled,     // 429
        Server,        // 5xx or another transient answer
        Refused,       // a 4xx that will not change by retrying
        BadResponse,   // an answer we could not read
        Database,      // our own SQLite failed
        Cancelled,     // stop() was called
    };
    Kind kind = Kind::Server;
    std::optional<int> httpStatus;
    int curlCode = 0;
    std::string message;                    // for a person; never a body or a secret
    std::optional<std::int64_t> retryAfterMs;
    // The request that failed, "GET /data/v3/ed-fi/students?offset=0&limit=500":
    // method and path only, never a host's credentials or a token.
    std::string request = {};
    // The token endpoint refused a new token with 429: the client holds too
    // many live tokens (ODS/API allows 15). Not a busy server: waiting for
    // tokens to expire, or reusing one, is the only cure.
    bool tokenLimit = false;

    std::string describe() const;
};
std::string_view toString(ApiError::Kind kind);
template <class T>
using ApiResult = edsync::Result<T, ApiError>;

ApiError fromTransport(const transport::TransportError& error);
// The local database failed (kind Database, its message).
ApiError databaseError(const sqlite::Error& error);

struct Credentials {
    std::string clientKey;
    std::string clientSecret;
};

struct Endpoints {
    std::string discovery;      // {base}/
    std::string oauthToken;     // {base}/oauth/token   (ODS/API 8: discovery's urls.oauth, /connect/token)
    std::string dataApi;        // {base}/{route}/data/v3/            (ends with '/'; ODS/API 8: .../data/)
    std::string changeQueries;  // {base}/{route}/changeQueries/v1/   (ends with '/')
    bool operator==(const Endpoints&) const = default;

    // `route` is the tenant and/or school-year segments a state's deployment
    // puts before data/v3 and changeQueries/v1 ("2026", "district-a/2026"); empty for none.
    static Endpoints defaults(std::string_view baseUrl, std::string_view route = {});
    // The server's own paths (multi-tenant and year-specific routes differ),
    // kept on the configured scheme/host/port; missing entries keep defaults.
    // Route placeholders ("{tenantIdentifier}", "{schoolYearFromRoute}") are
    // filled from `route` in order; a listed URL without the route gets it.
    static Endpoints fromDiscovery(std::string_view baseUrl, const Discovery& discovery, std::string_view route = {});
};

// "GET /2026/data/v3/ed-fi/students?offset=0": method and path, no host, for messages.
std::string requestLine(std::string_view method, std::string_view url);

// A route is up to 3 segments of letters, digits, '-' and '_', e.g. "2026".
bool isValidRoute(std::string_view route);

// Where a token lives between processes, keyed by (token URL, client id) so
// a changed enrolment never reuses the old one. Implementations must keep
// the token secret (0600) and may fail silently: a token not kept is only
// asked for again.
struct StoredToken {
    std::string accessToken;
    std::int64_t issuedAtUnixMs = 0;
    std::int64_t reuseUntilUnixMs = 0;  // about 90 % of its life
};
class TokenStore {
public:
    virtual ~TokenStore() = default;
    virtual std::optional<StoredToken> load(std::string_view tokenUrl, std::string_view clientId) = 0;
    virtual void save(std::string_view tokenUrl, std::string_view clientId, const StoredToken& token) = 0;
    virtual void forget(std::string_view tokenUrl, std::string_view clientId) = 0;
};

// A token's useful life from the server's answer: relative seconds, or an
// absolute time measured against the server's Date (else our clock);
// absurd values are clamped to [kMinTokenSeconds, kMaxTokenSeconds].
inline constexpr std::int64_t kMinTokenSeconds = 30;
std::int64_t tokenLifetimeSeconds(const TokenResponse& token, std::optional<std::int64_t> serverNowUnixSeconds,
                                  std::int64_t localNowUnixMs);

// Ed-Fi resource names as the outbox holds them: "studentAssessments" (the
// ed-fi namespace) or "namespace/resource" for extensions. Anything else is
// refused before it can reach a URL.
bool isValidResourceName(std::string_view resource);

// Server Date minus our clock, in ms; nullopt without a usable Date header.
std::optional<std::int64_t> clockOffsetMs(const transport::Response& response, std::int64_t localUnixMs);

class Session {
public:
    Session(std::string baseUrl, const Credentials& credentials, transport::HttpClient& http, const Clock& clock,
            BackoffPolicy authBackoff = {}, std::uint64_t seed = std::random_device{}());
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Tenant/year route segments (see Endpoints::defaults); before discover().
    void setRoute(std::string route);
    // Share tokens with other processes through `store` (may be null: this
    // process only). Not owned; must outlive the session.
    void setTokenStore(TokenStore* store) { m_tokenStore = store; }
    const Clock& clock() const { return m_clock; }

    // GET {base}/. Any HTTP answer proves the server is reachable; a usable
    // document also updates the endpoints and the data model version.
    // ConnectWait::Probe when it is a look for a link that went silent.
    ApiResult<Discovery> discover(transport::ConnectWait connectWait = transport::ConnectWait::Full);
    bool discovered() const { return m_discovered; }
    // The engine's look for the server while not online: the discovery GET
    // with ConnectWait::Probe. When the session already holds the discovery
    // and a token with life left, the answer would change nothing, so the
    // look asks only to reach the server (DoneWhen::Reached: a verified TLS
    // handshake), a round trip sooner after a link's return. Success: the
    // server was reached or answered (non-200 answers fail as discover's do).
    ApiResult<void> lookForServer();
    const std::string& dataModelVersion() const { return m_dataModelVersion; }

    // Endpoints an earlier process discovered (kept in the database): used at
    // once, but provisional until confirm() reads the server's own document.
    // The uploader sends no write while they are (docs/edfi.md, "Discovery").
    void assumeEndpoints(Endpoints endpoints, std::string dataModelVersion);
    bool endpointsProvisional() const { return m_provisional; }
    // The discovery GET that confirms assumed endpoints.
    transport::Request confirmationRequest() const;
    enum class Confirmation { Unchanged, Changed, NoAnswer };
    // Reads the answer to confirmationRequest(). A usable document becomes the
    // endpoints (Changed when they differ from the assumed ones); any other
    // HTTP answer keeps the assumed ones, as a failed discover() keeps the
    // defaults; no answer leaves them provisional.
    Confirmation confirm(const transport::Outcome& outcome);

    // A valid access token, from the cache when it has time left.
    ApiResult<std::string> token(transport::ConnectWait connectWait = transport::ConnectWait::Full);
    // A token while the endpoints are assumed (kept, or the defaults): asked
    // at the assumed token URL; one that refuses it (or answers anything but a
    // token) asks the discovery GET, and the token once more if the document
    // names another token URL (docs/edfi.md, "Discovery"). Else as token().
    ApiResult<std::string> tokenAtAssumedEndpoints(transport::ConnectWait connectWait = transport::ConnectWait::Full);
    // A token with time left is at hand (cached, or kept by another process):
    // token() would ask the network for nothing.
    bool tokenAtHand();
    // Whether `token` is the cached token and still has time left (no network).
    bool tokenStillValid(std::string_view token) const;
    // A data call using `tokenUsed` was answered 401: forget that token so
    // the next token() asks for a new one (many 401s of one batch: once).
    void tokenRejected(std::string_view tokenUsed);
    // A fresh token was refused too: ask for no more tokens until a backoff
    // has passed, so a key that lost its permissions cannot burn through the
    // server's 15 live tokens.
    void refreshDidNotHelp();
    // A data call succeeded: any token trouble is over.
    void tokenAccepted();
    // Forget token backoff (a person pressed "sync now").
    void clearBackoff();

    const Endpoints& endpoints() const { return m_endpoints; }
    std::string resourceUrl(std::string_view resource) const;
    transport::Request upsertRequest(std::string_view resource, std::string_view body, std::string_view token) const;
    transport::Request getRequest(std::string url, std::string_view token) const;

    // Tokens this session obtained from the server (not from the store).
    int tokensIssued() const { return m_tokensIssued; }

private:
    ApiError tokenFailure(ApiError error);
    transport::Request discoveryRequest(transport::ConnectWait connectWait, transport::DoneWhen doneWhen) const;
    ApiResult<Discovery> takeDiscovery(const transport::Outcome& outcome);
    bool takeStoredToken();  // a live token another process kept (token store), into m_token

    std::string m_baseUrl;
    std::string m_route;
    std::string m_clientId;
    TokenStore* m_tokenStore = nullptr;
    std::vector<std::string> m_rejectedTokens;  // answered 401 (the last few): never taken from the store again
    std::string m_basicAuth;  // "Basic base64(key:secret)"
    transport::HttpClient& m_http;
    const Clock& m_clock;
    BackoffPolicy m_authBackoff;
    std::mt19937_64 m_rng;
    Endpoints m_endpoints;
    bool m_discovered = false;
    bool m_provisional = false;  // assumeEndpoints() and not yet confirmed
    std::string m_dataModelVersion;

    std::string m_token;
    std::int64_t m_tokenValidUntilSteadyMs = 0;
    std::int64_t m_tokenRetryAtSteadyMs = 0;  // no token requests before this
    int m_tokenFailures = 0;
    std::optional<ApiError> m_lastTokenError;
    int m_tokensIssued = 0;
};

} // namespace edsync::edfi
