#include "sync/site/site_link.hpp"

#include "sync/site/connection.hpp"
#include "sync/site/lease.hpp"
#include "sync/site/nats_handles.hpp"
#include "sync/site/publisher.hpp"
#include "sync/site/site_store.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace edsync::site {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct SiteLink::Impl {
    SiteLogConfig config;
    ApplyFn apply;
    ApplyMode mode = ApplyMode::CallbackTransaction;
    std::optional<Database> pubDb;
    std::optional<Database> ownConDb;
    Database* conDb = nullptr;  // ownConDb's, or the caller's (create with a consumer connection)
    std::function<void()> afterApplied;

    mutable std::mutex mutex;
    std::condition_variable wake;      // the publisher thread
    std::condition_variable conWake;   // the consumer thread
    bool stopping = false;
    bool notified = false;
    bool wantLease = false;
    std::string announcement = "{}";
    // The current connection; replaced when the library gives up on one.
    std::shared_ptr<SiteConnection> conn;
    std::uint64_t generation = 0;
    SiteLinkStatus st;
    std::atomic<bool> holdsLease{false};

    std::thread pubThread, conThread;

    bool waitFor(std::condition_variable& cv, milliseconds d, bool* flag = nullptr) {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, d, [&] { return stopping || (flag != nullptr && *flag); });
        if (flag != nullptr) *flag = false;
        return !stopping;
    }
    bool stopRequested() const {
        std::lock_guard lock(mutex);
        return stopping;
    }
    void setError(std::string e) {
        std::lock_guard lock(mutex);
        st.lastError = std::move(e);
    }

    void refreshOutbox() {
        auto o = outboxStatus(*pubDb);
        std::lock_guard lock(mutex);
        if (o) {
            st.unpublished = o->unpublished;
            st.oldestUnpublishedUnixMs = o->oldestQueuedUnixMs;
        }
    }

    // What `status` and a window beside the sync service show of the hub
    // (written when worth it: linkReportWorthWriting).
    void writeReport(bool linked) {
        LinkReport r;
        {
            std::lock_guard lock(mutex);
            if (conn) lastContactMs = std::max(lastContactMs, conn->lastContactUnixMs());
            r.connected = linked && conn && conn->connected();
            r.lastContactUnixMs = lastContactMs;
            r.leaseHolder = st.leaseHolder;
            r.consumerPending = st.consumerPending;
            r.secondsBehind = st.secondsBehind;
        }
        r.holdsLease = linked && holdsLease.load();
        // Stopping: a report from no time at all, so readers see the link gone at once.
        r.updatedUnixMs =
            linked ? unixMsNow() : 0;
        const auto now = Clock::now();
        const auto sinceLast = std::chrono::duration_cast<milliseconds>(now - lastWrittenAt).count();
        if (!linkReportWorthWriting(lastWritten, r, sinceLast)) return;
        // Best effort: a busy or full disk only delays the report (written again next time).
        if (!saveLinkReport(*pubDb, r)) return;
        lastWritten = r;
        lastWrittenAt = now;
    }
    std::int64_t lastContactMs = 0;  // guarded by mutex
    std::optional<LinkReport> lastWritten;  // the publisher thread's own
    Clock::time_point lastWrittenAt;

    void publisherLoop();
    void consumerLoop();
};

SiteLink::SiteLink() : m(std::make_unique<Impl>()) {}
SiteLink::~SiteLink() { stop(); }

edsync::Result<std::unique_ptr<SiteLink>, std::string> SiteLink::create(const SiteLogConfig& config,
                                                                        const std::filesystem::path& dbFile,
                                                                        ApplyFn apply, ApplyMode mode) {
    auto own = Database::open(dbFile);
    if (!own) return fail(own.error().describe());
    auto link = create(config, dbFile, *own, std::move(apply), mode);
    if (!link) return link;
    // The consumer's connection is the link's own: kept with it, in place.
    Impl& m = *(*link)->m;
    m.ownConDb.emplace(std::move(*own));
    m.conDb = &*m.ownConDb;
    return link;
}

edsync::Result<std::unique_ptr<SiteLink>, std::string> SiteLink::create(const SiteLogConfig& config,
                                                                        const std::filesystem::path& dbFile,
                                                                        Database& consumerDb, ApplyFn apply, ApplyMode mode) {
    std::unique_ptr<SiteLink> link(new SiteLink());
    link->m->config = config;
    link->m->apply = std::move(apply);
    link->m->mode = mode;
    auto a = Database::open(dbFile);
    if (!a) return fail(a.error().describe());
    if (auto v = migrate(*a); !v) return fail(v.error().describe());
    link->m->pubDb.emplace(std::move(*a));
    link->m->conDb = &consumerDb;
    link->m->refreshOutbox();
    return link;
}

