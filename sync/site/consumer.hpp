#pragma once
// This kiosk's durable pull consumer on the site stream (kiosk-<kiosk>,
// deliver all, explicit ack), delivering in the log's order (see subscribe()). Each fetched message goes to an injected
// apply callback; it is acked only after the callback succeeded, which
// includes recordApplied() in the callback's own transaction, so "applied"
// and "cursor moved" commit together. A failed apply is not acked: it comes
// back later and is counted in the report (never dropped silently). A
// redelivered message already applied is acked without calling back.
#include "sync/site/connection.hpp"
#include "sync/site/site_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace edsync::site {

struct SiteMessage {
    std::uint64_t streamSeq = 0;
    std::string eventId;        // the Nats-Msg-Id it was published with
    std::string originKioskId;  // the publishing kiosk
    std::string subjectSuffix;  // after site.<site>.ev.
    std::string payload;
    bool fromThisKiosk = false;  // our own event coming back: skip it, but record it
    std::int64_t hubTimeNs = 0;  // when the hub stored it (the hub's clock)
};

using ApplyResult = edsync::Result<void, std::string>;
// Applies one message in its own transaction and calls recordApplied(db,
// message.streamSeq, message.eventId) inside it. `db` is the consumer's connection.
using ApplyFn = std::function<ApplyResult(Database& db, const SiteMessage& message)>;

// Who owns the transaction an event is applied in: the callback
// (fetch) or the consumer, one per batch (fetchInTransaction).
enum class ApplyMode { CallbackTransaction, BatchTransaction };

struct FetchReport {
    int received = 0;
    int applied = 0;
    int alreadyApplied = 0;  // redeliveries, acked without a call
    int failed = 0;          // apply refused: not acked, retried later
    int restarts = 0;        // the batch skipped ahead: nothing applied, the consumer starts again from its ack floor
    std::string lastFailure;
};

struct ConsumerLag {
    std::uint64_t pending = 0;     // in the stream, not yet delivered to this kiosk
    std::int64_t ackPending = 0;   // delivered, not yet acknowledged
    std::uint64_t ackFloor = 0;    // every stream sequence up to here is acknowledged
    // The newest event in the site log was stored this long after the newest
    // one applied here (both by the hub's clock): 0 when caught up; none
    // when behind before anything was applied in this process.
    std::optional<std::int64_t> secondsBehind;
    std::uint64_t behind() const { return pending + static_cast<std::uint64_t>(ackPending); }
};

class Consumer {
public:
    // Ensures the stream, binds the cursor to it (a replaced hub store
    // republishes the outbox) and opens the durable consumer.
    static Result<std::unique_ptr<Consumer>> open(SiteConnection& connection, Database& db);
    ~Consumer();
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    // Fetches up to config.fetchBatch messages, waiting at most
    // config.fetchWait for the first, and applies them in order.
    Result<FetchReport> fetch(const ApplyFn& apply);

    // The same, but the consumer owns one transaction for the whole batch:
    // `applyWithin` writes inside it (no BEGIN/COMMIT of its own; each call
    // runs in a savepoint, rolled back alone if it fails) and the consumer
    // records the cursor itself. One fsync per batch rather than per event:
    // what a kiosk catching up with the site needs. Acks follow the commit.
    Result<FetchReport> fetchInTransaction(const ApplyFn& applyWithin);

    // How far behind this kiosk is; forgets applied sequences below the ack floor.
    Result<ConsumerLag> lag();

private:
    Consumer(SiteConnection& connection, Database& db);
    struct Fetched;
    Result<std::unique_ptr<Fetched>> fetchRaw(FetchReport& report);
    Status receive(Fetched& f, int batch, std::chrono::steady_clock::time_point deadline, bool untilRequestEnds);
    Status requestNext(int batch, bool noWait, std::chrono::milliseconds wait);
    Status subscribe(bool restart);
    bool skipsAhead(const Fetched& batch);
    Result<FetchReport> startAgain(FetchReport report);
    void noteApplied(const SiteMessage& m) { m_lastAppliedNs = std::max(m_lastAppliedNs, m.hubTimeNs); }
    SiteConnection& m_conn;
    Database& m_db;
    std::int64_t m_lastAppliedNs = 0;  // hub time of the newest event applied (or found applied) here
    std::uint64_t m_maxSeen = 0;       // the highest stream sequence fetched since the last subscription
    struct Sub;
    std::unique_ptr<Sub> m_sub;
};

} // namespace edsync::site
