#include "sync/edfi/store.hpp"

#include "sync/sqlite/migrations.hpp"

#include <array>

namespace edsync::edfi {

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE edfi_pull_cursor (
  resource       TEXT PRIMARY KEY,
  change_version INTEGER NOT NULL CHECK (change_version >= 0),
  updated_at     TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE edfi_contact (
  id                   INTEGER PRIMARY KEY CHECK (id = 1),
  last_success_unix_ms INTEGER,
  clock_offset_ms      INTEGER,
  last_pull_unix_ms    INTEGER,
  data_model_version   TEXT NOT NULL DEFAULT ''
);
)sql";

constexpr std::array kMigrations{
    sqlite::Migration{1, kSchemaV1},
};

} // namespace

Result<int> migrate(Database& db) { return sqlite::migrate(db, "edfi", kMigrations); }

Result<std::optional<std::int64_t>> loadCursor(Database& db, std::string_view resource) {
    auto stmt = db.prepare("SELECT change_version FROM edfi_pull_cursor WHERE resource = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{stmt->getInt(0)};
}

Status saveCursor(Database& db, std::string_view resource, std::int64_t changeVersion) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_pull_cursor (resource, change_version, updated_at)"
        " VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        " ON CONFLICT (resource) DO UPDATE SET change_version = excluded.change_version, updated_at = excluded.updated_at;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, changeVersion);
    return stmt->run();
}

Status resetCursors(Database& db) { return db.exec("DELETE FROM edfi_pull_cursor;"); }

Result<ContactRecord> loadContact(Database& db) {
    auto stmt = db.prepare(
        "SELECT last_success_unix_ms, clock_offset_ms, last_pull_unix_ms, data_model_version FROM edfi_contact WHERE id = 1;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    ContactRecord c;
    if (!*row) return c;
    c.lastSuccessUnixMs = stmt->getOptionalInt(0);
    c.clockOffsetMs = stmt->getOptionalInt(1);
    c.lastPullUnixMs = stmt->getOptionalInt(2);
    c.dataModelVersion = stmt->getText(3);
    return c;
}

Status saveContact(Database& db, const ContactRecord& contact) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_contact (id, last_success_unix_ms, clock_offset_ms, last_pull_unix_ms, data_model_version)"
        " VALUES (1, ?1, ?2, ?3, ?4)"
        " ON CONFLICT (id) DO UPDATE SET last_success_unix_ms = excluded.last_success_unix_ms,"
        "  clock_offset_ms = excluded.clock_offset_ms, last_pull_unix_ms = excluded.last_pull_unix_ms,"
        "  data_model_version = excluded.data_model_version;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, contact.lastSuccessUnixMs).bind(2, contact.clockOffsetMs).bind(3, contact.lastPullUnixMs).bind(4, contact.dataModelVersion);
    return stmt->run();
}

} // namespace edsync::edfi