void SiteLink::setAfterApplied(std::function<void()> fn) {
    std::lock_guard lock(m->mutex);
    m->afterApplied = std::move(fn);
}

void SiteLink::start() {
    std::lock_guard lock(m->mutex);
    if (m->pubThread.joinable()) return;
    m->stopping = false;
    m->st.running = true;
    m->pubThread = std::thread([this] { m->publisherLoop(); });
    m->conThread = std::thread([this] { m->consumerLoop(); });
}

void SiteLink::interrupt() {
    std::lock_guard lock(m->mutex);
    m->stopping = true;
    m->wake.notify_all();
    m->conWake.notify_all();
}

void SiteLink::stop() {
    interrupt();
    if (m->pubThread.joinable()) m->pubThread.join();
    if (m->conThread.joinable()) m->conThread.join();
    std::lock_guard lock(m->mutex);
    m->conn.reset();
    m->st.running = false;
    m->st.connected = false;
}

void SiteLink::notify() {
    std::lock_guard lock(m->mutex);
    m->notified = true;
    m->wake.notify_all();
}

void SiteLink::setWantLease(bool want) {
    std::lock_guard lock(m->mutex);
    m->wantLease = want;
    m->wake.notify_all();
}

void SiteLink::setAnnouncement(std::string json) {
    std::lock_guard lock(m->mutex);
    m->announcement = std::move(json);
}

SiteLinkStatus SiteLink::status() const {
    std::lock_guard lock(m->mutex);
    SiteLinkStatus s = m->st;
    if (m->conn) {
        s.connected = m->conn->connected();
        s.lastContactUnixMs = m->conn->lastContactUnixMs();
    } else {
        s.connected = false;
    }
    s.holdsLease = m->holdsLease.load();
    return s;
}

bool SiteLink::holdsLease() const { return m->holdsLease.load(); }

void SiteLink::Impl::publisherLoop() {
    milliseconds backoff{0};
    std::unique_ptr<Lease> lease;
    std::unique_ptr<Machines> machines;
    Publisher* publisher = nullptr;
    std::unique_ptr<Publisher> publisherOwner;
    std::shared_ptr<SiteConnection> c;
    auto lastLeaseTry = Clock::time_point{};
    auto lastAnnounce = Clock::time_point{};
    auto lastReport = Clock::time_point{};
    const auto leaseEvery = std::chrono::duration_cast<milliseconds>(config.leaseTtl) / 4;
    // A hub killed at once can lose what it acknowledged in its last moments
    // (its store writes behind its acks); what was acknowledged this long
    // before it was lost goes again, and the duplicate window drops the rest.
    constexpr std::int64_t kRepublishMarginMs = 30'000;
    std::optional<std::int64_t> republishSince;
    std::uint64_t reconnectsSeen = 0;
    std::int64_t lastSeenConnectedMs = 0;  // the last round that found the hub reachable

    while (!stopRequested()) {
        if (c && c->closed()) {  // the library gave up (e.g. the password changed): start again
            if (lastSeenConnectedMs > 0) republishSince = lastSeenConnectedMs;
            lease.reset();
            machines.reset();
            publisherOwner.reset();
            publisher = nullptr;
            holdsLease = false;
            std::lock_guard lock(mutex);
            conn.reset();
            c.reset();
        }
        if (!c) {
            auto made = SiteConnection::connect(config);
            if (!made) {
                setError(made.error().message);
                refreshOutbox();
                if (Clock::now() - lastReport >= std::chrono::seconds(2)) {
                    lastReport = Clock::now();
                    writeReport(true);  // linked, and the hub cannot be reached
                }
                backoff = std::min(std::max(backoff * 2, milliseconds(500)), milliseconds(15000));
                waitFor(wake, backoff);
                continue;
            }
            c = std::shared_ptr<SiteConnection>(std::move(*made));
            reconnectsSeen = 0;
            if (auto s = c->ensureStream(); !s) setError(s.error().message);
            publisherOwner = std::make_unique<Publisher>(*c, *pubDb);
            publisher = publisherOwner.get();
            std::lock_guard lock(mutex);
            conn = c;
            ++generation;
            conWake.notify_all();
        }

        bool ok = true;
        if (c->connected()) {
            if (const std::uint64_t r = c->reconnects(); r != reconnectsSeen) {
                reconnectsSeen = r;
                if (lastSeenConnectedMs > 0) republishSince = std::min(republishSince.value_or(lastSeenConnectedMs), lastSeenConnectedMs);
            }
            if (republishSince && markPublishedSinceUnpublished(*pubDb, *republishSince - kRepublishMarginMs)) republishSince.reset();
            auto r = publisher->publishPending(config.publishBatch * 8);
            if (!r) {
                ok = false;
                setError(r.error().message);
            } else {
                std::lock_guard lock(mutex);
                st.published += r->acknowledged;
                if (r->failed > 0) {
                    ok = false;
                    st.lastError = r->lastError;
                } else {
                    st.lastError.clear();
                }
            }
            lastSeenConnectedMs = unixMsNow();
            refreshOutbox();

            const auto now = Clock::now();
            bool want;
            std::string json;
            {
                std::lock_guard lock(mutex);
                want = wantLease;
                json = announcement;
            }
            if (!lease) {
                if (auto l = Lease::open(*c)) lease = std::move(*l);
                else setError(l.error().message);
            }
            if (lease && (now - lastLeaseTry >= leaseEvery || want != holdsLease.load())) {
                lastLeaseTry = now;
                if (want) {
                    auto got = lease->tryAcquire(config.kioskId);
                    if (!got) setError(got.error().message);
                } else if (lease->heldLocally()) {
                    // release() stops trusting the lease first; if the hub missed it, it
                    // expires there after its TTL, as a crashed holder's would.
                    (void)lease->release(config.kioskId);
                }
                auto h = lease->holder();
                if (h) {
                    std::lock_guard lock(mutex);
                    st.leaseHolder = *h;
                }
            }
            holdsLease = lease && want && lease->heldLocally();
            if (now - lastAnnounce >= std::chrono::seconds(5)) {
                lastAnnounce = now;
                if (!machines) {
                    if (auto mm = Machines::open(*c)) machines = std::move(*mm);
                }
                if (machines) {
                    if (auto a = machines->announce(config.kioskId, json); !a) setError(a.error().message);
                }
            }
        } else {
            // Offline: the kiosk still commits, and its status must say how much waits.
            ok = false;
            refreshOutbox();
            holdsLease = lease && lease->heldLocally();
        }
        if (Clock::now() - lastReport >= std::chrono::seconds(2)) {
            lastReport = Clock::now();
            writeReport(true);
        }
        // After a failure back off (a notify still wakes us); otherwise wait for work.
        backoff = ok ? milliseconds(0) : std::min(std::max(backoff * 2, milliseconds(250)), milliseconds(5000));
        bool* flag = &notified;
        waitFor(wake, ok ? std::min(leaseEvery, milliseconds(1000)) : backoff, flag);
    }
    // Leave the lease to others at once rather than after its TTL (if this
    // fails, the TTL still ends it: nothing else to do on the way out).
    if (lease && lease->heldLocally() && c && c->connected()) (void)lease->release(config.kioskId);
    holdsLease = false;
    writeReport(false);
}

