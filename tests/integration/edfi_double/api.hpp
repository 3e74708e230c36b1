#pragma once
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <mutex>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfi_double/clock.hpp"
#include "edfi_double/descriptor_catalog.hpp"
#include "edfi_double/http_types.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/resource_catalog.hpp"
#include "edfi_double/store.hpp"
#include "edfi_double/token_table.hpp"
#include "edfi_double/writer_tally.hpp"

namespace edfi_double {

enum class DataStandard { V51, V52 };

struct ApiConfig {
    std::string clientId = "kiosk";
    std::string clientSecret = "kiosk-secret";
    // The client's assessment namespace prefix (namespace-based authorisation).
    std::string namespacePrefix = "uri://testsite.example.org/assessment";
    std::chrono::seconds tokenTtl{1800};
    std::size_t maxLiveTokens = TokenTable::kDefaultMaxLivePerClient;
    DataStandard dataStandard = DataStandard::V52;
    // Re-applied by POST /_test/reset; null when started without --seed.
    nlohmann::json startupSeed;
    // Used when a request carries no Host header, e.g. "127.0.0.1:8443".
    std::string defaultAuthority = "127.0.0.1";
};

// How the double plays a particular state's deployment; switched per test
// through POST /_test/behaviour (members absent keep their value) and back
// to these defaults by /_test/reset.
struct Behaviour {
    int changeQueriesStatus = 0;          // 0: served; 404 / 500: availableChangeVersions answers that
    bool snapshots = false;               // Use-Snapshot: true honoured (a copy taken when switched on); else 404
    int snapshotGoneAfter = -1;           // 410 Gone to the Nth snapshot read from now (then a new snapshot)
    std::uint64_t maxLimit = 500;         // a larger limit is refused with 400
    bool pageTokens = false;              // Next-Page-Token paging offered on full lists
    std::string routePrefix;              // "district-a/2026": data and change queries live under /{prefix}/
    bool v8 = false;                      // ODS/API 8: data under /data (no /v3), token at /connect/token
    std::string expiresAs;                // "": seconds; "epoch" / "iso": expires_in as an absolute time
    std::vector<std::string> absentResources;   // this server does not offer them: 404
    std::vector<std::string> refusedResources;  // the client's claims do not cover them: 403
    std::vector<std::string> withheldDescriptors;  // full URIs this deployment lacks: not listed, refused in records
};

// The whole behaviour of the double: routes one request to a response.
// HTTP-library-free so unit tests drive it directly. Thread-safe.
class Api {
public:
    explicit Api(ApiConfig config, Clock clock = systemNow);

    HttpResponse handle(const HttpRequest& request);

    // Applies the startup seed; returns an error message on a bad seed.
    std::optional<std::string> applyStartupSeed();


private:
    HttpResponse route(const HttpRequest& request, const std::vector<std::string>& segments);

    // discovery and metadata
    HttpResponse discovery(const HttpRequest& request);
    HttpResponse dependencies() const;
    // oauth
    HttpResponse issueToken(const HttpRequest& request);
    std::optional<HttpResponse> requireBearer(const HttpRequest& request);
    // data
    HttpResponse dataRequest(const HttpRequest& request, const std::vector<std::string>& segments);
    HttpResponse postResource(const HttpRequest& request, const ResourceSpec& spec);
    HttpResponse listResource(const HttpRequest& request, const ResourceSpec& spec);
    // GET /ed-fi/{type}Descriptors for a type the catalog knows; none otherwise.
    std::optional<HttpResponse> listDescriptors(const HttpRequest& request, const std::string& resource);
    HttpResponse listDeletes(const HttpRequest& request, const ResourceSpec& spec);
    HttpResponse listKeyChanges(const HttpRequest& request);
    HttpResponse availableChangeVersions(const HttpRequest& request);
    // test control
    HttpResponse testControl(const HttpRequest& request, const std::string& action);
    HttpResponse setBehaviour(const nlohmann::json& body);
    HttpResponse tokenStats();
    // Which store serves a read: the snapshot when asked and offered; an
    // error response when the snapshot is missing or gone.
    std::variant<Store*, HttpResponse> readStore(const HttpRequest& request);
    std::string routeRoot(const HttpRequest& request) const;  // base + "/" + prefix

    bool isAvailable(const ResourceSpec& spec) const;
    std::string baseUrl(const HttpRequest& request) const;

    ApiConfig m_config;
    Clock m_clock;
    TokenTable m_tokens;
    WriterTally m_writers;
    Store m_store;
    DescriptorCatalog m_descriptors;
    mutable std::mutex m_behaviourMutex;
    Behaviour m_behaviour;
    Store m_snapshot;
    int m_snapshotReads = 0;
    Behaviour behaviour();
    std::atomic<ErrorStyle> m_errorStyle{ErrorStyle::Problem};  // how data-call errors are worded
};

} // namespace edfi_double
