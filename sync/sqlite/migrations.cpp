#include "sync/sqlite/migrations.hpp"

#include <string>

namespace edsync::sqlite {

namespace {

Status ensureTable(Database& db) {
    return db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL,"
        " version INTEGER NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
        " PRIMARY KEY (component, version));");
}

} // namespace

Result<int> schemaVersion(Database& db, std::string_view component) {
    if (auto s = ensureTable(db); !s) return fail(s.error());
    auto stmt = db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, component);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return static_cast<int>(stmt->getInt(0));
}

Result<int> migrate(Database& db, std::string_view component, std::span<const Migration> migrations) {
    auto current = schemaVersion(db, component);
    if (!current) return current;
    int newest = migrations.empty() ? 0 : migrations.back().version;
    if (*current > newest) {
        Error e;
        e.code = 1;
        e.message = "the database was written by a newer version of this program (" + std::string(component) +
                    " schema " + std::to_string(*current) + ", this build knows " + std::to_string(newest) +
                    "); install the newer version";
        return fail(e);
    }
    int version = *current;
    for (const Migration& m : migrations) {
        if (m.version <= version) continue;
        auto tx = Transaction::begin(db);
        if (!tx) return fail(tx.error());
        if (auto s = db.exec(m.sql); !s) return fail(s.error());
        auto rec = db.prepare("INSERT INTO schema_migrations(component, version) VALUES (?1, ?2);");
        if (!rec) return fail(rec.error());
        rec->bind(1, component).bind(2, m.version);
        if (auto s = rec->run(); !s) return fail(s.error());
        if (auto s = tx->commit(); !s) return fail(s.error());
        version = m.version;
    }
    return version;
}

} // namespace edsync::sqlite
