#pragma once
// The Ed-Fi client's own tables (migration component "edfi"): change-query
// cursors per resource and the last contact with the server. Kept apart from
// the outbox's migrations so either can grow without touching the other.
#include "sync/sqlite/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

} // namespace edsync::edfi
