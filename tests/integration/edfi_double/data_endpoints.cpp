// /data/v3/ed-fi/{resource}... of the double's Api: upsert, lists, deletes.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <variant>

#include <nlohmann/json.hpp>

#include "edfi_double/api.hpp"
#include "edfi_double/problem.hpp"
#include "edfi_double/text_codec.hpp"
#include "edfi_double/validation.hpp"

namespace edfi_double {

namespace {

constexpr std::uint64_t kMaxLimit = 500;

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

HttpResponse badRequest(const std::string& detail, ValidationErrors errors = {}) {
    const bool validation = !errors.empty();
    return problemResponse({400,
                            validation ? problem_type::kDataValidationFailed : problem_type::kBadRequest,
                            validation ? "Data Validation Failed" : "Bad Request",
                            detail,
                            std::move(errors),
                            {}});
}

// Query members that steer paging rather than filter records.
bool isPagingParameter(std::string_view name) {
    return name == "offset" || name == "limit" || name == "totalCount" || name == "minChangeVersion" ||
           name == "maxChangeVersion" || name == "pageToken" || name == "pageSize";
}

// Reads offset/limit/totalCount/min/maxChangeVersion; a 400 response on bad input.
// A page token names the offset it continues from ("pt-500"); opaque to clients.
std::optional<std::uint64_t> offsetFromPageToken(std::string_view token) {
    if (!token.starts_with("pt-")) return std::nullopt;
    return parseUnsigned(token.substr(3));
}

std::variant<ListQuery, HttpResponse> readListQuery(const HttpRequest& request, std::uint64_t maxLimit = kMaxLimit) {
    ListQuery query;
    ValidationErrors errors;
    auto readNumber = [&](std::string_view name) -> std::optional<std::uint64_t> {
        auto text = request.queryValue(name);
        if (!text) return std::nullopt;
        auto value = parseUnsigned(*text);
        if (!value) errors[std::string(name)].push_back("The value '" + *text + "' is not valid.");
        return value;
    };
    if (auto offset = readNumber("offset")) query.offset = *offset;
    if (auto limit = readNumber("limit")) {
        if (*limit > maxLimit) {
            errors["limit"].push_back("Limit must be omitted or set to a value between 0 and " +
                                      std::to_string(maxLimit) + ".");
        }
        query.limit = *limit;
    }
    if (auto token = request.queryValue("pageToken")) {
        auto offset = offsetFromPageToken(*token);
        if (!offset) errors["pageToken"].push_back("The page token is not valid.");
        else query.offset = *offset;
    }
    if (auto size = readNumber("pageSize")) {
        if (*size > maxLimit) {
            errors["pageSize"].push_back("PageSize must be omitted or set to a value between 0 and " +
                                         std::to_string(maxLimit) + ".");
        }
        query.limit = *size;
    }
    query.minChangeVersion = readNumber("minChangeVersion");
    query.maxChangeVersion = readNumber("maxChangeVersion");
    if (!errors.empty()) {
        return problemResponse({400,
                                problem_type::kBadRequest,
                                "Bad Request",
                                "The request parameters are not valid.",
                                std::move(errors),
                                {}});
    }
    for (const auto& [name, value] : request.query) {
        if (!isPagingParameter(name)) query.filters.emplace_back(name, value);
    }
    return query;
}

HttpResponse pageResponse(const HttpRequest& request, const ListPage& page) {
    HttpResponse response = jsonResponse(200, page.items);
    if (toLowerAscii(request.queryValue("totalCount").value_or("")) == "true") {
        response.setHeader("Total-Count", std::to_string(page.totalCount));
    }
    return response;
}

bool isJsonContentType(const std::optional<std::string>& header) {
    if (!header) return false;
    std::string value = toLowerAscii(trim(*header));
    std::string_view mediaType = trim(std::string_view(value).substr(0, value.find(';')));
    return mediaType == "application/json";
}

} // namespace

HttpResponse Api::dataRequest(const HttpRequest& request, const std::vector<std::string>& segments) {
    if (auto refused = requireBearer(request)) return *refused;
    const ResourceSpec* spec = findResource(segments[3]);
    const Behaviour play = behaviour();
    if (segments.size() == 4 && request.method == "GET")
        if (auto descriptors = listDescriptors(request, segments[3])) return *descriptors;
    auto listed = [&](const std::vector<std::string>& names) { return std::find(names.begin(), names.end(), segments[3]) != names.end(); };
    if (spec == nullptr || !isAvailable(*spec) || segments.size() > 5 || listed(play.absentResources)) {
        return notFound("The resource '" + segments[3] + "' does not exist on this API.");
    }
    if (listed(play.refusedResources)) {
        return problemResponse({403, problem_type::kNoClaims, "Authorization Denied",
                                "Access to the requested data could not be authorized. The API client has not been granted permission "
                                "to access the '" + segments[3] + "' resource.",
                                {}, {}});
    }
    const std::string& method = request.method;
    // A write is tallied by its token while it is served (requireBearer checked the header).
    std::optional<WriterTally::Writing> writing;
    if (method == "POST" || method == "PUT" || method == "DELETE") {
        const std::string authorization = request.header("Authorization").value_or("");
        const std::string_view value = trim(authorization);
        writing.emplace(m_writers, std::string(trim(value.substr(std::min<std::size_t>(7, value.size())))));
    }
    if (segments.size() == 4) {
        if (method == "GET") return listResource(request, *spec);
        if (method == "POST") return postResource(request, *spec);
        return methodNotAllowed("GET, POST");
    }
    const std::string& tail = segments[4];
    if (tail == "deletes" || tail == "keyChanges") {
        if (method != "GET") return methodNotAllowed("GET");
        return tail == "deletes" ? listDeletes(request, *spec) : listKeyChanges(request);
    }
    if (method == "GET") {
        auto item = m_store.findById(spec->name, tail);
        if (!item) return notFound("No item has id '" + tail + "'.");
        HttpResponse response = jsonResponse(200, *item);
        response.setHeader("ETag", "\"" + (*item)["_etag"].get<std::string>() + "\"");
        return response;
    }
    if (method == "DELETE") {
        if (!m_store.removeByIdForClient(spec->name, tail)) return notFound("No item has id '" + tail + "'.");
        HttpResponse response;
        response.status = 204;
        return response;
    }
    return methodNotAllowed("GET, DELETE");
}

std::optional<HttpResponse> Api::listDescriptors(const HttpRequest& request, const std::string& resource) {
    if (!resource.ends_with("Descriptors") || resource.empty()) return std::nullopt;
    std::string type = resource.substr(0, resource.size() - 1);
    type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
    if (!m_descriptors.knowsType(type)) return std::nullopt;
    auto query = readListQuery(request, behaviour().maxLimit);
    if (auto* refused = std::get_if<HttpResponse>(&query)) return *refused;
    const ListQuery& q = std::get<ListQuery>(query);
    const auto values = m_descriptors.valuesOfType(type);
    nlohmann::json page = nlohmann::json::array();
    for (std::uint64_t i = q.offset; i < values.size() && i < q.offset + q.limit; ++i) {
        const auto& v = values[i];
        page.push_back({{"id", type + "-" + std::to_string(i)},
                        {"namespace", v.namespaceUri + "/" + v.type},
                        {"codeValue", v.codeValue},
                        {"shortDescription", v.codeValue},
                        {"description", v.codeValue}});
    }
    return jsonResponse(200, page);
}

HttpResponse Api::postResource(const HttpRequest& request, const ResourceSpec& spec) {
    if (!isJsonContentType(request.header("Content-Type"))) {
        return problemResponse({415,
                                problem_type::kUnsupportedMediaType,
                                "Unsupported Media Type",
                                "The request body must be sent as Content-Type: application/json.",
                                {},
                                {}});
    }
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        m_store.recordRejectedPost(spec.name);
        return badRequest("The request body could not be read as a JSON object.");
    }

