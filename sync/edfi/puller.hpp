#pragma once
// Incremental download with Ed-Fi change queries.
//
// One pass: GET availableChangeVersions, then for each resource page through
// [saved + 1, newest] with offset/limit, handing each page to the caller's
// sink inside a transaction committed per page. A resource's cursor is saved
// only after its whole pass (key changes, changes, deletes) was applied, so a
// pass cut off anywhere restarts from the last saved cursor and loses
// nothing; pages applied twice are harmless because applies are upserts.
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
};

enum class PullPart { KeyChanges, Changes, Deletes };
std::string_view toString(PullPart part);

struct PullProgress {
    std::string_view resource;
    PullPart part = PullPart::Changes;
    std::int64_t itemsSoFar = 0;  // in this part
};
using PullProgressFn = std::function<void(const PullProgress&)>;

struct ResourcePull {
    std::string resource;
    bool complete = false;              // cursor saved at toVersion
    bool upToDate = false;              // nothing new since the saved cursor
    std::optional<std::int64_t> fromVersion;  // saved cursor before the pass
    std::int64_t toVersion = 0;
    std::int64_t changed = 0;
    std::int64_t deleted = 0;
    std::int64_t keyChanged = 0;
    std::optional<ApiError> error;      // why it is not complete
};

struct PullReport {
    ChangeVersions available;
    std::vector<ResourcePull> resources;
    std::optional<ApiError> stoppedBy;  // offline, token, cancelled: the rest was not tried
    bool complete() const;
};

struct PullOptions {
    int pageSize = 500;          // Ed-Fi's maximum limit
    int maxRestartsPerPart = 3;  // when Total-Count shows the window shifted mid-pass
};

class Puller {
public:
    Puller(Session& session, transport::HttpClient& http, PullOptions options = {});

    // Fails only when no pass could start (no token, availableChangeVersions
    // unreadable or unreachable). Per-resource outcomes are in the report.
    ApiResult<PullReport> pull(Database& db, std::span<const PullResource> resources, PullSink& sink,
                               const PullProgressFn& progress = {});

private:
    ApiResult<transport::Response> get(const std::string& url);
    ApiResult<std::int64_t> pullPart(Database& db, const PullResource& resource, PullPart part, std::int64_t minVersion,
                                     std::int64_t maxVersion, PullSink& sink, const PullProgressFn& progress);

    Session& m_session;
    transport::HttpClient& m_http;
    PullOptions m_options;
};

} // namespace edsync::edfi
