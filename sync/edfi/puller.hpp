#pragma once
// Reference data download on any Ed-Fi server.
//
// With change queries: GET availableChangeVersions, then for each resource
// page through [saved + 1, newest] (key changes, then changes, then deletes),
// handing each page to the caller's sink inside a transaction committed per
// page. A resource's cursor is saved only after its whole pass was applied,
// so a pass cut off anywhere restarts from the last saved cursor and loses
// nothing; pages applied twice are harmless because applies are upserts.
// Every request of a pass asks for the server's snapshot (Use-Snapshot:
// true); a 404 to that means the host keeps none (asked again without), a
// 410 Gone that it vanished mid-pass (the pass starts over).
//
// Without change queries (availableChangeVersions answered 404, 400, 500 or
// 501), on the first pass and on the periodic resync: a full paged read of
// each resource (offset/limit, limit <= 500 and lowered when the server
// refuses it; Next-Page-Token paging where the server offers it). What a
// complete full read did not see, of what earlier downloads brought, is
// handed to the sink as deleted — only after the whole resource was read.
#include "sync/edfi/session.hpp"
#include "sync/sqlite/database.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::edfi {

using sqlite::Database;

// Implemented by whoever keeps the downloaded data (the kiosk's records
// layer; tests use a fake). Each call runs inside a transaction the puller
// opened on `db` and commits right after: do not begin or commit one here.
// Applies must be idempotent: the same page may arrive again after a restart.
class PullSink {
public:
    virtual ~PullSink() = default;
    // Items changed in the window (full resource documents, with "id").
    virtual sqlite::Status apply(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) = 0;
    // Items deleted in the window (from /{resource}/deletes: "id" and the natural key).
    virtual sqlite::Status applyDeletes(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) = 0;
    // Natural-key changes (from /{resource}/keyChanges), for resources that allow them.
    virtual sqlite::Status applyKeyChanges(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items);
};

struct PullResource {
    std::string name;         // "studentAssessmentRegistrations", or "namespace/resource"
    bool deletes = true;      // also read /deletes
    bool keyChanges = false;  // also read /keyChanges (only resources with updatable keys)
    // Nice to have (a student's grade): a failure here is reported with the
    // resource but leaves the download complete.
    bool optional = false;
};

enum class PullPart { KeyChanges, Changes, Deletes, Full, Removed };
std::string_view toString(PullPart part);

struct PullProgress {
    std::string_view resource;
    PullPart part = PullPart::Changes;
    std::int64_t itemsSoFar = 0;  // in this part
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct ResourcePull {
    std::string resource;
    bool complete = false;              // cursor saved at toVersion (or a full read finished)
    bool upToDate = false;              // nothing new since the saved cursor
    bool full = false;                  // read whole (no change queries, first pass, periodic resync)
    bool optional = false;              // PullResource::optional
    std::int64_t removed = 0;           // not seen by a complete full read: handed over as deleted
    std::optional<std::int64_t> fromVersion;  // saved cursor before the pass
    std::int64_t toVersion = 0;
    std::int64_t changed = 0;
    std::int64_t deleted = 0;
    std::int64_t keyChanged = 0;
    std::optional<ApiError> error;      // why it is not complete
};

struct PullReport {
    ChangeVersions available;
    bool changeQueries = true;          // false: the server has none (every resource read whole)
    std::string changeQueriesProblem;   // why not, when not
    bool snapshot = false;              // the pass read the server's snapshot
    int restarts = 0;                   // passes started over (410 Gone on the snapshot)
    std::vector<ResourcePull> resources;
    std::optional<ApiError> stoppedBy;  // offline, token, cancelled: the rest was not tried
    bool complete() const;
    // "change queries", "full" or "change queries + full"
    std::string mode() const;
    std::int64_t records() const;       // items applied: changed, deleted, key changes, removed
};

struct PullOptions {
    int pageSize = 500;          // Ed-Fi's maximum limit; lowered when a server refuses it
    int maxRestartsPerPart = 3;  // when Total-Count shows the window shifted mid-pass
    bool useSnapshots = true;    // send Use-Snapshot: true (dropped for the session on a 404)
    int maxPassRestarts = 3;     // 410 Gone: the snapshot went away mid-pass; start over
    // More items than this in one part of one resource is a server whose
    // pages never end (it ignores offset, or counts wrong): the part fails.
    std::int64_t maxItemsPerPart = 2'000'000;
    // Read every resource whole this often even with change queries (0: never).
    std::int64_t fullResyncIntervalMs = 24LL * 3600 * 1000;
};

class Puller {
public:
    Puller(Session& session, transport::HttpClient& http, PullOptions options = {});

    // Fails only when no pass could start (no token, availableChangeVersions
    // unreachable). Per-resource outcomes are in the report. Either way the
    // outcome is saved as the last download (store.hpp: saveDownload).
    ApiResult<PullReport> pull(Database& db, std::span<const PullResource> resources, PullSink& sink,
                               const PullProgressFn& progress = {});

    int pageSize() const { return m_limit; }  // after any lowering

private:
    ApiResult<PullReport> pass(Database& db, std::span<const PullResource> resources, PullSink& sink, const PullProgressFn& progress);
    ApiResult<transport::Response> get(const std::string& url, std::string_view what);
    ApiResult<transport::Response> getInPass(const std::string& url, std::string_view what);
    ApiResult<std::int64_t> readPages(Database& db, const PullResource& resource, PullPart part, const std::string& window,
                                      std::int64_t generation, PullSink& sink, const PullProgressFn& progress);
    ApiResult<std::int64_t> removeUnseen(Database& db, const PullResource& resource, std::int64_t generation, PullSink& sink);
    bool lowerLimit(const ApiError& refusal);

    Session& m_session;
    transport::HttpClient& m_http;
    PullOptions m_options;
    int m_limit = 500;
    bool m_snapshotsUnavailable = false;  // the server keeps none: stop asking
    bool m_snapshotThisPass = false;
};

} // namespace edsync::edfi
