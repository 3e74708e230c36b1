#include "sync/edfi/puller.hpp"

#include "sync/edfi/store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <exception>

namespace edsync::edfi {

namespace {

constexpr int kMaxLimitLowerings = 8;
constexpr int kSweepBatch = 500;


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

// The first and last id of a page: the same pair twice in a row is the same page.
std::string pageBounds(const std::vector<nlohmann::json>& items) {
    auto idOf = [](const nlohmann::json& item) {
        auto id = item.is_object() ? item.find("id") : item.end();
        return id != item.end() && id->is_string() ? id->get<std::string>() : std::string();
    };
    if (items.empty()) return {};
    return idOf(items.front()) + '\n' + idOf(items.back());
}

// Where a part's paging stands, for endlessPages.
struct PagingSoFar {
    std::size_t limit = 0;
    const std::optional<std::string>& pageToken;  // the token this page was asked with
    const std::optional<std::int64_t>& firstTotal;
    std::int64_t offset = 0;
    std::int64_t applied = 0;  // items of this part stored before this page
    std::int64_t maxItems = 0;
    std::string& lastFullPage;  // pageBounds of the last full page
};

// Why a page shows that the server's pages would never end; nothing when it does not.
std::optional<std::string> endlessPages(const transport::Response& response, const std::vector<nlohmann::json>& items, PagingSoFar so) {
    const auto count = static_cast<std::int64_t>(items.size());
    const auto& pageToken = so.pageToken;
    if (so.applied + count > so.maxItems)
        return "the server sent more than " + std::to_string(so.maxItems) + " items; its pages do not end";
    if (pageToken) {
        if (auto next = response.header("next-page-token"); next && *next == *pageToken)
            return std::string("the server sent back the page token it was given; its pages do not end");
    } else if (auto total = totalCount(response); total && so.firstTotal && *total == *so.firstTotal && so.offset + count > *total) {
        return "the server sent more items than its Total-Count (" + std::to_string(*total) + "): it does not page by offset";
    }
    if (items.size() < so.limit) return std::nullopt;
    std::string bounds = pageBounds(items);
    if (bounds != "\n" && bounds == so.lastFullPage) return std::string("the server sent the same page twice: it does not page by offset");
    so.lastFullPage = std::move(bounds);
    return std::nullopt;
}

bool stopsThePass(const ApiError& e) {
    return e.kind == ApiError::Kind::Offline || e.kind == ApiError::Kind::Cancelled || e.kind == ApiError::Kind::AuthRejected ||
           e.kind == ApiError::Kind::Database || e.tokenLimit;
}

std::string urlEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(c);
        else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 15]);
        }
    }
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// What identifies an item for a later inferred delete: its id, the natural-key
// members (…Id, …Identifier, …UniqueId, namespace, and …Reference objects).
// Names, dates and other details are left out.
std::string keyDocument(const nlohmann::json& item) {
    nlohmann::json key = nlohmann::json::object();
    for (auto it = item.begin(); it != item.end(); ++it) {
        const std::string& name = it.key();
        const bool scalar = it->is_string() || it->is_number();
        if ((scalar && (name == "id" || name == "namespace" || name.ends_with("Id") || name.ends_with("Identifier"))) ||
            (it->is_object() && name.ends_with("Reference"))) {
            nlohmann::json value = *it;
            if (value.is_object()) value.erase("link");
            key[name] = std::move(value);
        }
    }
    return key.dump();
}

std::string partName(const PullResource& resource, PullPart part) { return resource.name + " (" + std::string(toString(part)) + ")"; }

} // namespace

sqlite::Status PullSink::applyKeyChanges(Database&, std::string_view, const std::vector<nlohmann::json>&) { return {}; }

std::string_view toString(PullPart part) {
    switch (part) {
    case PullPart::KeyChanges: return "keyChanges";
    case PullPart::Changes: return "changes";
    case PullPart::Deletes: return "deletes";
    case PullPart::Full: return "full read";
    case PullPart::Removed: return "no longer on the server";
    }
    return "?";
}