    ValidationErrors errors;
    checkNoClientId(body, errors);
    checkRequired(spec, body, errors);
    checkLengths(spec, body, errors);
    checkDescriptors(m_descriptors, body, errors);
    if (!errors.empty()) {
        m_store.recordRejectedPost(spec.name);
        return badRequest("Validation of '" + spec.entityName + "' failed. See 'validationErrors' for details.",
                          std::move(errors));
    }

    if (spec.namespacePath) {
        const std::string assessmentNamespace = findPath(body, *spec.namespacePath)->get<std::string>();
        if (!assessmentNamespace.starts_with(m_config.namespacePrefix)) {
            m_store.recordRejectedPost(spec.name);
            return problemResponse(
                {403,
                 problem_type::kNamespaceMismatch,
                 "Authorization Denied",
                 "Access to the requested data could not be authorized. The 'Namespace' value of the data ('" +
                     assessmentNamespace +
                     "') does not start with any of the caller's associated namespace prefixes ('" +
                     m_config.namespacePrefix + "').",
                 {},
                 {}});
        }
    }
    if (spec.studentPath) {
        const nlohmann::json& studentId = *findPath(body, *spec.studentPath);
        const nlohmann::json studentKey = {{"studentUniqueId", studentId}};
        if (!m_store.contains("students", studentKey)) {
            const std::string shown = studentId.is_string() ? studentId.get<std::string>() : studentId.dump();
            m_store.recordRejectedPost(spec.name);
            return problemResponse({409,
                                    problem_type::kUnresolvedReference,
                                    "Unresolved Reference",
                                    "The referenced 'Student' item does not exist.",
                                    {},
                                    {"Student with studentUniqueId '" + shown + "' is not known to the API."}});
        }
    }

