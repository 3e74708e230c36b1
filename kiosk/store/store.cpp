#include "kiosk/store/store.hpp"

#include "kiosk/store/ids.hpp"
#include "kiosk/store/schema.hpp"
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/store_health.hpp"
#include "sync/sqlite/file_check.hpp"

#include <algorithm>
#include <chrono>

namespace kiosk::store {

Result<std::optional<std::string>> getMeta(Database& db, std::string_view key) {
    auto stmt = db.prepare("SELECT value FROM kiosk_meta WHERE key = ?1;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, key);
    auto row = stmt->step();
    if (!row) return edsync::fail(row.error());
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{stmt->getText(0)};
}

Status setMeta(Database& db, std::string_view key, std::string_view value) {
    auto stmt = db.prepare("INSERT INTO kiosk_meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, key).bind(2, value);
    return stmt->run();
}

Status deleteMeta(Database& db, std::string_view key) {
    auto stmt = db.prepare("DELETE FROM kiosk_meta WHERE key = ?1;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, key);
    return stmt->run();
}

Result<Store> Store::open(const std::filesystem::path& file) {
    if (auto health = checkStoreFiles(file); !health) return edsync::fail(health.error());
    auto db = Database::open(file);
    if (!db) return edsync::fail(db.error());
    Store store(std::move(*db));
    if (auto s = store.initialise(); !s) return edsync::fail(s.error());
    if (!store::readIdentity(file)) writeIdentity(file, store.m_kioskId);
    return store;
}

Result<Store> Store::openReadOnly(const std::filesystem::path& file) {
    if (auto finding = edsync::sqlite::inspectDatabaseFiles(file)) return edsync::fail(damagedStore(finding->file, finding->problem));
    const auto files = edsync::sqlite::statDatabaseFiles(file);
    if (files.exists && files.bytes == 0) {
        if (auto marker = store::readIdentity(file))
            return edsync::fail(damagedStore(file, "is empty, but this folder held the store of kiosk " + *marker + " (" +
                                                       identityFile(file).filename().string() + ")"));
        return edsync::fail(damagedStore(file, "is empty: no kiosk has written a store here yet"));
    }
    auto db = Database::openReadOnly(file);
    if (!db) return edsync::fail(db.error().damaged() ? damagedStore(file, "is damaged: " + db.error().message) : db.error());
    if (auto s = checkOpenStore(*db); !s) return edsync::fail(s.error());
    Store store(std::move(*db));
    if (auto s = store.readIdentity(); !s) return edsync::fail(s.error());
    return store;
}

Result<Store> Store::openInMemory() {
    auto db = Database::openInMemory();
    if (!db) return edsync::fail(db.error());
    Store store(std::move(*db));
    if (auto s = store.initialise(); !s) return edsync::fail(s.error());
    return store;
}

Status Store::readIdentity() {
    // schemaVersion() would create its table: a reader only reads it.
    auto version = m_db.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = 'kiosk';");
    if (!version) return edsync::fail(version.error());
    auto row = version->step();
    if (!row) return edsync::fail(row.error());
    m_schemaVersion = static_cast<int>(version->getInt(0));
    auto id = getMeta(m_db, "kiosk_id");
    if (!id) return edsync::fail(id.error());
    m_kioskId = id->value_or("");
    auto site = getMeta(m_db, "site_id");
    if (!site) return edsync::fail(site.error());
    m_siteId = site->value_or("");
    auto name = getMeta(m_db, "site_name");
    if (!name) return edsync::fail(name.error());
    m_siteName = name->value_or("");
    return {};
}

Status Store::initialise() {
    auto version = migrateAll(m_db);
    if (!version) return edsync::fail(version.error());
    m_schemaVersion = *version;
    auto id = getMeta(m_db, "kiosk_id");
    if (!id) return edsync::fail(id.error());
    if (*id) {
        m_kioskId = **id;
    } else {
        m_kioskId = uuidV7(systemNow());
        if (auto s = setMeta(m_db, "kiosk_id", m_kioskId); !s) return s;
    }
    {
        auto stmt = m_db.prepare("SELECT max(coalesce((SELECT max(hlc) FROM event), ''), coalesce((SELECT max(hlc) FROM work_event), ''));");
        if (!stmt) return edsync::fail(stmt.error());
        auto row = stmt->step();
        if (!row) return edsync::fail(row.error());
        if (*row) observeHlc(stmt->getText(0));
    }
    auto site = getMeta(m_db, "site_id");
    if (!site) return edsync::fail(site.error());
    m_siteId = site->value_or("");
    auto name = getMeta(m_db, "site_name");
    if (!name) return edsync::fail(name.error());
    m_siteName = name->value_or("");
    return {};
}

Status Store::setSite(const std::string& siteId, const std::string& siteName) {
    if (auto s = setMeta(m_db, "site_id", siteId); !s) return s;
    if (auto s = setMeta(m_db, "site_name", siteName); !s) return s;
    m_siteId = siteId;
    m_siteName = siteName;
    return {};
}

Result<std::int64_t> Store::nextSeq() {
    // One sequence across every kind of event this kiosk records.
    auto stmt = m_db.prepare("SELECT max(coalesce((SELECT max(seq) FROM event), 0), coalesce((SELECT max(seq) FROM work_event), 0)) + 1;");
    if (!stmt) return edsync::fail(stmt.error());
    auto row = stmt->step();
    if (!row) return edsync::fail(row.error());
    return stmt->getInt(0);
}

std::string Store::nextHlc(std::int64_t nowUnixMs) {
    return domain::encodeHlc(m_hlc.tick(std::clamp<std::int64_t>(nowUnixMs, 0, domain::kHlcMaxWallMs)));
}

void Store::observeHlc(std::string_view remote) {
    auto stamp = domain::parseHlc(remote);
    if (!stamp) return;
    auto physical = std::chrono::duration_cast<std::chrono::milliseconds>(systemNow().time_since_epoch()).count();
    // A stamp far ahead of this machine's clock is not followed (HlcClock's drift cap).
    (void)m_hlc.observe(*stamp, std::clamp<std::int64_t>(physical, 0, domain::kHlcMaxWallMs));
}

Status Store::shareAttendanceFact(std::string_view eventId) {
    if (!m_factSink) return {};
    auto fact = attendanceFact(m_db, eventId);
    if (!fact) return edsync::fail(fact.error());
    return m_factSink(m_db, *fact);
}

Status Store::shareWorkFact(std::string_view eventId) {
    if (!m_factSink) return {};
    auto fact = workFact(m_db, eventId);
    if (!fact) return edsync::fail(fact.error());
    return m_factSink(m_db, *fact);
}

Status Store::shareAuditHead(std::int64_t seq, std::string_view hash, std::string_view at) {
    if (!m_factSink) return {};
    return m_factSink(m_db, auditHeadFact(AuditHeadFact{m_kioskId, seq, std::string(hash), std::string(at)}));
}

} // namespace kiosk::store
