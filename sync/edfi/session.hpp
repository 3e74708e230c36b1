#pragma once
// One conversation with an Ed-Fi ODS/API: where its endpoints are
// (discovery), and a cached OAuth2 client-credentials token that is reused
// until shortly before it expires. The server allows 15 live tokens per
// client, so a token is never requested per call.
#include "sync/edfi/backoff.hpp"
#include "sync/edfi/clock.hpp"
#include "sync/edfi/parsers.hpp"
#include "sync/transport/http.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

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

    std::string describe() const;
};
std::string_view toString(ApiError::Kind kind);
template <class T>
using ApiResult = edsync::Result<T, ApiError>;

ApiError fromTransport(const transport::TransportError& error);

struct Credentials {
    std::string clientKey;
    std::string clientSecret;
};

struct Endpoints {
    std::string discovery;      // {base}/
    std::string oauthToken;     // {base}/oauth/token
    std::string dataApi;        // {base}/data/v3/            (ends with '/')
    std::string changeQueries;  // {base}/changeQueries/v1/   (ends with '/')

    static Endpoints defaults(std::string_view baseUrl);
    // The server's own paths (multi-tenant and year-specific routes differ),
    // kept on the configured scheme/host/port; missing entries keep defaults.
    static Endpoints fromDiscovery(std::string_view baseUrl, const Discovery& discovery);
};

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

    // GET {base}/. Any HTTP answer proves the server is reachable; a usable
    // document also updates the endpoints and the data model version.
    ApiResult<Discovery> discover();
    bool discovered() const { return m_discovered; }
    const std::string& dataModelVersion() const { return m_dataModelVersion; }

    // A valid access token, from the cache when it has time left.
    ApiResult<std::string> token();
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
    transport::Request upsertRequest(std::string_view resource, std::string_view json, std::string_view token) const;
    transport::Request getRequest(std::string url, std::string_view token) const;

    int tokensIssued() const { return m_tokensIssued; }

private:
    ApiError tokenFailure(ApiError error);

    std::string m_baseUrl;
    std::string m_basicAuth;  // "Basic base64(key:secret)"
    transport::HttpClient& m_http;
    const Clock& m_clock;
    BackoffPolicy m_authBackoff;
    std::mt19937_64 m_rng;
    Endpoints m_endpoints;
    bool m_discovered = false;
    std::string m_dataModelVersion;

    std::string m_token;
    std::int64_t m_tokenValidUntilSteadyMs = 0;
    std::int64_t m_tokenRetryAtSteadyMs = 0;  // no token requests before this
    int m_tokenFailures = 0;
    std::optional<ApiError> m_lastTokenError;
    int m_tokensIssued = 0;
};

} // namespace edsync::edfi
