#pragma once
// The Ed-Fi client's own tables (migration component "edfi"): change-query
// cursors per resource and the last contact with the server. Kept apart from
// the outbox's migrations so either can grow without touching the other.
#include "sync/edfi/session.hpp"
#include "sync/sqlite/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::edfi {

using sqlite::Database;
using sqlite::Result;
using sqlite::Status;

Result<int> migrate(Database& db);

// The newest change version wholly applied for `resource`; nullopt before the first full pass.
Result<std::optional<std::int64_t>> loadCursor(Database& db, std::string_view resource);
// Called only after a resource's whole pass has been applied.
Status saveCursor(Database& db, std::string_view resource, std::int64_t changeVersion);
// Forget every cursor: the next pull downloads everything again (idempotent upserts).
Status resetCursors(Database& db);

struct ContactRecord {
    std::optional<std::int64_t> lastSuccessUnixMs;  // last HTTP answer from the server
    std::optional<std::int64_t> clockOffsetMs;      // server Date minus our clock
    std::optional<std::int64_t> lastPullUnixMs;     // last complete change-query pass
    std::string dataModelVersion;                   // from discovery, e.g. "5.2.0"
};
Result<ContactRecord> loadContact(Database& db);
Status saveContact(Database& db, const ContactRecord& contact);

// The server's endpoints from its last discovery document, for the configured
// base URL and route (v3). A process's first pass uses them at once and
// confirms them with the discovery GET in its first flight (docs/edfi.md,
// "Discovery"); a changed base URL or route ignores them.
struct StoredDiscovery {
    std::string baseUrl;
    std::string route;
    Endpoints endpoints;  // the discovery URL itself is the base URL's, not stored
    std::string dataModelVersion;
    std::int64_t savedUnixMs = 0;
};
Result<std::optional<StoredDiscovery>> loadDiscovery(Database& db);
Status saveDiscovery(Database& db, const StoredDiscovery& discovery);

// --- Full pulls: what was downloaded, so a complete pass can tell what the
// server no longer has (v2).
struct PullState {
    std::int64_t generation = 0;                 // of the last complete full pass
    std::optional<std::int64_t> lastFullUnixMs;  // when it finished
};
Result<PullState> loadPullState(Database& db, std::string_view resource);
Status savePullState(Database& db, std::string_view resource, const PullState& state);
// Records `id` (with its natural-key members, `keyJson`) as present in `generation`.
Status markSeen(Database& db, std::string_view resource, std::string_view id, std::int64_t generation, std::string_view keyJson);
Status forgetSeen(Database& db, std::string_view resource, std::string_view id);
struct SeenRecord {
    std::string id;
    std::string keyJson;
};
// Up to `limit` records last seen before `generation`.
Result<std::vector<SeenRecord>> seenBefore(Database& db, std::string_view resource, std::int64_t generation, int limit);

// --- The last download, for `status` (v2).
struct DownloadRecord {
    std::int64_t atUnixMs = 0;
    std::string mode;        // "change queries", "full", "change queries + full"
    std::int64_t records = 0;  // changed + deleted items applied
    bool complete = false;
    std::string error;       // the cause when not complete; may quote the server: show, never log
};
Result<std::optional<DownloadRecord>> loadDownload(Database& db);
Status saveDownload(Database& db, const DownloadRecord& record);

} // namespace edsync::edfi
