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
      m_tokens(m_config.tokenTtl, m_config.maxLiveTokens, m_clock), m_store(m_clock), m_snapshot(m_clock) {
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

HttpResponse Api::route(const HttpRequest& request, const std::vector<std::string>& given) {
    const std::string& method = request.method;
    if (given.empty()) {
        if (method != "GET") return methodNotAllowed("GET");
        return discovery(request);
    }
    if (given[0] == "_test" && given.size() == 2) return testControl(request, given[1]);
    const Behaviour play = behaviour();
    // ODS/API 8 moved the token endpoint and keeps /oauth/token as a proxy.
    const bool tokenRoute = given.size() == 2 && ((given[0] == "oauth" && given[1] == "token") ||
                                                  (play.v8 && given[0] == "connect" && given[1] == "token"));
    if (tokenRoute) {
        if (method != "POST") return methodNotAllowed("POST");
        return issueToken(request);
    }
    // Tenant/year routes: data and change queries only under /{prefix}/.
    std::vector<std::string> segments = given;
    const std::vector<std::string> prefix = splitSegments(play.routePrefix);
    if (!prefix.empty()) {
        if (segments.size() > prefix.size() && std::equal(prefix.begin(), prefix.end(), segments.begin())) {
            segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(prefix.size()));
        } else if (segments[0] == "data" || segments[0] == "changeQueries") {
            return notFound("No route matches '" + request.path + "': this API serves /" + play.routePrefix + "/...");
        }
    }
    if (play.v8 && !segments.empty() && segments[0] == "data") {
        if (segments.size() >= 2 && segments[1] == "v3") return notFound("No route matches '" + request.path + "' (ODS/API 8: /data/ed-fi/...)");
        segments.insert(segments.begin() + 1, "v3");
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

HttpResponse Api::discovery(const HttpRequest& request) {
    const bool ds52 = m_config.dataStandard == DataStandard::V52;
    const std::string base = baseUrl(request);
    const Behaviour play = behaviour();
    const std::string root = routeRoot(request);
    nlohmann::json body = {
        {"version", play.v8 ? "8.0" : ds52 ? "7.3" : "7.2"},
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
          {"oauth", base + (play.v8 ? "/connect/token" : "/oauth/token")},
          {"dataManagementApi", root + (play.v8 ? "/data" : "/data/v3")},
          {"changeQueries", root + "/changeQueries/v1"},
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
    if (int status = behaviour().changeQueriesStatus; status == 404) {
        return notFound("Change queries are not enabled on this API.");
    } else if (status != 0) {
        return problemResponse({status, "urn:ed-fi:api:system-error", "Internal Server Error",
                                "An unexpected problem has occurred.", {}, {}});
    }
    auto store = readStore(request);
    if (auto* refused = std::get_if<HttpResponse>(&store)) return *refused;
    return jsonResponse(200, {{"oldestChangeVersion", 0}, {"newestChangeVersion", std::get<Store*>(store)->newestChangeVersion()}});
}

} // namespace edfi_double
