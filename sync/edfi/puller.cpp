#include "sync/edfi/puller.hpp"

#include "sync/edfi/store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>

namespace edsync::edfi {

namespace {

ApiError dbError(const sqlite::Error& e) { return ApiError{ApiError::Kind::Database, std::nullopt, 0, e.describe(), std::nullopt}; }

ApiError httpError(const transport::Response& r, std::string_view what) {
    ApiError e;
    e.httpStatus = r.status;
    if (r.status == 429 || r.status >= 500 || r.status == 408 || r.status == 409) e.kind = r.status == 429 ? ApiError::Kind::Throttled : ApiError::Kind::Server;
    else e.kind = ApiError::Kind::Refused;
    std::string message = std::string(what) + " was answered HTTP " + std::to_string(r.status);
    if (auto problem = parseProblemDetails(r.body)) {
        std::string summary = problem->summary();
        if (!summary.empty()) message += ": " + summary;
    }
    e.message = sanitizeText(message, kMaxMessageChars);
    return e;
}

std::optional<std::int64_t> totalCount(const transport::Response& r) {
    auto value = r.header("total-count");
    if (!value || value->empty() || value->size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : *value) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

bool stopsThePass(const ApiError& e) {
    return e.kind == ApiError::Kind::Offline || e.kind == ApiError::Kind::Cancelled || e.kind == ApiError::Kind::AuthRejected ||
           e.kind == ApiError::Kind::Database;
}

} // namespace

sqlite::Status PullSink::applyKeyChanges(Database&, std::string_view, const std::vector<nlohmann::json>&) { return {}; }

std::string_view toString(PullPart part) {
    switch (part) {
    case PullPart::KeyChanges: return "keyChanges";
    case PullPart::Changes: return "changes";
    case PullPart::Deletes: return "deletes";
    }
    return "?";
}

bool PullReport::complete() const {
    return !stoppedBy && std::all_of(resources.begin(), resources.end(), [](const ResourcePull& r) { return r.complete; });
}

Puller::Puller(Session& session, transport::HttpClient& http, PullOptions options)
    : m_session(session), m_http(http), m_options(options) {
    m_options.pageSize = std::clamp(m_options.pageSize, 1, 500);
    m_options.maxRestartsPerPart = std::max(0, m_options.maxRestartsPerPart);
}

ApiResult<transport::Response> Puller::get(const std::string& url) {
    auto token = m_session.token();
    if (!token) return fail(token.error());
    auto outcome = m_http.performOne(m_session.getRequest(url, *token));
    if (outcome && outcome->status == 401) {
        // One new token, one more try (the same rule as uploads).
        m_session.tokenRejected(*token);
        auto fresh = m_session.token();
        if (!fresh) return fail(fresh.error());
        outcome = m_http.performOne(m_session.getRequest(url, *fresh));
        if (outcome && outcome->status == 401) {
            m_session.refreshDidNotHelp();
            return fail(ApiError{ApiError::Kind::AuthRejected, 401, 0, "a freshly issued token was refused for reading", std::nullopt});
        }
    }
    if (!outcome) return fail(fromTransport(outcome.error()));
    if (outcome->status != 200) return fail(httpError(*outcome, "the download request"));
    m_session.tokenAccepted();
    return std::move(*outcome);
}

ApiResult<std::int64_t> Puller::pullPart(Database& db, const PullResource& resource, PullPart part, std::int64_t minVersion,
                                         std::int64_t maxVersion, PullSink& sink, const PullProgressFn& progress) {
    std::string base = m_session.resourceUrl(resource.name);
    if (part == PullPart::Deletes) base += "/deletes";
    else if (part == PullPart::KeyChanges) base += "/keyChanges";
    const std::size_t limit = static_cast<std::size_t>(m_options.pageSize);

    for (int restart = 0; restart <= m_options.maxRestartsPerPart; ++restart) {
        std::optional<std::int64_t> firstTotal;
        std::int64_t applied = 0;
        bool shifted = false;
        for (std::int64_t offset = 0;; offset += static_cast<std::int64_t>(limit)) {
            std::string url = base + "?minChangeVersion=" + std::to_string(minVersion) +
                              "&maxChangeVersion=" + std::to_string(maxVersion) + "&offset=" + std::to_string(offset) +
                              "&limit=" + std::to_string(limit) + "&totalCount=true";
            auto response = get(url);
            if (!response) return fail(response.error());
            auto items = parseListPage(response->body, limit);
            if (!items) return fail(ApiError{ApiError::Kind::BadResponse, 200, 0, items.error().message, std::nullopt});

            // Offset paging over a fixed version window shifts if a record changes
            // mid-pass (it leaves the window); a shrinking Total-Count tells us, and
            // the part is read again rather than skipping the record that slid back.
            if (auto total = totalCount(*response)) {
                if (!firstTotal) firstTotal = total;
                else if (*total != *firstTotal) {
                    shifted = true;
                    break;
                }
            }

            auto tx = sqlite::Transaction::begin(db);
            if (!tx) return fail(dbError(tx.error()));
            sqlite::Status applied_ok;
            try {
                switch (part) {
                case PullPart::Changes: applied_ok = sink.apply(db, resource.name, *items); break;
                case PullPart::Deletes: applied_ok = sink.applyDeletes(db, resource.name, *items); break;
                case PullPart::KeyChanges: applied_ok = sink.applyKeyChanges(db, resource.name, *items); break;
                }
            } catch (const std::exception&) {
                // The sink is someone else's code reading outside data: contain it here.
                return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0,
                                     "a downloaded " + resource.name + " page could not be stored (unexpected content)", std::nullopt});
            }
            if (!applied_ok) return fail(dbError(applied_ok.error()));
            if (auto s = tx->commit(); !s) return fail(dbError(s.error()));
            applied += static_cast<std::int64_t>(items->size());
            if (progress) progress(PullProgress{resource.name, part, applied});
            if (items->size() < limit) break;
        }
        if (!shifted) return applied;
    }
    return fail(ApiError{ApiError::Kind::Server, std::nullopt, 0,
                         resource.name + " kept changing while it was downloaded; will try again on the next pass", std::nullopt});
}

