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

// v2: full pulls (servers without change queries, and the daily resync)
// remember what they saw, and the last download is kept for `status`.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE edfi_pull_state (
  resource          TEXT PRIMARY KEY,
  generation        INTEGER NOT NULL CHECK (generation >= 0),
  last_full_unix_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE edfi_pull_seen (
  resource   TEXT NOT NULL,
  id         TEXT NOT NULL,
  generation INTEGER NOT NULL,
  key_json   TEXT NOT NULL,
  PRIMARY KEY (resource, id)
) WITHOUT ROWID;
CREATE INDEX edfi_pull_seen_generation ON edfi_pull_seen (resource, generation);
CREATE TABLE edfi_download (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  at_unix_ms INTEGER NOT NULL,
  mode       TEXT NOT NULL,
  records    INTEGER NOT NULL,
  complete   INTEGER NOT NULL,
  error      TEXT NOT NULL DEFAULT ''
);
)sql";

// v3: the server's endpoints from its last discovery document, so a process's
// first pass need not wait a round trip for them (docs/edfi.md, "Discovery").
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE edfi_discovery (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  base_url           TEXT NOT NULL,
  route              TEXT NOT NULL,
  oauth_url          TEXT NOT NULL,
  data_url           TEXT NOT NULL,
  change_queries_url TEXT NOT NULL,
  data_model_version TEXT NOT NULL,
  saved_unix_ms      INTEGER NOT NULL
);
)sql";

constexpr std::array kMigrations{
    sqlite::Migration{1, kSchemaV1},
    sqlite::Migration{2, kSchemaV2},
    sqlite::Migration{3, kSchemaV3},
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

Result<std::optional<StoredDiscovery>> loadDiscovery(Database& db) {
    auto stmt = db.prepare(
        "SELECT base_url, route, oauth_url, data_url, change_queries_url, data_model_version, saved_unix_ms"
        " FROM edfi_discovery WHERE id = 1;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<StoredDiscovery>{};
    StoredDiscovery d;
    d.baseUrl = stmt->getText(0);
    d.route = stmt->getText(1);
    d.endpoints.discovery = Endpoints::defaults(d.baseUrl).discovery;
    d.endpoints.oauthToken = stmt->getText(2);
    d.endpoints.dataApi = stmt->getText(3);
    d.endpoints.changeQueries = stmt->getText(4);
    d.dataModelVersion = stmt->getText(5);
    d.savedUnixMs = stmt->getInt(6);
    return std::optional<StoredDiscovery>(std::move(d));
}

Status saveDiscovery(Database& db, const StoredDiscovery& d) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_discovery (id, base_url, route, oauth_url, data_url, change_queries_url, data_model_version, saved_unix_ms)"
        " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT (id) DO UPDATE SET base_url = excluded.base_url, route = excluded.route, oauth_url = excluded.oauth_url,"
        "  data_url = excluded.data_url, change_queries_url = excluded.change_queries_url,"
        "  data_model_version = excluded.data_model_version, saved_unix_ms = excluded.saved_unix_ms;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, d.baseUrl).bind(2, d.route).bind(3, d.endpoints.oauthToken).bind(4, d.endpoints.dataApi).bind(5, d.endpoints.changeQueries);
    stmt->bind(6, d.dataModelVersion).bind(7, d.savedUnixMs);
    return stmt->run();
}

Result<PullState> loadPullState(Database& db, std::string_view resource) {
    auto stmt = db.prepare("SELECT generation, last_full_unix_ms FROM edfi_pull_state WHERE resource = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    PullState state;
    if (!*row) return state;
    state.generation = stmt->getInt(0);
    state.lastFullUnixMs = stmt->getOptionalInt(1);
    return state;
}

Status savePullState(Database& db, std::string_view resource, const PullState& state) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_pull_state (resource, generation, last_full_unix_ms) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (resource) DO UPDATE SET generation = excluded.generation, last_full_unix_ms = excluded.last_full_unix_ms;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, state.generation).bind(3, state.lastFullUnixMs);
    return stmt->run();
}

Status markSeen(Database& db, std::string_view resource, std::string_view id, std::int64_t generation, std::string_view keyJson) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_pull_seen (resource, id, generation, key_json) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (resource, id) DO UPDATE SET generation = excluded.generation, key_json = excluded.key_json;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, id).bind(3, generation).bind(4, keyJson);
    return stmt->run();
}

Status forgetSeen(Database& db, std::string_view resource, std::string_view id) {
    auto stmt = db.prepare("DELETE FROM edfi_pull_seen WHERE resource = ?1 AND id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, id);
    return stmt->run();
}

Result<std::vector<SeenRecord>> seenBefore(Database& db, std::string_view resource, std::int64_t generation, int limit) {
    auto stmt = db.prepare("SELECT id, key_json FROM edfi_pull_seen WHERE resource = ?1 AND generation < ?2 ORDER BY id LIMIT ?3;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, generation).bind(3, static_cast<std::int64_t>(limit));
    std::vector<SeenRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getText(0), stmt->getText(1)});
    }
    return out;
}

Result<std::optional<DownloadRecord>> loadDownload(Database& db) {
    auto stmt = db.prepare("SELECT at_unix_ms, mode, records, complete, error FROM edfi_download WHERE id = 1;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<DownloadRecord>{};
    DownloadRecord d;
    d.atUnixMs = stmt->getInt(0);
    d.mode = stmt->getText(1);
    d.records = stmt->getInt(2);
    d.complete = stmt->getInt(3) != 0;
    d.error = stmt->getText(4);
    return std::optional<DownloadRecord>{std::move(d)};
}

Status saveDownload(Database& db, const DownloadRecord& record) {
    auto stmt = db.prepare(
        "INSERT INTO edfi_download (id, at_unix_ms, mode, records, complete, error) VALUES (1, ?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (id) DO UPDATE SET at_unix_ms = excluded.at_unix_ms, mode = excluded.mode, records = excluded.records,"
        "  complete = excluded.complete, error = excluded.error;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, record.atUnixMs).bind(2, record.mode).bind(3, record.records).bind(4, static_cast<std::int64_t>(record.complete ? 1 : 0)).bind(5, record.error);
    return stmt->run();
}

} // namespace edsync::edfi
