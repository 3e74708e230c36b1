#pragma once
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edfi_double/clock.hpp"
#include "edfi_double/descriptor_catalog.hpp"
#include "edfi_double/http_types.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/resource_catalog.hpp"
#include "edfi_double/store.hpp"
#include "edfi_double/token_table.hpp"

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
    HttpResponse discovery(const HttpRequest& request) const;
    HttpResponse dependencies() const;
    // oauth
    HttpResponse issueToken(const HttpRequest& request);
    std::optional<HttpResponse> requireBearer(const HttpRequest& request);
    // data
    HttpResponse dataRequest(const HttpRequest& request, const std::vector<std::string>& segments);
    HttpResponse postResource(const HttpRequest& request, const ResourceSpec& spec);
    HttpResponse listResource(const HttpRequest& request, const ResourceSpec& spec);
    HttpResponse listDeletes(const HttpRequest& request, const ResourceSpec& spec);
    HttpResponse listKeyChanges(const HttpRequest& request);
    HttpResponse availableChangeVersions(const HttpRequest& request);
    // test control
    HttpResponse testControl(const HttpRequest& request, const std::string& action);

    bool isAvailable(const ResourceSpec& spec) const;
    std::string baseUrl(const HttpRequest& request) const;

    ApiConfig m_config;
    Clock m_clock;
    TokenTable m_tokens;
    Store m_store;
    DescriptorCatalog m_descriptors;
    std::atomic<ErrorStyle> m_errorStyle{ErrorStyle::Problem};  // how data-call errors are worded
};

} // namespace edfi_double
