#include "kiosk/app/site_wiring.hpp"

#include "kiosk/app/credential_key.hpp"

#include "kiosk/service/site_apply.hpp"
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/site/site_store.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <array>
#include <mutex>
#include <optional>

namespace kiosk::app {

namespace {

constexpr char kHubKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "TSKHUB01";
constexpr char kCredentialKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "TSKCRED1";

std::filesystem::path siteKeyFile(const KioskConfig& config) {
    return config.site && config.site->keyFile ? *config.site->keyFile : config.source.parent_path() / "site.key";
}

store::Status enqueueFact(store::Database& db, const store::SiteFact& fact) {
    auto queued = edsync::site::enqueue(db, fact.eventId, fact.subject, fact.json);
    if (!queued) return edsync::fail(queued.error());
    return {};
}

// Everything the consumer thread needs, owned by its callback: its own
// connection to the kiosk's database (the site link's consumer runs its
// batch transactions on it too) and the applier on it.
struct ApplyContext {
    store::Store store;
    std::optional<store::CatalogueDocument> catalogue;
    std::optional<std::string> catalogueText;
    std::shared_ptr<std::atomic<std::uint64_t>> applied;
    std::unique_ptr<service::SiteApplier> applier;

    ApplyContext(store::Store s, std::optional<store::Database::SealingKey> siteSeal) : store(std::move(s)) {
        applier = std::make_unique<service::SiteApplier>(
            store, [this]() -> const store::CatalogueDocument* { return currentCatalogue(); }, siteSeal);
    }
    // The catalogue may arrive or change while the link runs.
    const store::CatalogueDocument* currentCatalogue() {
        auto saved = store::savedCatalogue(store.db());
        if (!saved || !*saved) return catalogue ? &*catalogue : nullptr;
        if (!catalogueText || *catalogueText != **saved) {
            auto loaded = store::parseCatalogue(**saved);
            if (loaded.document) {
                catalogue = std::move(loaded.document);
                catalogueText = **saved;
            }
        }
        return catalogue ? &*catalogue : nullptr;
    }
};

} // namespace

std::string hubPassword(const SiteKey& key) {
    std::array<unsigned char, 32> sub{};
    crypto_kdf_derive_from_key(sub.data(), sub.size(), 1, kHubKdfContext, key.bytes.data());
    std::array<char, 65> hex{};
    sodium_bin2hex(hex.data(), hex.size(), sub.data(), sub.size());
    sodium_memzero(sub.data(), sub.size());
    return std::string(hex.data());
}

std::optional<store::Database::SealingKey> siteCredentialSeal(const KioskConfig& config) {
    std::string why;
    auto key = readSiteKey(siteKeyFile(config), why);
    if (!key) return std::nullopt;
    store::Database::SealingKey seal{};
    crypto_kdf_derive_from_key(seal.data(), seal.size(), 1, kCredentialKdfContext, key->bytes.data());
    return seal;
}

store::RosterShare rosterShareFor(const KioskConfig& config, const std::string& kioskId) {
    store::RosterShareSetup setup;
    setup.kioskId = kioskId;
    setup.siteId = config.site ? config.site->id : std::string();
    setup.siteSeal = siteCredentialSeal(config);
    setup.sink = enqueueFact;
    return store::makeRosterShare(std::move(setup));
}

void publishToSite(store::Store& store, const KioskConfig& config) {
    store.setFactSink(enqueueFact);
    store.setRosterShare(rosterShareFor(config, store.kioskId()));
}

std::optional<edsync::site::SiteLogConfig> siteLogConfig(const KioskConfig& config, const std::string& kioskId, std::string& error) {
    if (!config.hub) {
        error = "no site hub configured (a site of one machine)";
        return std::nullopt;
    }
    if (!config.site) {
        error = "[hub] needs a [site] section";
        return std::nullopt;
    }
    std::string why;
    auto key = readSiteKey(siteKeyFile(config), why);
    if (!key) {
        error = "cannot join the site hub: " + why;
        return std::nullopt;
    }
    edsync::site::SiteLogConfig cfg;
    cfg.servers = config.hub->servers;
    if (config.hub->caFile) cfg.caFile = config.hub->caFile->string();
    cfg.user = kHubUser;
    cfg.password = hubPassword(*key);
    cfg.siteId = config.site->id;
    cfg.kioskId = kioskId;
    return cfg;
}

SiteSetup makeSiteLink(const KioskConfig& config, const std::filesystem::path& databaseFile, const std::string& kioskId) {
    SiteSetup setup;
    auto cfg = siteLogConfig(config, kioskId, setup.error);
    if (!cfg) return setup;

    auto store = store::Store::open(databaseFile);
    if (!store) {
        setup.error = "cannot open the store for the site link: " + store.error().describe();
        return setup;
    }
    // Credentials written here are sealed as the kiosk's own are; a key that
    // cannot be had is reported by the kiosk's own start, not again here.
    std::string keyError;
    attachCredentialKey(*store, keyError, false);
    // What this connection writes (facts from the hub, their projections and
    // the cursor, together) can be redone: a power cut can lose only a tail
    // of applied facts, and the hub delivers them again. NORMAL spares an
    // fsync per fact, which is what a fresh kiosk's catch-up waits on.
    if (auto s = store->db().exec("PRAGMA synchronous = NORMAL;"); !s) {
        setup.error = "cannot set up the site link's connection: " + s.error().describe();
        return setup;
    }
    auto ctx = std::make_shared<ApplyContext>(std::move(*store), siteCredentialSeal(config));
    setup.applied = std::make_shared<std::atomic<std::uint64_t>>(0);
    ctx->applied = setup.applied;
    // Runs on the link's consumer thread only: the context is that thread's.
    // A whole fetched batch is applied in one transaction on the applier's
    // own connection (a savepoint a fact, the cursor marked with it): a fresh
    // kiosk catching up with a site's day pays one commit a batch, not one a fact.
    auto apply = [ctx](edsync::site::Database&, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        auto out = ctx->applier->applyWithin(m.payload);
        if (!out.ok()) return edsync::fail("site fact not applied: " + out.detail);
        if (out.what == service::ApplyOutcome::What::Applied) ctx->applied->fetch_add(1);
        return {};
    };
    auto link = edsync::site::SiteLink::create(*cfg, databaseFile, ctx->store.db(), apply, edsync::site::ApplyMode::BatchTransaction);
    if (!link) {
        setup.error = "cannot set up the site link: " + link.error();
        return setup;
    }
    // Facts parked for want of one just applied follow, outside the batch.
    (*link)->setAfterApplied([ctx, then = setup.afterApplied] {
        ctx->applier->retryParked();
        if (*then) (*then)();
    });
    setup.link = std::move(*link);
    // What the other machines and `testsite-kioskctl site` see of this one.
    setup.link->setAnnouncement(nlohmann::json{{"name", config.kioskName}}.dump());
    return setup;
}

} // namespace kiosk::app