void SiteLink::Impl::consumerLoop() {
    std::shared_ptr<SiteConnection> c;
    std::unique_ptr<Consumer> consumer;
    std::uint64_t gen = 0;
    milliseconds backoff{0};
    auto lastLag = Clock::time_point{};
    while (!stopRequested()) {
        {
            std::lock_guard lock(mutex);
            if (!conn || generation != gen) {
                consumer.reset();
                c = conn;
                gen = generation;
            }
        }
        if (!c || !c->connected()) {
            waitFor(conWake, milliseconds(250));
            continue;
        }
        if (!consumer) {
            auto opened = Consumer::open(*c, *conDb);
            if (!opened) {
                setError(opened.error().message);
                backoff = std::min(std::max(backoff * 2, milliseconds(250)), milliseconds(5000));
                waitFor(conWake, backoff);
                continue;
            }
            consumer = std::move(*opened);
        }
        auto r = mode == ApplyMode::BatchTransaction ? consumer->fetchInTransaction(apply) : consumer->fetch(apply);
        if (!r) {
            // The consumer may be gone (hub store replaced): open it again.
            consumer.reset();
            setError(r.error().message);
            backoff = std::min(std::max(backoff * 2, milliseconds(250)), milliseconds(5000));
            waitFor(conWake, backoff);
            continue;
        }
        backoff = milliseconds(0);
        std::function<void()> after;
        {
            std::lock_guard lock(mutex);
            st.applied += r->applied;
            st.applyFailures += r->failed;
            if (r->failed > 0) st.lastApplyFailure = r->lastFailure;
            if (r->applied > 0) after = afterApplied;
        }
        if (after) after();
        const auto now = Clock::now();
        if (r->received == 0 || now - lastLag >= std::chrono::seconds(2)) {
            if (now - lastLag >= milliseconds(500)) {
                lastLag = now;
                if (auto l = consumer->lag()) {
                    std::lock_guard lock(mutex);
                    st.consumerPending = l->behind();
                    st.secondsBehind = l->secondsBehind;
                }
            }
        }
    }
}

} // namespace edsync::site