bool PullReport::complete() const {
    return !stoppedBy && std::all_of(resources.begin(), resources.end(), [](const ResourcePull& r) { return r.complete || r.optional; });
}

std::string PullReport::mode() const {
    bool anyFull = false, anyChanges = false;
    for (const ResourcePull& r : resources) {
        if (r.upToDate) anyChanges = true;
        else if (r.full) anyFull = true;
        else anyChanges = true;
    }
    if (!changeQueries || (anyFull && !anyChanges)) return "full";
    if (anyFull) return "change queries + full";
    return "change queries";
}

std::int64_t PullReport::records() const {
    std::int64_t n = 0;
    for (const ResourcePull& r : resources) n += r.changed + r.deleted + r.keyChanged + r.removed;
    return n;
}

Puller::Puller(Session& session, transport::HttpClient& http, PullOptions options)
    : m_session(session), m_http(http), m_options(options) {
    m_options.pageSize = std::clamp(m_options.pageSize, 1, 500);
    m_options.maxRestartsPerPart = std::max(0, m_options.maxRestartsPerPart);
    m_options.maxPassRestarts = std::max(0, m_options.maxPassRestarts);
    m_limit = m_options.pageSize;
}

ApiResult<transport::Response> Puller::get(const std::string& url, std::string_view what) {
    auto named = [&](ApiError e) {
        e.request = requestLine("GET", url);
        if (e.message.find(what) == std::string::npos) e.message = std::string(what) + ": " + e.message;
        return e;
    };
    auto request = [&](const std::string& token) {
        transport::Request r = m_session.getRequest(url, token);
        if (m_snapshotThisPass) r.headers.push_back({"Use-Snapshot", "true"});
        return r;
    };
    auto token = m_session.token();
    if (!token) return fail(token.error());
    auto outcome = m_http.performOne(request(*token));
    if (outcome && outcome->status == 401) {
        // One new token, one more try (the same rule as uploads).
        m_session.tokenRejected(*token);
        auto fresh = m_session.token();
        if (!fresh) return fail(fresh.error());
        outcome = m_http.performOne(request(*fresh));
        if (outcome && outcome->status == 401) {
            m_session.refreshDidNotHelp();
            return fail(named(ApiError{ApiError::Kind::AuthRejected, 401, 0, "a freshly issued token was refused for reading", std::nullopt}));
        }
    }
    if (!outcome) return fail(named(fromTransport(outcome.error())));
    if (outcome->status != 200) return fail(named(httpError(*outcome, what)));
    m_session.tokenAccepted();
    return std::move(*outcome);
}

ApiResult<transport::Response> Puller::getInPass(const std::string& url, std::string_view what) {
    auto response = get(url, what);
    // A host without snapshots answers 404 to Use-Snapshot: ask again without,
    // and stop asking once that works.
    if (!response && m_snapshotThisPass && response.error().httpStatus == 404) {
        m_snapshotThisPass = false;
        auto plain = get(url, what);
        if (plain) m_snapshotsUnavailable = true;
        else m_snapshotThisPass = true;
        return plain;
    }
    return response;
}

bool Puller::lowerLimit(const ApiError& refusal) {
    if (refusal.httpStatus != 400 || m_limit <= 1) return false;
    const std::string text = lower(refusal.message);
    const std::size_t at = text.find("limit");
    if (at == std::string::npos) return false;
    // "Limit must be omitted or set to a value between 0 and 100": take the
    // largest number in the words that is below what we asked for.
    int best = 0;
    for (std::size_t i = at; i < text.size();) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        long long n = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && n < 1'000'000) n = n * 10 + (text[i++] - '0');
        if (n > 0 && n < m_limit) best = std::max(best, static_cast<int>(n));
    }
    m_limit = best > 0 ? best : std::max(1, m_limit / 2);
    return true;
}

