#include "kiosk/app/sync_wiring.hpp"

namespace kiosk::app {

SyncSetup makeSyncEngine(const KioskConfig& config, const std::filesystem::path& databaseFile) {
    SyncSetup setup;
    if (!config.state) {
        setup.error = "not enrolled: no [state] section in " + config.source.string();
        return setup;
    }
    std::string error;
    auto creds = readCredentials(config.state->credentialsFile, error);
    if (!creds) {
        setup.error = error;
        return setup;
    }
    edsync::edfi::SyncConfig cfg;
    cfg.baseUrl = config.state->baseUrl;
    cfg.clientKey = creds->key;
    cfg.clientSecret = creds->secret;
    cfg.caBundle = config.state->caBundle;
    if (config.state->maxInFlight) cfg.concurrency = *config.state->maxInFlight;
    cfg.pullResources = store::rosterPullResources();
    setup.sink = std::make_unique<store::EdfiRosterSink>();
    auto engine = edsync::edfi::SyncEngine::create(cfg, databaseFile, setup.sink.get());
    if (!engine) {
        setup.error = "cannot set up sync: " + engine.error().message;
        return setup;
    }
    setup.engine = std::move(*engine);
    return setup;
}

} // namespace kiosk::app
