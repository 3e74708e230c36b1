#pragma once
// The kiosk's database: opened, migrated, and identified (kiosk id, site).
#include "sync/sqlite/database.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace kiosk::store {

using edsync::sqlite::Database;
using edsync::sqlite::Error;
using edsync::sqlite::Result;
using edsync::sqlite::Status;

class Store {
public:
    // Opens or creates `file` (0600), applies migrations, and gives the
    // kiosk a stable identity on first use. A damaged store (store_health.hpp)
    // is refused before anything is written: a damaged() error that names the
    // file and the problem.
    static Result<Store> open(const std::filesystem::path& file);
    // Reads an existing store without writing anything anywhere (a read-only
    // or full disk): the same health checks, no migration, no identity made.
    static Result<Store> openReadOnly(const std::filesystem::path& file);
    static Result<Store> openInMemory();

    Database& db() { return m_db; }
    const std::string& kioskId() const { return m_kioskId; }
    const std::string& siteId() const { return m_siteId; }
    const std::string& siteName() const { return m_siteName; }
    int schemaVersion() const { return m_schemaVersion; }

    Status setSite(const std::string& siteId, const std::string& siteName);

    // Within a transaction: the next per-kiosk sequence number.
    Result<std::int64_t> nextSeq();

private:
    explicit Store(Database db) : m_db(std::move(db)) {}
    Status initialise();
    Status readIdentity();

    Database m_db;
    std::string m_kioskId;
    std::string m_siteId;
    std::string m_siteName;
    int m_schemaVersion = 0;
};

Result<std::optional<std::string>> getMeta(Database& db, std::string_view key);
Status setMeta(Database& db, std::string_view key, std::string_view value);

} // namespace kiosk::store
