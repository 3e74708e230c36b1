#pragma once
// Joins this kiosk to its site's event log (docs/architecture.md, "One site,
// many machines"): the store publishes every committed fact through the site
// log's outbox, and a SiteLink publishes them to the hub and applies the rest
// of the site's facts to this kiosk's store.
#include "kiosk/app/config.hpp"
#include "kiosk/app/site_key.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/store.hpp"
#include "sync/site/site_link.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kiosk::app {

// The hub's one user and its password, derived from the site key, so every
// machine holding the site key can join and nothing else needs to be copied.
inline constexpr const char* kHubUser = "site";
std::string hubPassword(const SiteKey& key);

// Makes `store` hand every committed fact to the site log's publish outbox
// (a table in the same database, written in the action's own transaction),
// and every roster it imports. Called on every process that writes to a
// kiosk of a site with a hub.
void publishToSite(store::Store& store, const KioskConfig& config);

// How a roster change (an import, the state's download) reaches the other
// machines; sign-in factors sealed with a key derived from the site key
// (none when the key cannot be read: they stay on this machine).
store::RosterShare rosterShareFor(const KioskConfig& config, const std::string& kioskId);
// The key that opens the factors another machine shared (the same derivation).
std::optional<store::Database::SealingKey> siteCredentialSeal(const KioskConfig& config);

// How this kiosk reaches its site's hub, from the config and the site key.
std::optional<edsync::site::SiteLogConfig> siteLogConfig(const KioskConfig& config, const std::string& kioskId, std::string& error);

struct SiteSetup {
    std::unique_ptr<edsync::site::SiteLink> link;
    std::shared_ptr<std::atomic<std::uint64_t>> applied;  // bumps when another machine's fact changed the store
    // Called on the link's consumer thread after a fetch applied facts (set
    // before start()): the uploader looks at what they changed at once.
    std::shared_ptr<std::function<void()>> afterApplied = std::make_shared<std::function<void()>>();
    std::string error;                                    // why there is no link
};

// The link for the process that runs this kiosk's sync (the sync lock
// holder). `kioskId` is the store's. Does not start it.
SiteSetup makeSiteLink(const KioskConfig& config, const std::filesystem::path& databaseFile, const std::string& kioskId);

} // namespace kiosk::app