ApiResult<std::int64_t> Puller::readPages(Database& db, const PullResource& resource, PullPart part, const std::string& window,
                                          std::int64_t generation, PullSink& sink, const PullProgressFn& progress) {
    std::string base = m_session.resourceUrl(resource.name);
    if (part == PullPart::Deletes) base += "/deletes";
    else if (part == PullPart::KeyChanges) base += "/keyChanges";
    const std::string what = "reading " + partName(resource, part);

    int lowerings = 0;
    for (int restart = 0; restart <= m_options.maxRestartsPerPart; ++restart) {
        std::optional<std::int64_t> firstTotal;
        std::optional<std::string> pageToken;
        std::int64_t applied = 0;
        bool shifted = false;
        std::string lastFullPage;  // the ids that bound the last full page
        for (std::int64_t offset = 0;;) {
            const auto limit = static_cast<std::size_t>(m_limit);
            std::string url = base + "?";
            if (pageToken) {
                url += "pageToken=" + urlEncode(*pageToken) + "&pageSize=" + std::to_string(limit);
            } else {
                if (!window.empty()) url += window + "&";
                url += "offset=" + std::to_string(offset) + "&limit=" + std::to_string(limit) + "&totalCount=true";
            }
            auto response = getInPass(url, what);
            if (!response) {
                if (lowerings < kMaxLimitLowerings && lowerLimit(response.error())) {
                    ++lowerings;
                    continue;  // the same page, smaller
                }
                return fail(response.error());
            }
            auto badPage = [&](const std::string& why) {
                ApiError e{ApiError::Kind::BadResponse, 200, 0, what + ": " + why, std::nullopt};
                e.request = requestLine("GET", url);
                return e;
            };
            auto items = parseListPage(response->body, limit);
            if (!items) return fail(badPage(items.error().message));
            // A server whose pages never end (it ignores offset, hands back the
            // token it was given, or counts past its own Total-Count) would keep
            // this pass, and the uploads waiting behind it, going for ever.
            if (auto why = endlessPages(*response, *items, {limit, pageToken, firstTotal, offset, applied, m_options.maxItemsPerPart, lastFullPage}))
                return fail(badPage(*why));

            // Offset paging over a moving list shifts if a record comes or goes
            // mid-pass; a changed Total-Count tells us, and the part is read
            // again rather than skipping the record that slid back.
            if (!pageToken) {
                if (auto total = totalCount(*response)) {
                    if (!firstTotal) firstTotal = total;
                    else if (*total != *firstTotal) {
                        shifted = true;
                        break;
                    }
                }
            }

            auto tx = sqlite::Transaction::begin(db);
            if (!tx) return fail(databaseError(tx.error()));
            sqlite::Status appliedOk;
            try {
                switch (part) {
                case PullPart::Changes:
                case PullPart::Full:
                    appliedOk = sink.apply(db, resource.name, *items);
                    for (const auto& item : *items) {
                        if (!appliedOk) break;
                        auto id = item.find("id");
                        if (id != item.end() && id->is_string())
                            appliedOk = markSeen(db, resource.name, id->get<std::string>(), generation, keyDocument(item));
                    }
                    break;
                case PullPart::Deletes:
                    appliedOk = sink.applyDeletes(db, resource.name, *items);
                    for (const auto& item : *items) {
                        if (!appliedOk) break;
                        auto id = item.find("id");
                        if (id != item.end() && id->is_string()) appliedOk = forgetSeen(db, resource.name, id->get<std::string>());
                    }
                    break;
                case PullPart::KeyChanges: appliedOk = sink.applyKeyChanges(db, resource.name, *items); break;
                case PullPart::Removed: break;
                }
            } catch (const std::exception&) {
                // The sink is someone else's code reading outside data: contain it here.
                return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0,
                                     "a downloaded " + resource.name + " page could not be stored (unexpected content)", std::nullopt});
            }
            if (!appliedOk) return fail(databaseError(appliedOk.error()));
            if (auto s = tx->commit(); !s) return fail(databaseError(s.error()));
            applied += static_cast<std::int64_t>(items->size());
            if (progress) progress(PullProgress{resource.name, part, applied});

            // Next-Page-Token paging where the server offers it (full reads only:
            // change-version windows stay on offsets).
            if (window.empty()) {
                auto next = response->header("next-page-token");
                if (next && !next->empty() && next->size() <= 2048) {
                    pageToken = *next;
                    continue;
                }
                if (pageToken) break;  // token paging ends when no token comes back
            }
            if (items->size() < limit) break;
            offset += static_cast<std::int64_t>(limit);
        }
        if (!shifted) return applied;
    }
    return fail(ApiError{ApiError::Kind::Server, std::nullopt, 0,
                         resource.name + " kept changing while it was downloaded; will try again on the next pass", std::nullopt});
}

