#include "sync/edfi/engine.hpp"

#include "sync/edfi/store.hpp"
#include "sync/transport/curl_transport.hpp"

#include <algorithm>
#include <cstdlib>

namespace edsync::edfi {

namespace {

// The last contact is shown to people and never needed for correctness: a
// save that fails (database busy or full) keeps the previous time, and the
// next pass saves again. So its result is dropped here, in one place.
void keepContact(Database& db, const ContactRecord& contact) { (void)saveContact(db, contact); }

// A week: a server that moved its endpoints since is found by the discovery
// GET of the first flight anyway (docs/edfi.md, "Discovery"); the limit only
// bounds how long a stale document can cost a wasted flight.
constexpr std::int64_t kKeptDiscoveryMs = 7LL * 24 * 3600 * 1000;
constexpr std::int64_t kDiscoveryResaveMs = 24LL * 3600 * 1000;

// The endpoints an earlier process discovered, when they were for this base
// URL and route and are recent.
std::optional<StoredDiscovery> keptDiscovery(Database& db, const SyncConfig& config, std::int64_t nowUnixMs) {
    auto kept = loadDiscovery(db);
    if (!kept || !*kept) return std::nullopt;
    const StoredDiscovery& d = **kept;
    if (d.baseUrl != config.baseUrl || d.route != config.route) return std::nullopt;
    if (nowUnixMs - d.savedUnixMs > kKeptDiscoveryMs || d.savedUnixMs > nowUnixMs + kDiscoveryResaveMs) return std::nullopt;
    // Only what discovery itself would have produced: URLs on the configured
    // origin (a bearer token goes to them before the document is read again).
    const Endpoints& e = d.endpoints;
    for (const std::string* url : {&e.oauthToken, &e.dataApi, &e.changeQueries}) {
        auto onOrigin = transport::onConfiguredOrigin(e.discovery, *url);
        if (!onOrigin || *onOrigin != *url) return std::nullopt;
    }
    if (!e.dataApi.ends_with('/') || !e.changeQueries.ends_with('/')) return std::nullopt;
    return d;
}

// Keeps what this process's session discovered for the next process, when
// it differs from what is kept or was kept a day ago. Best effort: a
// document not kept costs the next process one round trip, nothing more.
void keepDiscovery(Database& db, const SyncConfig& config, const Session& session, std::optional<StoredDiscovery>& kept,
                   std::int64_t nowUnixMs) {
    if (!session.discovered()) return;
    StoredDiscovery d{config.baseUrl, config.route, session.endpoints(), session.dataModelVersion(), nowUnixMs};
    if (kept && kept->endpoints == d.endpoints && kept->dataModelVersion == d.dataModelVersion &&
        nowUnixMs - kept->savedUnixMs < kDiscoveryResaveMs)
        return;
    if (saveDiscovery(db, d)) kept = std::move(d);
}

// Until the server's own document is read, the session works with the
// endpoints kept by an earlier process, or else the defaults (the token URL
// the ODS/API has always had): a cold start's token request need not wait
// for the discovery GET, which the drain's first flight asks.
void assumeEndpoints(Session& session, const std::optional<StoredDiscovery>& kept) {
    if (kept) session.assumeEndpoints(kept->endpoints, kept->dataModelVersion);
    else session.assumeEndpoints(session.endpoints(), {});
}

constexpr std::int64_t kRateWindowMs = 10'000;
constexpr std::int64_t kCountsRefreshMs = 500;
constexpr std::int64_t kDrainCountsRefreshMs = 2'000;
constexpr std::int64_t kContactSaveMs = 10'000;


// Records acknowledged over the last few seconds.
class DrainRate {
public:
    void add(std::int64_t steadyMs, int synced) {
        if (synced > 0) m_samples.emplace_back(steadyMs, synced);
        trim(steadyMs);
    }
    double perSecond(std::int64_t steadyMs) {
        trim(steadyMs);
        if (m_samples.empty()) return 0;
        std::int64_t total = 0;
        for (const auto& s : m_samples) total += s.second;
        std::int64_t span = std::clamp<std::int64_t>(steadyMs - m_samples.front().first, 1'000, kRateWindowMs);
        return static_cast<double>(total) * 1000.0 / static_cast<double>(span);
    }

private:
    void trim(std::int64_t now) {
        while (!m_samples.empty() && now - m_samples.front().first > kRateWindowMs) m_samples.pop_front();
    }
    std::deque<std::pair<std::int64_t, int>> m_samples;
};

} // namespace

std::string_view toString(SyncStatus::Connection connection) {
    switch (connection) {
    case SyncStatus::Connection::Unknown: return "not yet connected";
    case SyncStatus::Connection::Online: return "online";
    case SyncStatus::Connection::Offline: return "offline";
    case SyncStatus::Connection::AuthFailed: return "credentials refused";
    }
    return "?";
}

std::string_view toString(PassResult result) {
    switch (result) {
    case PassResult::AllSynced: return "all records synced";
    case PassResult::SomePending: return "some records still waiting";
    case PassResult::NeedsAttention: return "some records need attention";
    case PassResult::Offline: return "the server could not be reached";
    case PassResult::AuthFailure: return "the server refused the kiosk's credentials";
    case PassResult::Standby: return "another machine of the site uploads its records";
    case PassResult::TokensRefused: return "the state's server refuses more tokens for this client";
    case PassResult::DownloadFailed: return "the roster download failed";
    }
    return "?";
}

transport::TransportOptions SyncEngine::transportOptions(const SyncConfig& config) {
    transport::TransportOptions options;
    options.caBundle = config.caBundle;
    options.connectTimeout = config.connectTimeout;
    options.totalTimeout = config.requestTimeout;
    options.maxInFlight = std::max(1, config.concurrency);
    // Streams of one HTTP/2 connection cost the server little: start at 32 (a
    // round trip sooner to a full pipe than 8); over HTTP/1.1 at most 8
    // connections run, the rest wait their turn in the transport.
    options.initialInFlight = std::min(32, options.maxInFlight);
    options.maxConnections = std::min(8, options.maxInFlight);
    options.stallTimeout = config.stallTimeout;
    options.probeTimeout = config.probeTimeout;
    options.probeUrl = Endpoints::defaults(config.baseUrl).discovery;
    return options;
}

edsync::Result<std::unique_ptr<SyncEngine>, ApiError> SyncEngine::create(SyncConfig config, std::filesystem::path databaseFile,
                                                                          PullSink* sink) {
    auto curl = transport::CurlTransport::create(transportOptions(config));
    if (!curl) {
        ApiError e = fromTransport(curl.error());
        e.kind = ApiError::Kind::Refused;
        return fail(std::move(e));
    }
    auto http = std::make_unique<transport::CurlTransport>(std::move(*curl));
    return std::make_unique<SyncEngine>(std::move(config), std::move(databaseFile), sink, std::move(http));
}

SyncEngine::SyncEngine(SyncConfig config, std::filesystem::path databaseFile, PullSink* sink,
                       std::unique_ptr<transport::HttpClient> http, std::unique_ptr<Clock> clock)
    : m_config(std::move(config)), m_databaseFile(std::move(databaseFile)), m_sink(sink), m_http(std::move(http)),
      m_clock(clock ? std::move(clock) : std::make_unique<SystemClock>()) {
    if (m_config.concurrency < 1) m_config.concurrency = 1;
    if (m_config.batchSize < 1) m_config.batchSize = 16 * m_config.concurrency;
}

UploadOptions SyncEngine::uploadOptions() const {
    UploadOptions o;
    o.batchSize = m_config.batchSize;
    o.backoff = m_config.backoff;
    // Outcomes are saved in batches; one killed process resends at most this many (idempotent upserts).
    o.saveEvery = 4 * std::min(m_config.concurrency, 32);
    o.offlineAfter = std::min(8, m_config.concurrency);  // a run of requests failed with no answer, one after another
    o.onAcknowledged = m_config.onAcknowledged;
    o.onUnanswered = m_config.onUnanswered;
    return o;
}

SyncEngine::~SyncEngine() { stop(); }

edsync::Result<sqlite::Database, ApiError> SyncEngine::openDatabase() {
    if (!m_config.baseUrl.starts_with("https://"))
        return fail(ApiError{ApiError::Kind::Refused, std::nullopt, 0, "the server address must start with https://", std::nullopt});
    if (!isValidRoute(m_config.route))
        return fail(ApiError{ApiError::Kind::Refused, std::nullopt, 0, "the route must be up to 3 segments of letters, digits, - and _", std::nullopt});
    if (m_config.clientKey.empty() || m_config.clientSecret.empty())
        return fail(ApiError{ApiError::Kind::AuthRejected, std::nullopt, 0, "no client key or secret is configured", std::nullopt});
    auto db = sqlite::Database::open(m_databaseFile, m_config.durability);
    if (!db) return fail(databaseError(db.error()));
    // Outbox rows are keyed by a hash, so each row of a round sits on its own
    // page: SQLite's default 2 MB cache re-read most of them from the file on
    // every claim and acknowledgement. 16 MB keeps a large backlog's pages.
    if (auto s = db->exec("PRAGMA cache_size = -16384;"); !s) return fail(databaseError(s.error()));
    if (auto v = outbox::migrate(*db); !v) return fail(databaseError(v.error()));
    if (auto v = migrate(*db); !v) return fail(databaseError(v.error()));
    // Nothing is really in flight after a restart (or before a CLI pass).
    if (auto s = outbox::releaseInFlight(*db); !s) return fail(databaseError(s.error()));
    return std::move(*db);
}

edsync::Result<void, ApiError> SyncEngine::start() {
    if (m_thread.joinable()) return {};
    auto db = openDatabase();
    if (!db) return fail(db.error());
    {
        std::lock_guard lock(m_mutex);
        m_stop = false;
        m_status.running = true;
    }
    m_http->resume();
    m_thread = std::thread([this, database = std::move(*db)]() mutable { run(std::move(database)); });
    return {};
}

void SyncEngine::stop() {
    if (!m_thread.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_http->interrupt();
    m_thread.join();
    m_http->resume();
    updateStatus([](SyncStatus& s) { s.running = false; });
}

bool SyncEngine::running() const {
    std::lock_guard lock(m_mutex);
    return m_status.running;
}

void SyncEngine::wake() {
    {
        std::lock_guard lock(m_mutex);
        m_woken = true;
    }
    m_cv.notify_all();
}

void SyncEngine::syncNow() {
    {
        std::lock_guard lock(m_mutex);
        m_woken = true;
        m_urgent = true;
    }
    m_cv.notify_all();
}

void SyncEngine::requestPull() {
    {
        std::lock_guard lock(m_mutex);
        m_pullRequested = true;
        m_woken = true;
    }
    m_cv.notify_all();
}

SyncStatus SyncEngine::status() const {
    std::lock_guard lock(m_mutex);
    return m_status;
}

void SyncEngine::updateStatus(const std::function<void(SyncStatus&)>& change) {
    std::lock_guard lock(m_mutex);
    change(m_status);
}

// Returns false when stopping. New outbox work ends the wait only when
// `wakeOnNewWork`; while offline only syncNow()/stop() do.
bool SyncEngine::waitFor(std::chrono::milliseconds duration, bool wakeOnNewWork) {
    std::unique_lock lock(m_mutex);
    if (duration.count() > 0) {
        m_cv.wait_for(lock, duration, [&] { return m_stop || m_urgent || (wakeOnNewWork && (m_woken || m_pullRequested)); });
    }
    if (wakeOnNewWork) m_woken = false;
    return !m_stop;
}

void SyncEngine::run(sqlite::Database db) {
    const Clock& clock = *m_clock;
    std::random_device seeder;
    Session session(m_config.baseUrl, Credentials{m_config.clientKey, m_config.clientSecret}, *m_http, clock, m_config.backoff,
                    seeder());
    session.setRoute(m_config.route);
    session.setTokenStore(m_config.tokenStore.get());
    Uploader uploader(session, *m_http, clock, uploadOptions(), seeder());
    Puller puller(session, *m_http, m_config.pull);
    std::mt19937_64 rng(seeder());

    using Connection = SyncStatus::Connection;
    Connection connection = Connection::Unknown;
    int probeFailures = 0;
    std::int64_t probeAt = 0;  // steady ms
    int pullFailures = 0;
    std::int64_t nextPullAt = 0;  // steady ms
    std::int64_t countsRefreshedAt = -kCountsRefreshMs;
    std::int64_t countsCostMs = 0;  // what the last refresh took
    std::int64_t contactSavedAt = -kContactSaveMs;
    DrainRate rate;

    ContactRecord contact;
    if (auto c = loadContact(db)) contact = *c;
    std::optional<StoredDiscovery> keptEndpoints = keptDiscovery(db, m_config, clock.unixMs());
    assumeEndpoints(session, keptEndpoints);
    bool firstLook = true;
    updateStatus([&](SyncStatus& s) {
        s.lastContactUnixMs = contact.lastSuccessUnixMs;
        s.clockOffsetMs = contact.clockOffsetMs;
        s.clockWarning = contact.clockOffsetMs && std::llabs(*contact.clockOffsetMs) > kClockWarningMs;
        s.lastPullUnixMs = contact.lastPullUnixMs;
        s.dataModelVersion = contact.dataModelVersion;
    });

    auto setConnection = [&](Connection c, std::optional<std::string> cause) {
        connection = c;
        updateStatus([&](SyncStatus& s) {
            s.connection = c;
            if (cause) s.lastError = *cause;
        });
    };
    auto noteContact = [&](std::optional<std::int64_t> offset) {
        contact.lastSuccessUnixMs = clock.unixMs();
        if (offset) contact.clockOffsetMs = offset;
        if (!session.dataModelVersion().empty()) contact.dataModelVersion = session.dataModelVersion();
        updateStatus([&](SyncStatus& s) {
            s.lastContactUnixMs = contact.lastSuccessUnixMs;
            s.clockOffsetMs = contact.clockOffsetMs;
            s.clockWarning = contact.clockOffsetMs && std::llabs(*contact.clockOffsetMs) > kClockWarningMs;
            s.dataModelVersion = contact.dataModelVersion;
        });
        if (clock.steadyMs() - contactSavedAt >= kContactSaveMs) {
            contactSavedAt = clock.steadyMs();
            keepContact(db, contact);
        }
    };
    // The counts and the next due time read every waiting row: with a
    // backlog of 100,000 that takes longer than kCountsRefreshMs, and a drain
    // would spend much of its time refreshing the status screen. So spend at
    // most about a tenth of the time on it between drains, and a twentieth
    // during one (where the drain's own outcomes keep the counts current).
    auto refreshCounts = [&](bool force, std::int64_t minIntervalMs = kCountsRefreshMs, std::int64_t costFactor = 10) {
        std::int64_t now = clock.steadyMs();
        if (!force && now - countsRefreshedAt < std::max(minIntervalMs, costFactor * countsCostMs)) return;
        countsRefreshedAt = now;
        auto counts = outbox::counts(db);
        auto next = outbox::nextDueAt(db);
        countsCostMs = clock.steadyMs() - now;
        double perSecond = rate.perSecond(now);
        updateStatus([&](SyncStatus& s) {
            if (counts) s.counts = *counts;
            if (next) s.nextAttemptUnixMs = *next;
            s.drainRatePerSecond = perSecond;
        });
    };
    // `lookStartedAt`: when the look that went unanswered began (steady ms).
    auto unreachable = [&](Connection c, const ApiError& e, std::optional<std::int64_t> lookStartedAt = std::nullopt) {
        const std::int64_t now = clock.steadyMs();
        std::int64_t at = now + fullJitterDelayMs(c == Connection::Offline ? m_config.probeBackoff : m_config.backoff, probeFailures++, rng);
        // Silence (a timeout, a dead link) costs the server nothing: look again
        // soon, counted from when the last look began, so a look that waited
        // longer than that is followed at once. A refusal backs off as before.
        const BackoffPolicy link{m_config.linkProbeInterval, m_config.linkProbeInterval, m_config.linkProbeInterval / 4};
        if (c == Connection::Offline && e.curlCode == transport::kCurlTimedOut)
            at = std::min(at, lookStartedAt.value_or(now) + fullJitterDelayMs(link, 0, rng));
        if (e.retryAfterMs) at = std::max(at, now + *e.retryAfterMs);
        probeAt = at;
        setConnection(c, e.describe());
    };

    while (true) {
        bool urgent = false;
        bool pullRequested = false;
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) break;
            std::swap(urgent, m_urgent);
            pullRequested = m_pullRequested;
        }
        if (urgent) {
            session.clearBackoff();
            probeAt = 0;
        }
        refreshCounts(false);

        // 0. One machine of a site uploads: the lease holder, caught up with the site log.
        if (m_config.mayUpload && !m_config.mayUpload()) {
            updateStatus([&](SyncStatus& s) { s.standby = true; });
            if (!waitFor(std::chrono::milliseconds(1'000), true)) break;
            continue;
        }
        updateStatus([&](SyncStatus& s) { s.standby = false; });

        // 1. Not known to be online: look for the server (cheap, touches no record).
        if (connection != Connection::Online) {
            std::int64_t now = clock.steadyMs();
            if (now < probeAt) {
                if (!waitFor(std::chrono::milliseconds(probeAt - now), false)) break;
                continue;
            }
            // The look's connection request is given up soon if unanswered, so
            // while the link is dead each look sends a fresh SYN; with the
            // discovery and a token held, reaching the server is enough.
            const std::int64_t lookStartedAt = now;
            ApiResult<void> found;
            if (firstLook && session.endpointsProvisional() && !session.tokenAtHand()) {
                // The process's first look, when a token must be asked for
                // anyway, is that token request: a round trip sooner than the
                // discovery GET and then the token (the drain's first flight
                // confirms the endpoints). Only the first: a link that drops
                // answers must not cost a token per look (15 live per client).
                auto token = session.tokenAtAssumedEndpoints(transport::ConnectWait::Probe);
                if (!token && (token.error().kind == ApiError::Kind::Offline || token.error().kind == ApiError::Kind::Cancelled))
                    found = fail(token.error());
            } else {
                found = session.lookForServer();
            }
            firstLook = false;
            if (!found && found.error().kind == ApiError::Kind::Cancelled) break;
            if (!found && found.error().kind == ApiError::Kind::Offline) {
                unreachable(Connection::Offline, found.error(), lookStartedAt);
                continue;
            }
            // Any HTTP answer means the network is there; a token says we may talk.
            auto token = session.token();
            if (!token) {
                const ApiError& e = token.error();
                if (e.kind == ApiError::Kind::Cancelled) break;
                unreachable(e.kind == ApiError::Kind::Offline ? Connection::Offline
                            : e.kind == ApiError::Kind::AuthRejected ? Connection::AuthFailed
                                                                     : connection == Connection::Unknown ? Connection::Offline
                                                                                                         : connection,
                            e);
                continue;
            }
            probeFailures = 0;
            noteContact(std::nullopt);
            keepDiscovery(db, m_config, session, keptEndpoints, clock.unixMs());
            setConnection(Connection::Online, std::string());  // the outage's cause is history now
            // The network is back: what waited on a connectivity backoff goes now
            // (if this write fails they go at their own retry time: later, not lost).
            (void)outbox::expediteNoResponseRetries(db, clock.unixMs());
        }

        // 2. Upload: stream every due row; the status follows each save.
        int seenSynced = 0;
        int seenAttention = 0;
        int seenAnswered = 0;
        auto account = [&](const RoundStats& total) {
            const int synced = total.synced - seenSynced;
            const int attention = total.attention - seenAttention;
            seenSynced = total.synced;
            seenAttention = total.attention;
            const std::int64_t now = clock.steadyMs();
            rate.add(now, synced);
            if (total.answered > seenAnswered) noteContact(total.clockOffsetMs);
            seenAnswered = total.answered;
            const double perSecond = rate.perSecond(now);
            updateStatus([&](SyncStatus& s) {
                // What this drain settled, until the next full count.
                s.counts.synced += synced;
                s.counts.needsAttention += attention;
                s.counts.pending = std::max<std::int64_t>(0, s.counts.pending - synced - attention);
                s.drainRatePerSecond = perSecond;
                if (total.lastCause) s.lastError = *total.lastCause;
            });
            refreshCounts(false, kDrainCountsRefreshMs, 20);
        };
        DrainOptions drainOptions;
        drainOptions.onSaved = account;
        auto round = uploader.drain(db, drainOptions);
        if (!round) {
            const ApiError& e = round.error();
            if (e.kind == ApiError::Kind::Cancelled) break;
            if (e.kind == ApiError::Kind::Database) {
                updateStatus([&](SyncStatus& s) { s.lastError = e.describe(); });
                if (!waitFor(std::chrono::milliseconds(fullJitterDelayMs(m_config.probeBackoff, 2, rng)), true)) break;
                continue;
            }
            unreachable(e.kind == ApiError::Kind::AuthRejected ? Connection::AuthFailed : Connection::Offline, e);
            continue;
        }
        account(*round);
        keepDiscovery(db, m_config, session, keptEndpoints, clock.unixMs());  // the drain may have confirmed assumed endpoints
        if (round->offline()) {
            unreachable(Connection::Offline, ApiError{ApiError::Kind::Offline, std::nullopt,
                                                      round->linkDown ? transport::kCurlTimedOut : 0, round->lastCause.value_or(""), std::nullopt});
            continue;
        }
        if (round->cancelled) continue;  // stop() or an interrupt: the top of the loop decides

        // 3. Pull reference data when due (after the backlog, never instead of it).
        if (m_sink && !m_config.pullResources.empty() && (pullRequested || clock.steadyMs() >= nextPullAt)) {
            {
                std::lock_guard lock(m_mutex);
                m_pullRequested = false;
            }
            auto pulled = puller.pull(db, m_config.pullResources, *m_sink);
            std::optional<ApiError> problem;
            if (!pulled) problem = pulled.error();
            else if (pulled->stoppedBy) problem = pulled->stoppedBy;
            else
                for (const ResourcePull& r : pulled->resources)
                    if (r.error) problem = r.error;
            if (problem && problem->kind == ApiError::Kind::Cancelled) break;
            if (!problem) {
                pullFailures = 0;
                nextPullAt = clock.steadyMs() + m_config.pullInterval.count();
                contact.lastPullUnixMs = clock.unixMs();
                keepContact(db, contact);
                updateStatus([&](SyncStatus& s) { s.lastPullUnixMs = contact.lastPullUnixMs; });
            } else {
                nextPullAt = clock.steadyMs() + fullJitterDelayMs(m_config.backoff, pullFailures++, rng);
                if (problem->kind == ApiError::Kind::Offline) {
                    unreachable(Connection::Offline, *problem);
                    continue;
                }
                if (problem->kind == ApiError::Kind::AuthRejected) {
                    unreachable(Connection::AuthFailed, *problem);
                    continue;
                }
                std::string cause = "download: " + problem->describe();
                updateStatus([&](SyncStatus& s) { s.lastError = cause; });
            }
        }

        // 4. Sleep until the earliest retry time, the next pull, or wake().
        refreshCounts(true);
        std::int64_t sleepMs = m_config.idleRecheck.count();
        if (auto next = outbox::nextDueAt(db); next && *next) sleepMs = std::min(sleepMs, std::max<std::int64_t>(0, **next - clock.unixMs()));
        if (m_sink && !m_config.pullResources.empty()) sleepMs = std::min(sleepMs, std::max<std::int64_t>(0, nextPullAt - clock.steadyMs()));
        if (!waitFor(std::chrono::milliseconds(sleepMs), true)) break;
    }

    // Unfinished claims go back to the queue (the uploader already returned
    // what it had not sent); every outcome was saved before the drain returned.
    // A failure leaves rows in flight, which the next start releases anyway.
    (void)outbox::releaseInFlight(db);
    keepContact(db, contact);
    refreshCounts(true);
}

PassReport SyncEngine::runOnePass(const PassProgressFn& progress) {
    PassReport report;
    if (m_thread.joinable()) {
        report.message = "the sync worker is running; stop it before a manual pass";
        return report;
    }
    auto db = openDatabase();
    if (!db) {
        report.result = db.error().kind == ApiError::Kind::AuthRejected ? PassResult::AuthFailure : PassResult::SomePending;
        report.message = db.error().describe();
        return report;
    }
    const Clock& clock = *m_clock;
    std::random_device seeder;
    if (m_config.mayUpload && !m_config.mayUpload()) {
        // A partial picture never goes to the state: the site's uploader sends the union.
        if (auto counts = outbox::counts(*db)) report.counts = *counts;
        report.result = PassResult::Standby;
        report.message = "another machine of the site holds the uploader lease, or this kiosk has not caught up with the site log";
        return report;
    }
    m_http->resume();
    Session session(m_config.baseUrl, Credentials{m_config.clientKey, m_config.clientSecret}, *m_http, clock, m_config.backoff,
                    seeder());
    session.setRoute(m_config.route);
    session.setTokenStore(m_config.tokenStore.get());
    Uploader uploader(session, *m_http, clock, uploadOptions(), seeder());
    Puller puller(session, *m_http, m_config.pull);
    PassProgress p;
    auto tell = [&] {
        if (progress) progress(p);
    };
    std::optional<StoredDiscovery> keptEndpoints = keptDiscovery(*db, m_config, clock.unixMs());
    auto finish = [&](std::optional<PassResult> forced, std::string message) {
        keepDiscovery(*db, m_config, session, keptEndpoints, clock.unixMs());
        if (auto counts = outbox::counts(*db)) report.counts = *counts;
        if (forced) report.result = *forced;
        else if (report.counts.needsAttention > 0) report.result = PassResult::NeedsAttention;
        else if (report.counts.pending > 0) report.result = PassResult::SomePending;
        else report.result = PassResult::AllSynced;
        if (message.empty() && report.result == PassResult::NeedsAttention)
            message = std::to_string(report.counts.needsAttention) + " record(s) were refused by the server";
        if (message.empty() && report.result == PassResult::SomePending)
            message = std::to_string(report.counts.pending) + " record(s) wait for a later retry";
        report.message = std::move(message);
        p.phase = PassProgress::Phase::Done;
        tell();
        return report;
    };
    auto failureResult = [](const ApiError& e) {
        switch (e.kind) {
        case ApiError::Kind::Offline:
        case ApiError::Kind::Cancelled: return PassResult::Offline;
        case ApiError::Kind::AuthRejected: return PassResult::AuthFailure;
        default: return e.tokenLimit ? PassResult::TokensRefused : PassResult::SomePending;
        }
    };
    // A download that failed for its own reasons (not the network, not the
    // credentials, not the token limit) says so, whatever the uploads did.
    auto downloadResult = [&](const ApiError& e) {
        PassResult r = failureResult(e);
        return r == PassResult::SomePending ? PassResult::DownloadFailed : r;
    };

    p.phase = PassProgress::Phase::Connecting;
    tell();
    // Nothing waits for the discovery GET: the endpoints an earlier process
    // discovered, or else the defaults, are assumed, and the drain's first
    // flight confirms them (docs/edfi.md, "Discovery").
    assumeEndpoints(session, keptEndpoints);
    auto token = session.tokenAtAssumedEndpoints();
    if (!token) return finish(failureResult(token.error()), token.error().describe());
    // Best effort: on failure those rows go at their own retry time, later, not lost.
    (void)outbox::expediteNoResponseRetries(*db, clock.unixMs());
    ContactRecord contact;
    if (auto c = loadContact(*db)) contact = *c;
    contact.lastSuccessUnixMs = clock.unixMs();
    // The version is the confirmed document's (assumed endpoints may have none yet).
    auto keepPassContact = [&] {
        if (!session.dataModelVersion().empty()) contact.dataModelVersion = session.dataModelVersion();
        keepContact(*db, contact);
    };

    // Everything due when the pass began; rows retried during the pass wait for the worker.
    const std::int64_t passStart = clock.unixMs();
    p.phase = PassProgress::Phase::Uploading;
    std::optional<std::string> lastCause;
    RoundStats before;  // totals of the drains already finished
    auto account = [&](const RoundStats& total) {
        p.sent = before.claimed + total.claimed;
        p.synced = before.synced + total.synced;
        p.retried = before.retried + total.retried;
        p.attention = before.attention + total.attention;
        report.sent = p.sent;
        report.synced = p.synced;
        report.retried = p.retried;
        report.attention = p.attention;
        if (total.lastCause) lastCause = total.lastCause;
        if (total.clockOffsetMs) contact.clockOffsetMs = total.clockOffsetMs;
        if (total.claimed > 0) tell();
    };
    DrainOptions drainOptions;
    drainOptions.dueByUnixMs = passStart;
    drainOptions.onSaved = account;
    for (;;) {
        auto round = uploader.drain(*db, drainOptions);
        if (!round) {
            keepPassContact();
            return finish(failureResult(round.error()), round.error().describe());
        }
        account(*round);
        before.claimed += round->claimed;
        before.synced += round->synced;
        before.retried += round->retried;
        before.attention += round->attention;
        if (round->offline()) {
            keepPassContact();
            return finish(PassResult::Offline, round->lastCause.value_or("the server stopped answering"));
        }
        // A drain ends when nothing more is due; another one only says why
        // (e.g. a token refused after a drain that stopped on a second 401).
        if (round->claimed == 0 || round->cancelled) break;
    }

    if (m_sink && !m_config.pullResources.empty()) {
        p.phase = PassProgress::Phase::Downloading;
        tell();
        auto pulled = puller.pull(*db, m_config.pullResources, *m_sink, [&](const PullProgress& pp) {
            p.resource = pp.resource;
            p.downloaded = pp.itemsSoFar;
            tell();
        });
        p.resource = {};
        if (!pulled) {
            keepPassContact();
            return finish(downloadResult(pulled.error()), "download: " + pulled.error().describe());
        }
        report.pull = *pulled;
        if (pulled->complete()) {
            contact.lastPullUnixMs = clock.unixMs();
        } else {
            keepPassContact();
            std::optional<ApiError> problem = pulled->stoppedBy;
            for (const ResourcePull& r : pulled->resources)
                if (!problem && r.error) problem = r.error;
            PassResult forced = problem ? downloadResult(*problem) : PassResult::DownloadFailed;
            return finish(forced, problem ? "download: " + problem->describe() : std::string("download incomplete"));
        }
    }
    keepPassContact();
    return finish(std::nullopt, lastCause.value_or(""));
}

} // namespace edsync::edfi
