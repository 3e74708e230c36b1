#pragma once
// Builds the sync engine from the site configuration: credentials read from
// their 0600 file, the optional pinned CA, the roster resources to pull, and
// the kiosk's roster sink.
#include "kiosk/app/config.hpp"
#include "kiosk/app/site_wiring.hpp"
#include "kiosk/app/edfi_roster_sink.hpp"
#include "kiosk/service/sync_view.hpp"
#include "sync/edfi/engine.hpp"

#include <memory>
#include <string>

namespace kiosk::app {

struct SyncSetup {
    std::unique_ptr<EdfiRosterSink> sink;  // outlives the engine (declared first)
    SiteSetup site;                               // a site with a hub: the link the engine's gate asks (outlives it)
    std::unique_ptr<edsync::edfi::SyncEngine> engine;
    std::string error;  // why there is no engine (not configured, bad credentials ...)

    SyncSetup() = default;
    SyncSetup(SyncSetup&&) = default;
    SyncSetup& operator=(SyncSetup&&) = default;
    ~SyncSetup();  // stops the link before the engine goes: its thread wakes the engine

    // Starts the site link (if any) and the engine; false with `error` set on failure.
    bool start();
    // After a local commit: publish to the site and upload now.
    void wake();
};

// On a site with a hub the engine uploads only while this machine holds the
// site's uploader lease and has caught up with the site log.
SyncSetup makeSyncEngine(const KioskConfig& config, const std::filesystem::path& databaseFile, const std::string& kioskId = {});

// The engine's status as the proctor reads it (the services know no engine).
service::SyncSummary summarise(const edsync::edfi::SyncStatus& status);

// The file every process of this kiosk keeps the state's token in (beside
// the database, 0600): one token per kiosk, not one per process.
std::filesystem::path tokenFile(const std::filesystem::path& databaseFile);
std::shared_ptr<edsync::edfi::TokenStore> makeTokenStore(const std::filesystem::path& databaseFile);

} // namespace kiosk::app