ApiResult<std::int64_t> Puller::removeUnseen(Database& db, const PullResource& resource, std::int64_t generation, PullSink& sink) {
    std::int64_t removed = 0;
    for (;;) {
        auto batch = seenBefore(db, resource.name, generation, kSweepBatch);
        if (!batch) return fail(databaseError(batch.error()));
        if (batch->empty()) return removed;
        std::vector<nlohmann::json> items;
        items.reserve(batch->size());
        for (const SeenRecord& r : *batch) {
            auto doc = nlohmann::json::parse(r.keyJson, nullptr, false);
            if (!doc.is_object()) doc = nlohmann::json::object();
            doc["id"] = r.id;
            items.push_back(std::move(doc));
        }
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) return fail(databaseError(tx.error()));
        sqlite::Status ok;
        try {
            ok = sink.applyDeletes(db, resource.name, items);
        } catch (const std::exception&) {
            return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, "records gone from " + resource.name + " could not be removed",
                                 std::nullopt});
        }
        for (const SeenRecord& r : *batch) {
            if (!ok) break;
            ok = forgetSeen(db, resource.name, r.id);
        }
        if (!ok) return fail(databaseError(ok.error()));
        if (auto s = tx->commit(); !s) return fail(databaseError(s.error()));
        removed += static_cast<std::int64_t>(batch->size());
    }
}