ApiResult<PullReport> Puller::pull(Database& db, std::span<const PullResource> resources, PullSink& sink,
                                   const PullProgressFn& progress) {
    PullReport report;
    auto versions = get(m_session.endpoints().changeQueries + "availableChangeVersions");
    if (!versions) return fail(versions.error());
    auto parsed = parseAvailableChangeVersions(versions->body);
    if (!parsed) return fail(ApiError{ApiError::Kind::BadResponse, 200, 0, parsed.error().message, std::nullopt});
    report.available = *parsed;
    const std::int64_t newest = parsed->newest;

    for (const PullResource& resource : resources) {
        ResourcePull r;
        r.resource = resource.name;
        r.toVersion = newest;
        if (!isValidResourceName(resource.name)) {
            r.error = ApiError{ApiError::Kind::Refused, std::nullopt, 0, "not an Ed-Fi resource name", std::nullopt};
            report.resources.push_back(std::move(r));
            continue;
        }
        auto cursor = loadCursor(db, resource.name);
        if (!cursor) {
            report.stoppedBy = dbError(cursor.error());
            break;
        }
        r.fromVersion = *cursor;
        if (*cursor && **cursor == newest) {
            r.complete = r.upToDate = true;
            report.resources.push_back(std::move(r));
            continue;
        }
        // No cursor yet, or the server's versions went backwards (restored
        // from a backup): read everything; deletes and key changes are moot.
        const bool full = !*cursor || **cursor > newest;
        const std::int64_t minVersion = full ? 0 : **cursor + 1;

        std::optional<ApiError> failure;
        auto run = [&](PullPart part, std::int64_t& counter) {
            if (failure) return;
            auto n = pullPart(db, resource, part, minVersion, newest, sink, progress);
            if (!n) failure = n.error();
            else counter += *n;
        };
        if (resource.keyChanges && !full) run(PullPart::KeyChanges, r.keyChanged);
        run(PullPart::Changes, r.changed);
        if (resource.deletes && !full) run(PullPart::Deletes, r.deleted);

        if (!failure) {
            if (auto s = saveCursor(db, resource.name, newest); !s) failure = dbError(s.error());
            else r.complete = true;
        }
        r.error = failure;
        report.resources.push_back(std::move(r));
        if (failure && stopsThePass(*failure)) {
            report.stoppedBy = failure;
            break;
        }
    }
    return report;
}

} // namespace edsync::edfi
