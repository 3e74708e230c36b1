#pragma once
// The kiosk's database: opened, migrated, and identified (kiosk id, site).
#include "kiosk/domain/hlc.hpp"
#include "sync/sqlite/database.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kiosk::store {

using edsync::sqlite::Database;
using edsync::sqlite::Error;
using edsync::sqlite::Result;
using edsync::sqlite::Status;

struct SiteFact;      // site_facts.hpp
struct RosterChange;  // roster_facts.hpp

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

    // This kiosk's hybrid logical clock (docs/architecture.md, "One site,
    // many machines"): the next stamp for a local event at `now`, and the
    // stamps of events received from other machines, so that anything
    // recorded here afterwards sorts after what this kiosk has seen.
    std::string nextHlc(std::int64_t nowUnixMs);
    void observeHlc(std::string_view remote);

    // Where this kiosk's committed facts go for the rest of the site (the
    // site log's publish outbox), inside the writer's transaction. Unset on a
    // kiosk without a site log: it publishes nothing.
    using FactSink = std::function<Status(Database&, const SiteFact&)>;
    void setFactSink(FactSink sink) { m_factSink = std::move(sink); }
    // Within the writer's transaction, after the event row was written.
    Status shareAttendanceFact(std::string_view eventId);
    Status shareWorkFact(std::string_view eventId);
    // The audit chain's new head, for the hub to keep (site_facts.hpp).
    Status shareAuditHead(std::int64_t seq, std::string_view hash, std::string_view at);
    // Where an imported roster goes for the rest of the site (roster_facts.hpp).
    using RosterShare = std::function<Status(Database&, const RosterChange&)>;
    void setRosterShare(RosterShare share) { m_rosterShare = std::move(share); }
    const RosterShare& rosterShare() const { return m_rosterShare; }

private:
    explicit Store(Database db) : m_db(std::move(db)) {}
    Status initialise();
    Status readIdentity();

    Database m_db;
    std::string m_kioskId;
    std::string m_siteId;
    std::string m_siteName;
    int m_schemaVersion = 0;
    FactSink m_factSink;
    RosterShare m_rosterShare;
    domain::HlcClock m_hlc;
};

Result<std::optional<std::string>> getMeta(Database& db, std::string_view key);
Status setMeta(Database& db, std::string_view key, std::string_view value);
Status deleteMeta(Database& db, std::string_view key);

// Set by loadDemo once it gave the demo proctor the documented PIN; any
// roster written or credential set afterwards removes it, so the sign-in
// screens name the README's demo sign-ins only while they still hold.
inline constexpr std::string_view kDemoCredentialsMeta = "demo_credentials";

} // namespace kiosk::store