ApiResult<PullReport> Puller::pass(Database& db, std::span<const PullResource> resources, PullSink& sink, const PullProgressFn& progress) {
    PullReport report;
    m_snapshotThisPass = m_options.useSnapshots && !m_snapshotsUnavailable;

    auto versions = getInPass(m_session.endpoints().changeQueries + "availableChangeVersions", "reading availableChangeVersions");
    if (!versions) {
        const ApiError& e = versions.error();
        const int status = e.httpStatus.value_or(0);
        // Change queries switched off, absent, or broken on this host: read whole.
        if (status == 404 || status == 400 || status == 500 || status == 501) {
            report.changeQueries = false;
            report.changeQueriesProblem = e.describe();
        } else {
            return fail(e);
        }
    } else {
        auto parsed = parseAvailableChangeVersions(versions->body);
        if (!parsed) {
            ApiError e{ApiError::Kind::BadResponse, 200, 0, "reading availableChangeVersions: " + parsed.error().message, std::nullopt};
            e.request = requestLine("GET", m_session.endpoints().changeQueries + "availableChangeVersions");
            return fail(std::move(e));
        }
        report.available = *parsed;
    }
    report.snapshot = m_snapshotThisPass;
    const std::int64_t newest = report.available.newest;
    const std::int64_t nowUnix = m_session.clock().unixMs();

    for (const PullResource& resource : resources) {
        ResourcePull r;
        r.resource = resource.name;
        r.optional = resource.optional;
        r.toVersion = newest;
        if (!isValidResourceName(resource.name)) {
            r.error = ApiError{ApiError::Kind::Refused, std::nullopt, 0, "not an Ed-Fi resource name", std::nullopt};
            report.resources.push_back(std::move(r));
            continue;
        }
        auto cursor = loadCursor(db, resource.name);
        auto state = loadPullState(db, resource.name);
        if (!cursor || !state) {
            report.stoppedBy = databaseError(!cursor ? cursor.error() : state.error());
            break;
        }
        r.fromVersion = *cursor;
        const bool resyncDue = m_options.fullResyncIntervalMs > 0 &&
                               (!state->lastFullUnixMs || nowUnix - *state->lastFullUnixMs >= m_options.fullResyncIntervalMs);
        // No cursor yet, the server's versions went backwards (restored from a
        // backup), no change queries, or the periodic resync: read everything.
        r.full = !report.changeQueries || !*cursor || **cursor > newest || resyncDue;
        if (!r.full && **cursor == newest) {
            r.complete = r.upToDate = true;
            report.resources.push_back(std::move(r));
            continue;
        }

        std::optional<ApiError> failure;
        if (r.full) {
            const std::int64_t generation = state->generation + 1;
            auto n = readPages(db, resource, PullPart::Full, {}, generation, sink, progress);
            if (!n) failure = n.error();
            else r.changed = *n;
            if (!failure) {
                // The whole resource was read: what earlier downloads brought and
                // this one did not see is gone from the server.
                auto removed = removeUnseen(db, resource, generation, sink);
                if (!removed) failure = removed.error();
                else r.removed = *removed;
            }
            if (!failure) {
                auto tx = sqlite::Transaction::begin(db);
                sqlite::Status ok = tx ? savePullState(db, resource.name, PullState{generation, nowUnix}) : sqlite::Status(fail(tx.error()));
                if (ok && report.changeQueries) ok = saveCursor(db, resource.name, newest);
                if (ok) ok = tx->commit();
                if (!ok) failure = databaseError(ok.error());
                else r.complete = true;
            }
        } else {
            const std::string window = "minChangeVersion=" + std::to_string(**cursor + 1) + "&maxChangeVersion=" + std::to_string(newest);
            auto run = [&](PullPart part, std::int64_t& counter) {
                if (failure) return;
                auto n = readPages(db, resource, part, window, state->generation, sink, progress);
                if (!n) failure = n.error();
                else counter += *n;
            };
            if (resource.keyChanges) run(PullPart::KeyChanges, r.keyChanged);
            run(PullPart::Changes, r.changed);
            if (resource.deletes) run(PullPart::Deletes, r.deleted);
            if (!failure) {
                if (auto s = saveCursor(db, resource.name, newest); !s) failure = databaseError(s.error());
                else r.complete = true;
            }
        }
        r.error = failure;
        report.resources.push_back(std::move(r));
        if (failure && (stopsThePass(*failure) || (m_snapshotThisPass && failure->httpStatus == 410))) {
            report.stoppedBy = failure;
            break;
        }
    }
    return report;
}

ApiResult<PullReport> Puller::pull(Database& db, std::span<const PullResource> resources, PullSink& sink,
                                   const PullProgressFn& progress) {
    DownloadRecord record;
    ApiResult<PullReport> outcome = fail(ApiError{});
    for (int attempt = 0;; ++attempt) {
        outcome = pass(db, resources, sink, progress);
        const bool gone = outcome ? (outcome->stoppedBy && outcome->stoppedBy->httpStatus == 410 && outcome->snapshot)
                                  : (outcome.error().httpStatus == 410 && m_snapshotThisPass);
        if (!gone || attempt >= m_options.maxPassRestarts) {
            if (outcome) outcome->restarts = attempt;
            break;
        }
        // The snapshot went away mid-pass: what was read is applied (upserts);
        // start over on the server's new snapshot.
    }
    record.atUnixMs = m_session.clock().unixMs();
    if (outcome) {
        record.mode = outcome->mode();
        if (outcome->snapshot) record.mode += ", snapshot";
        record.records = outcome->records();
        record.complete = outcome->complete();
        std::optional<ApiError> problem = outcome->stoppedBy;
        for (const ResourcePull& r : outcome->resources)
            if (!problem && r.error) problem = r.error;
        if (problem) record.error = problem->describe();
    } else {
        record.mode = "none";
        record.error = outcome.error().describe();
    }
    // Only what `status` shows of the last download: failing to save it must
    // not turn a pull whose rows are already committed into a failure.
    (void)saveDownload(db, record);
    return outcome;
}

} // namespace edsync::edfi
