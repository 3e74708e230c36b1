#include "edfi_double/api.hpp"

#include "edfi_double/problem.hpp"
#include "edfi_double/seed.hpp"
#include "edfi_double/text_codec.hpp"

namespace edfi_double {

namespace {

std::vector<std::string> splitSegments(std::string_view path) {
    std::vector<std::string> segments;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        if (slash != 0) segments.emplace_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

} // namespace

Api::Api(ApiConfig config, Clock clock)
    : m_config(std::move(config)), m_clock(std::move(clock)),
      m_tokens(m_config.tokenTtl, m_config.maxLiveTokens, m_clock), m_store(m_clock) {
    m_descriptors.loadBuiltIn(nlohmann::json::parse(builtInDescriptorJson()));
}

std::optional<std::string> Api::applyStartupSeed() {
    if (m_config.startupSeed.is_null()) return std::nullopt;
    auto outcome = applySeed(m_config.startupSeed, m_store, m_descriptors);
    if (auto* error = std::get_if<SeedError>(&outcome)) return error->message;
    return std::nullopt;
}

HttpResponse Api::handle(const HttpRequest& request) {
    HttpResponse response;
    try {
        response = route(request, splitSegments(request.path));
    } catch (const std::exception& error) {
        // A bug in the double must show up as a 500 the test can see, not a hang.
        response = problemResponse({500, "urn:ed-fi:api:system-error", "Internal Server Error", error.what(), {}, {}});
    }
    // Data calls' errors in the style a test chose (the token endpoint keeps its own).
    if (request.path.rfind("/data/", 0) == 0) response = restyleError(std::move(response), m_errorStyle.load());
    response.setHeader("Date", httpDate(m_clock()));
    return response;
}

HttpResponse Api::route(const HttpRequest& request, const std::vector<std::string>& segments) {
    const std::string& method = request.method;
    if (segments.empty()) {
        if (method != "GET") return methodNotAllowed("GET");
        return discovery(request);
    }
    if (segments[0] == "_test" && segments.size() == 2) return testControl(request, segments[1]);
    if (segments.size() == 2 && segments[0] == "oauth" && segments[1] == "token") {
        if (method != "POST") return methodNotAllowed("POST");
        return issueToken(request);
    }
    if (segments == std::vector<std::string>{"metadata", "data", "v3", "dependencies"}) {
        if (method != "GET") return methodNotAllowed("GET");
        return dependencies();
    }
    if (segments == std::vector<std::string>{"changeQueries", "v1", "availableChangeVersions"}) {
        if (method != "GET") return methodNotAllowed("GET");
        return availableChangeVersions(request);
    }
    if (segments.size() >= 4 && segments[0] == "data" && segments[1] == "v3" && segments[2] == "ed-fi") {
        return dataRequest(request, segments);
    }
    return notFound("No route matches '" + request.path + "'.");
}

bool Api::isAvailable(const ResourceSpec& spec) const {
    return !(spec.onlyInDs52 && m_config.dataStandard == DataStandard::V51);
}

std::string Api::baseUrl(const HttpRequest& request) const {
    // The Host header keeps links pointing through a proxy when one is used.
    return "https://" + request.header("Host").value_or(m_config.defaultAuthority);
}

HttpResponse Api::discovery(const HttpRequest& request) const {
    const bool ds52 = m_config.dataStandard == DataStandard::V52;
    const std::string base = baseUrl(request);
    nlohmann::json body = {
        {"version", ds52 ? "7.3" : "7.2"},
        {"informationalVersion", ds52 ? "7.3" : "7.2"},
        {"suite", "3"},
        {"build", ds52 ? "7.3.0-edfi-double" : "7.2.0-edfi-double"},
        {"apiMode", "Sandbox"},
        {"dataModels",
         {{{"name", "Ed-Fi"},
           {"version", ds52 ? "5.2.0" : "5.1.0"},
           {"informationalVersion", ds52 ? "The Ed-Fi Data Model 5.2" : "The Ed-Fi Data Model 5.1"}}}},
        {"urls",
         {{"dependencies", base + "/metadata/data/v3/dependencies"},
          {"openApiMetadata", base + "/metadata"},
          {"oauth", base + "/oauth/token"},
          {"dataManagementApi", base + "/data/v3"},
          {"changeQueries", base + "/changeQueries/v1"},
          {"composites", base + "/composites/v1"}}},
    };
    return jsonResponse(200, body);
}

HttpResponse Api::dependencies() const {
    // Load order: what a resource references comes first.
    nlohmann::json list = nlohmann::json::array();
    int order = 1;
    for (const auto& spec : allResources()) {
        if (!isAvailable(spec)) continue;
        list.push_back({{"resource", "/ed-fi/" + spec.name}, {"order", order++}, {"operations", {"Create", "Update"}}});
    }
    return jsonResponse(200, list);
}

HttpResponse Api::availableChangeVersions(const HttpRequest& request) {
    if (auto refused = requireBearer(request)) return *refused;
    return jsonResponse(200, {{"oldestChangeVersion", 0}, {"newestChangeVersion", m_store.newestChangeVersion()}});
}

} // namespace edfi_double
