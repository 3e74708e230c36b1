// /_test/behaviour and /_test/tokens of the double's Api: how it plays a
// particular deployment (no change queries, snapshots, a lower limit, page
// tokens, tenant/year and ODS/API 8 routes, absolute token expiry, the live
// token limit), and how many tokens it has issued.
#include <cctype>

#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/text_codec.hpp"

namespace edfi_double {

namespace {

bool isRouteSegment(std::string_view segment) {
    if (segment.empty()) return false;
    for (char c : segment)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
}

} // namespace

Behaviour Api::behaviour() {
    std::lock_guard lock(m_behaviourMutex);
    return m_behaviour;
}

std::string Api::routeRoot(const HttpRequest& request) const {
    std::string root = baseUrl(request);
    std::lock_guard lock(m_behaviourMutex);
    if (!m_behaviour.routePrefix.empty()) root += "/" + m_behaviour.routePrefix;
    return root;
}

HttpResponse Api::setBehaviour(const nlohmann::json& body) {
    auto bad = [](const std::string& message) { return jsonResponse(400, {{"error", message}}); };
    std::lock_guard lock(m_behaviourMutex);
    Behaviour next = body.value("defaults", false) ? Behaviour{} : m_behaviour;
    bool takeSnapshot = false;
    for (const auto& [name, value] : body.items()) {
        if (name == "defaults") continue;
        if (name == "changeQueries") {
            if (!value.is_number_integer() || (value != 0 && value != 404 && value != 500))
                return bad("changeQueries: 0 (served), 404 or 500");
            next.changeQueriesStatus = value.get<int>();
        } else if (name == "snapshots") {
            if (!value.is_boolean()) return bad("snapshots: true or false");
            takeSnapshot = value.get<bool>();
            next.snapshots = value.get<bool>();
        } else if (name == "snapshotGoneAfter") {
            if (!value.is_number_integer() || value.get<int>() < -1) return bad("snapshotGoneAfter: -1 (never) or a count of snapshot reads");
            next.snapshotGoneAfter = value.get<int>();
            m_snapshotReads = 0;
        } else if (name == "maxLimit") {
            if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 || value.get<std::uint64_t>() > 500)
                return bad("maxLimit: 1 to 500");
            next.maxLimit = value.get<std::uint64_t>();
        } else if (name == "pageTokens") {
            if (!value.is_boolean()) return bad("pageTokens: true or false");
            next.pageTokens = value.get<bool>();
        } else if (name == "routePrefix") {
            if (!value.is_string()) return bad("routePrefix: \"\" or segments such as \"district-a/2026\"");
            std::string prefix = value.get<std::string>();
            std::string_view rest = prefix;
            while (!rest.empty()) {
                std::size_t slash = rest.find('/');
                if (!isRouteSegment(rest.substr(0, slash))) return bad("routePrefix: letters, digits, - and _ between slashes");
                if (slash == std::string_view::npos) break;
                rest.remove_prefix(slash + 1);
            }
            next.routePrefix = std::move(prefix);
        } else if (name == "v8") {
            if (!value.is_boolean()) return bad("v8: true or false");
            next.v8 = value.get<bool>();
        } else if (name == "expiresAs") {
            if (!value.is_string() || (value != "" && value != "epoch" && value != "iso")) return bad("expiresAs: \"\", \"epoch\" or \"iso\"");
            next.expiresAs = value.get<std::string>();
        } else if (name == "absentResources" || name == "refusedResources") {
            std::vector<std::string> names;
            if (!value.is_array()) return bad(name + ": a list of resource names");
            for (const auto& v : value) {
                if (!v.is_string()) return bad(name + ": a list of resource names");
                names.push_back(v.get<std::string>());
            }
            (name == "absentResources" ? next.absentResources : next.refusedResources) = std::move(names);
        } else if (name == "withheldDescriptors") {
            if (!value.is_array()) return bad("withheldDescriptors: a list of descriptor URIs");
            std::vector<std::string> uris;
            for (const auto& v : value) {
                if (!v.is_string()) return bad("withheldDescriptors: a list of descriptor URIs");
                uris.push_back(v.get<std::string>());
            }
            next.withheldDescriptors = std::move(uris);
        } else if (name == "maxLiveTokens") {
            if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1) return bad("maxLiveTokens: 1 or more");
            m_tokens.setMaxLivePerClient(value.get<std::size_t>());
        } else {
            return bad("unknown behaviour '" + name + "'");
        }
    }
    if (body.value("defaults", false)) m_tokens.setMaxLivePerClient(m_config.maxLiveTokens);
    m_behaviour = next;
    m_descriptors.setWithheld({next.withheldDescriptors.begin(), next.withheldDescriptors.end()});
    // Switching snapshots on takes one of the data as it is now.
    if (takeSnapshot) m_snapshot.copyRecordsFrom(m_store);
    return jsonResponse(200, {{"changeQueries", next.changeQueriesStatus},
                              {"snapshots", next.snapshots},
                              {"snapshotGoneAfter", next.snapshotGoneAfter},
                              {"maxLimit", next.maxLimit},
                              {"pageTokens", next.pageTokens},
                              {"routePrefix", next.routePrefix},
                              {"v8", next.v8},
                              {"expiresAs", next.expiresAs},
                              {"absentResources", next.absentResources},
                              {"refusedResources", next.refusedResources},
                              {"withheldDescriptors", next.withheldDescriptors}});
}

HttpResponse Api::tokenStats() {
    return jsonResponse(200, {{"issued", m_tokens.issuedTotal()},
                              {"live", m_tokens.liveCount(m_config.clientId)},
                              {"writers", m_writers.writers()},
                              {"maxConcurrentWriters", m_writers.maxConcurrent()}});
}

std::variant<Store*, HttpResponse> Api::readStore(const HttpRequest& request) {
    auto asked = request.header("Use-Snapshot");
    if (!asked || toLowerAscii(trim(*asked)) != "true") return &m_store;
    std::lock_guard lock(m_behaviourMutex);
    if (!m_behaviour.snapshots)
        return problemResponse({404, problem_type::kNotFound, "Not Found", "Snapshot not found: this host keeps no snapshots.", {}, {}});
    if (m_behaviour.snapshotGoneAfter >= 0 && m_snapshotReads++ >= m_behaviour.snapshotGoneAfter) {
        // The snapshot was replaced mid-pass: the client must start over.
        m_behaviour.snapshotGoneAfter = -1;
        m_snapshotReads = 0;
        m_snapshot.copyRecordsFrom(m_store);
        return problemResponse({410, "urn:ed-fi:api:snapshot-gone", "Gone", "The snapshot used by this request no longer exists.", {}, {}});
    }
    return &m_snapshot;
}

} // namespace edfi_double
