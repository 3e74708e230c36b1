#pragma once
// The site log's tables in the kiosk's SQLite (component "site"):
//   site_outbox  — every local event to publish, kept until the hub's PubAck
//                  and afterwards (the hub is never the only copy);
//   site_cursor  — one row: which stream this kiosk consumes (its creation
//                  time tells a replaced hub store apart) and how far it got;
//   site_applied — stream sequences applied, so a redelivery is not applied
//                  twice; pruned below the consumer's ack floor.
#include "sync/sqlite/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::site {

using sqlite::Database;

// Creates or upgrades the tables (component "site").
sqlite::Result<int> migrate(Database& db);

// Inside the caller's transaction (the kiosk's event + projection + this row
// commit together). `subjectSuffix` must pass validSubjectSuffix(). Returns
// false when the event id was already queued (nothing changed).
sqlite::Result<bool> enqueue(Database& db, std::string_view eventId, std::string_view subjectSuffix,
                             std::string_view payload);

struct OutboxRow {
    std::int64_t seq = 0;
    std::string eventId;
    std::string subjectSuffix;
    std::string payload;
};
// Unpublished rows in local order, after `afterSeq`.
sqlite::Result<std::vector<OutboxRow>> unpublished(Database& db, int limit, std::int64_t afterSeq = 0);

// The hub acknowledged these events (stream sequence from its PubAck).
struct Published {
    std::string eventId;
    std::uint64_t streamSeq = 0;
};
sqlite::Status markPublished(Database& db, const std::vector<Published>& acks, std::int64_t nowUnixMs);

struct OutboxStatus {
    std::int64_t unpublished = 0;
    std::optional<std::int64_t> oldestQueuedUnixMs;  // of the unpublished rows
    std::int64_t total = 0;
};
sqlite::Result<OutboxStatus> outboxStatus(Database& db);

// The hub's store was replaced (a new stream): every row goes again.
sqlite::Result<int> markAllUnpublished(Database& db);
// The hub went away: the rows it acknowledged since `sinceUnixMs` go again.
// A hub killed at once can lose what it acknowledged but had not yet
// written; the stream's duplicate window drops those it did keep.
sqlite::Result<int> markPublishedSinceUnpublished(Database& db, std::int64_t sinceUnixMs);

// --- consumer side --------------------------------------------------------

// Inside the apply callback's transaction: the event at this stream
// sequence is applied. Returns false if it already was (the caller should
// roll back). A sequence counts as applied only with the event it carried:
// after a hub crash the stream may number other events the same.
sqlite::Result<bool> recordApplied(Database& db, std::uint64_t streamSeq, std::string_view eventId);

// The two statements behind recordApplied/wasApplied, prepared once: a
// catching-up kiosk runs thousands of them in one batch.
class AppliedMarks {
public:
    static sqlite::Result<AppliedMarks> prepare(Database& db);
    sqlite::Result<bool> seen(std::uint64_t streamSeq, std::string_view eventId);
    sqlite::Status mark(std::uint64_t streamSeq, std::string_view eventId);  // does not move the cursor

private:
    AppliedMarks(sqlite::Statement seen, sqlite::Statement mark) : m_seen(std::move(seen)), m_mark(std::move(mark)) {}
    sqlite::Statement m_seen;
    sqlite::Statement m_mark;
};
sqlite::Result<bool> wasApplied(Database& db, std::uint64_t streamSeq, std::string_view eventId);

struct Cursor {
    std::string stream;
    std::int64_t streamCreatedNs = 0;
    std::uint64_t lastSeq = 0;   // highest sequence applied
    std::int64_t applied = 0;    // messages applied from this stream
    std::int64_t updatedUnixMs = 0;
};
sqlite::Result<std::optional<Cursor>> cursor(Database& db);

// Binds the cursor to a stream. A different stream or creation time (a new
// hub store) starts the cursor afresh, marks the whole outbox to be published
// again (the new hub lacks it) and returns true.
sqlite::Result<bool> bindStream(Database& db, std::string_view stream, std::int64_t createdNs);

// Forgets applied sequences at or below the consumer's ack floor that were
// applied more than kAppliedMemoryMs ago. The hub never redelivers those,
// unless it was killed before writing its newest acks, or the events were
// sent again after it lost them: both settle within seconds of a restart,
// the memory covers them by far.
inline constexpr std::int64_t kAppliedMemoryMs = 15 * 60 * 1000;
sqlite::Status pruneApplied(Database& db, std::uint64_t ackFloor, std::int64_t nowUnixMs);

// --- what the link knew, for other processes ------------------------------

// The process that runs the site link writes this when it changes and at
// least every kLinkReportHeartbeatMs; a report older than kLinkReportStaleMs
// means no process is linked now.
struct LinkReport {
    bool connected = false;
    std::int64_t lastContactUnixMs = 0;  // 0: never
    std::optional<std::string> leaseHolder;  // the uploader, per the hub
    bool holdsLease = false;             // this kiosk
    std::uint64_t consumerPending = 0;   // site events not yet applied here
    std::optional<std::int64_t> secondsBehind;  // the log's newest event vs the newest applied here
    std::int64_t updatedUnixMs = 0;
};
inline constexpr std::int64_t kLinkReportStaleMs = 30'000;
// A third of kLinkReportStaleMs: two heartbeats may be lost to a busy disk
// before a reader calls the link gone.
inline constexpr std::int64_t kLinkReportHeartbeatMs = kLinkReportStaleMs / 3;
// Whether `next` is worth a commit, `sinceLastMs` after `last` was written:
// when what a reader shows changed, or at the heartbeat. Every commit makes
// each window on the database read its whole view again, so not each turn.
// The last contact time alone is not a change (a clock on the screen).
bool linkReportWorthWriting(const std::optional<LinkReport>& last, const LinkReport& next, std::int64_t sinceLastMs);
sqlite::Status saveLinkReport(Database& db, const LinkReport& report);
sqlite::Result<std::optional<LinkReport>> linkReport(Database& db);

} // namespace edsync::site