    auto key = extractKey(spec, body);
    if (!key) {
        m_store.recordRejectedPost(spec.name);
        return badRequest("The natural key members must be scalar values.");
    }
    const UpsertResult result =
        m_store.upsert(spec.name, *key, std::move(body), WriteSource::Client, request.header("If-Match"));
    if (result.outcome == UpsertOutcome::PreconditionFailed) {
        return problemResponse({412,
                                problem_type::kOptimisticLockFailed,
                                "Optimistic Lock Failed",
                                "The item has been modified by another user.",
                                {},
                                {}});
    }
    HttpResponse response;
    response.status = result.outcome == UpsertOutcome::Created ? 201 : 200;
    response.setHeader("Location", baseUrl(request) + "/data/v3/ed-fi/" + spec.name + "/" + result.id);
    response.setHeader("ETag", "\"" + result.etag + "\"");
    return response;
}

HttpResponse Api::listResource(const HttpRequest& request, const ResourceSpec& spec) {
    const Behaviour play = behaviour();
    auto query = readListQuery(request, play.maxLimit);
    if (auto* refused = std::get_if<HttpResponse>(&query)) return *refused;
    auto store = readStore(request);
    if (auto* refused = std::get_if<HttpResponse>(&store)) return *refused;
    const ListQuery& q = std::get<ListQuery>(query);
    const ListPage page = std::get<Store*>(store)->list(spec.name, q);
    HttpResponse response = pageResponse(request, page);
    // Cursor paging (ODS/API 7.3) on whole lists, where this deployment offers it.
    const bool window = q.minChangeVersion || q.maxChangeVersion;
    if (play.pageTokens && !window && q.offset + page.items.size() < page.totalCount && !page.items.empty())
        response.setHeader("Next-Page-Token", "pt-" + std::to_string(q.offset + page.items.size()));
    return response;
}

HttpResponse Api::listDeletes(const HttpRequest& request, const ResourceSpec& spec) {
    auto query = readListQuery(request, behaviour().maxLimit);
    if (auto* refused = std::get_if<HttpResponse>(&query)) return *refused;
    auto store = readStore(request);
    if (auto* refused = std::get_if<HttpResponse>(&store)) return *refused;
    return pageResponse(request, std::get<Store*>(store)->deletes(spec.name, std::get<ListQuery>(query)));
}

HttpResponse Api::listKeyChanges(const HttpRequest& request) {
    // The double never changes a natural key, so there is never anything here.
    auto query = readListQuery(request);
    if (auto* refused = std::get_if<HttpResponse>(&query)) return *refused;
    return pageResponse(request, ListPage{});
}

} // namespace edfi_double
