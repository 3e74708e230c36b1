#include "kiosk/app/sync_wiring.hpp"

#include "kiosk/domain/hlc.hpp"
#include "kiosk/store/site_facts.hpp"
#include "sync/edfi/token_file.hpp"
#include "sync/site/site_store.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

namespace kiosk::app {

bool SyncSetup::start() {
    if (site.link) {
        site.link->setWantLease(true);
        site.link->start();
    }
    if (!engine) return false;
    if (auto started = engine->start(); !started) {
        error = started.error().describe();
        return false;
    }
    return true;
}

SyncSetup::~SyncSetup() {
    if (site.link) site.link->stop();
}

void SyncSetup::wake() {
    if (site.link) site.link->notify();
    if (engine) engine->wake();
}

SyncSetup makeSyncEngine(const KioskConfig& config, const std::filesystem::path& databaseFile, const std::string& kioskId) {
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
    cfg.route = config.state->route;
    cfg.tokenStore = makeTokenStore(databaseFile);
    cfg.pull.fullResyncIntervalMs = static_cast<std::int64_t>(config.state->fullResyncHours) * 3600 * 1000;
    if (config.state->maxInFlight) cfg.concurrency = *config.state->maxInFlight;
    cfg.pullResources = rosterPullResources();
    if (config.hub) {
        setup.site = makeSiteLink(config, databaseFile, kioskId);
        if (!setup.site.link) {
            setup.error = setup.site.error;
            return setup;
        }
        // Only the lease holder uploads, and only once it holds the site's whole picture.
        cfg.mayUpload = [link = setup.site.link.get()] {
            auto st = link->status();
            return st.holdsLease && st.connected && st.consumerPending == 0 && st.unpublished == 0;
        };
        // What reached the state goes on the site log with the acknowledgement,
        // so the next lease holder neither sends it again nor writes unguarded.
        // Each is stamped above every acknowledgement of the record seen here,
        // and by a clock that follows the wall time: one from an uploader that
        // lost the lease, reaching the log late, sorts below its successor's.
        struct AckClock {
            std::mutex mutex;
            domain::HlcClock hlc;
        };
        auto clock = std::make_shared<AckClock>();
        auto share = [kioskId, clock](edsync::sqlite::Database& db, const edsync::outbox::Claim& claim, std::string_view resourceId,
                                      std::string_view etag, bool unanswered) -> edsync::sqlite::Status {
            auto known = edsync::outbox::ackOrder(db, claim.resource, claim.naturalKey);
            if (!known) return edsync::fail(known.error());
            const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
            const domain::Hlc floor = domain::parseHlc(*known).value_or(domain::Hlc{});
            std::string order;
            {
                std::lock_guard lock(clock->mutex);
                order = domain::encodeHlc(clock->hlc.tickAbove(std::clamp<std::int64_t>(now, 0, domain::kHlcMaxWallMs), floor));
            }
            if (auto s = edsync::outbox::setAckOrder(db, claim.resource, claim.naturalKey, order); !s) return s;
            store::AckFact ack{{}, kioskId, claim.resource, claim.naturalKey, claim.json, std::string(resourceId), std::string(etag),
                               claim.op == edsync::outbox::Op::Delete, order};
            ack.unanswered = unanswered;
            auto fact = store::ackFact(ack);
            if (!fact) return {};  // too large to share: the next uploader looks the record up first
            if (auto queued = edsync::site::enqueue(db, fact->eventId, fact->subject, fact->json); !queued)
                return edsync::fail(queued.error());
            if (unanswered) return edsync::outbox::setUnansweredOrder(db, claim.resource, claim.naturalKey, order);
            return {};
        };
        cfg.onAcknowledged = [share](edsync::sqlite::Database& db, const edsync::outbox::Claim& claim, std::string_view resourceId,
                                     std::string_view etag) { return share(db, claim, resourceId, etag, false); };
        // A write (or a deletion) whose answer was lost may have reached the
        // state: shared too, so that the next holder of the lease, should it
        // move, takes it for the site's own and makes the state hold the
        // site's picture.
        cfg.onUnanswered = [share](edsync::sqlite::Database& db, const edsync::outbox::Claim& claim) {
            return share(db, claim, {}, {}, true);
        };
    }
    setup.sink = std::make_unique<EdfiRosterSink>();
    // The uploader reads the state for the whole site: what it downloads goes to the other machines.
    if (config.hub) setup.sink->setShare(rosterShareFor(config, kioskId));
    auto engine = edsync::edfi::SyncEngine::create(cfg, databaseFile, setup.sink.get());
    if (!engine) {
        setup.error = "cannot set up sync: " + engine.error().message;
        return setup;
    }
    setup.engine = std::move(*engine);
    // Facts from other machines change this outbox too (a no-show, a correction):
    // the uploader sends them now, not at its next idle look.
    if (setup.site.link) *setup.site.afterApplied = [e = setup.engine.get()] { e->wake(); };
    return setup;
}

service::SyncSummary summarise(const edsync::edfi::SyncStatus& s) {
    using C = edsync::edfi::SyncStatus::Connection;
    service::SyncSummary out;
    switch (s.connection) {
    case C::Unknown: out.connection = service::SyncSummary::Connection::Connecting; break;
    case C::Online: out.connection = service::SyncSummary::Connection::Online; break;
    case C::Offline: out.connection = service::SyncSummary::Connection::Offline; break;
    case C::AuthFailed: out.connection = service::SyncSummary::Connection::CredentialsRefused; break;
    }
    if (s.lastContactUnixMs) out.lastContact = domain::Timestamp{std::chrono::milliseconds{*s.lastContactUnixMs}};
    if (s.clockOffsetMs) out.clockOffsetSeconds = *s.clockOffsetMs / 1000;
    out.clockWarning = s.clockWarning;
    out.ratePerSecond = s.drainRatePerSecond;
    service::countInto(out, service::tally(s.counts));
    if (out.ratePerSecond > 0.1 && out.waiting > 0) out.secondsLeft = static_cast<std::int64_t>(static_cast<double>(out.waiting) / out.ratePerSecond) + 1;
    out.lastError = s.lastError;
    return out;
}

std::filesystem::path tokenFile(const std::filesystem::path& databaseFile) { return databaseFile.parent_path() / "state-token.json"; }

std::shared_ptr<edsync::edfi::TokenStore> makeTokenStore(const std::filesystem::path& databaseFile) {
    return std::make_shared<edsync::edfi::FileTokenStore>(tokenFile(databaseFile));
}

} // namespace kiosk::app
