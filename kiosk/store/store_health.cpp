#include "kiosk/store/store_health.hpp"

#include "sync/core/files.hpp"
#include "sync/sqlite/file_check.hpp"

#include <cstdio>
#include <fstream>
#include <unistd.h>

namespace kiosk::store {

using edsync::sqlite::Database;
using edsync::sqlite::Error;

std::filesystem::path identityFile(const std::filesystem::path& database) {
    auto id = database;
    id += ".id";
    return id;
}

std::optional<std::string> readIdentity(const std::filesystem::path& database) {
    std::ifstream in(identityFile(database));
    std::string line;
    if (!in || !std::getline(in, line)) return std::nullopt;
    // A kiosk id is a UUID; anything else (an empty file from a full disk) is no marker.
    if (line.size() != 36) return std::nullopt;
    return line;
}

void writeIdentity(const std::filesystem::path& database, const std::string& kioskId) {
    // A temporary file, fsync, rename, fsync of the directory: after a crash
    // the marker holds the old id or the new one, never part of one.
    auto written = edsync::files::writeAtomically(identityFile(database), kioskId + "\n", 0600);
    (void)written;  // best effort: a full disk leaves it for the next open (header)
}

Error damagedStore(const std::filesystem::path& file, const std::string& problem) {
    return Error::damagedFile(file.string() + " " + problem);
}

namespace {

edsync::sqlite::Result<bool> hasTable(Database& db, const char* name) {
    auto stmt = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, name);
    auto row = stmt->step();
    if (!row) return edsync::fail(row.error());
    return stmt->getInt(0) > 0;
}

} // namespace

edsync::sqlite::Status checkOpenStore(Database& db) {
    const auto& file = db.path();
    auto findings = db.checkIntegrity(Database::Check::Quick, 3);
    if (!findings) return edsync::fail(findings.error().damaged() ? damagedStore(file, "is damaged: " + findings.error().message) : findings.error());
    if (!findings->empty()) return edsync::fail(damagedStore(file, "is damaged (SQLite's quick_check: " + findings->front() + ")"));

    auto meta = hasTable(db, "kiosk_meta");
    if (!meta) return edsync::fail(meta.error().damaged() ? damagedStore(file, "is damaged: " + meta.error().message) : meta.error());
    std::optional<std::string> inside;
    if (*meta) {
        auto stmt = db.prepare("SELECT value FROM kiosk_meta WHERE key = 'kiosk_id';");
        if (!stmt) return edsync::fail(stmt.error());
        auto row = stmt->step();
        if (!row) return edsync::fail(row.error().damaged() ? damagedStore(file, "is damaged: " + row.error().message) : row.error());
        if (*row) inside = stmt->getText(0);
    } else {
        // Tables but none of the kiosk's: not a kiosk store (or another
        // database's -wal replayed over it).
        auto migrations = hasTable(db, "schema_migrations");
        if (!migrations) return edsync::fail(migrations.error());
        auto any = db.prepare("SELECT count(*) FROM sqlite_master;");
        if (!any) return edsync::fail(any.error());
        auto row = any->step();
        if (!row) return edsync::fail(row.error());
        if (!*migrations && any->getInt(0) > 0) return edsync::fail(damagedStore(file, "is not a kiosk database (no kiosk tables), or another database's -wal lies beside it"));
    }
    if (auto marker = readIdentity(file); marker && inside != marker)
        return edsync::fail(damagedStore(file, "holds " + (inside ? "kiosk " + *inside + "'s store" : std::string("no kiosk identity")) +
                                                   ", but this folder's kiosk is " + *marker + " (" + identityFile(file).filename().string() +
                                                   "): another kiosk's file, or another database's -wal beside it"));
    return {};
}

edsync::sqlite::Result<StoreState> checkStoreFiles(const std::filesystem::path& file) {
    const auto files = edsync::sqlite::statDatabaseFiles(file);
    if (auto finding = edsync::sqlite::inspectDatabaseFiles(file)) return edsync::fail(damagedStore(finding->file, finding->problem));
    if (!files.exists || files.bytes == 0) {
        if (auto marker = readIdentity(file))
            return edsync::fail(damagedStore(file, std::string(files.exists ? "is empty" : "is missing") + ", but this folder held the store of kiosk " +
                                                       *marker + " (" + identityFile(file).filename().string() + ")"));
        if (files.walBytes > 0) return edsync::fail(damagedStore(file, "is empty, but a -wal with changes lies beside it"));
        return StoreState::New;
    }
    auto db = Database::openReadOnly(file);
    if (!db) return edsync::fail(db.error().damaged() ? damagedStore(file, "is damaged: " + db.error().message) : db.error());
    if (auto s = checkOpenStore(*db); !s) return edsync::fail(s.error());
    return StoreState::Existing;
}

} // namespace kiosk::store
