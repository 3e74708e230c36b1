#include "sync/site/site_store.hpp"

#include "sync/site/site_config.hpp"
#include "sync/sqlite/migrations.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>

namespace edsync::site {

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE site_outbox (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id       TEXT NOT NULL UNIQUE,
  subject_suffix TEXT NOT NULL,
  payload        TEXT NOT NULL,
  queued_at      INTEGER NOT NULL,
  published_at   INTEGER,
  stream_seq     INTEGER
);
CREATE INDEX site_outbox_unpublished ON site_outbox (seq) WHERE published_at IS NULL;
CREATE TABLE site_cursor (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  stream         TEXT NOT NULL,
  stream_created INTEGER NOT NULL,
  last_seq       INTEGER NOT NULL DEFAULT 0,
  applied        INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL
);
CREATE TABLE site_applied (
  stream_seq INTEGER PRIMARY KEY
);
)sql";

// Version 2: what the process running the site link last knew of the hub,
// for the processes that do not run it (`status`, the window beside the
// sync service). One row, rewritten every few seconds.
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE site_link_report (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  connected        INTEGER NOT NULL,
  last_contact_ms  INTEGER NOT NULL,
  lease_holder     TEXT,
  holds_lease      INTEGER NOT NULL,
  consumer_pending INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
);
)sql";

// Version 3: how far behind in time, beside how many events.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE site_link_report ADD COLUMN seconds_behind INTEGER;
)sql";

// Version 4: which event each applied sequence carried, and when. A hub
// killed at once can lose the tail of its stream and hand the same
// sequences to other events after its restart, or roll its consumer's ack
// floor back: a sequence alone no longer proves an event was applied here.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE site_applied ADD COLUMN event_id TEXT;
ALTER TABLE site_applied ADD COLUMN applied_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX site_applied_event ON site_applied (event_id);
)sql";

constexpr std::array kMigrations{
    sqlite::Migration{1, kSchemaV1},
    sqlite::Migration{2, kSchemaV2},
    sqlite::Migration{3, kSchemaV3},
    sqlite::Migration{4, kSchemaV4},
};

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

sqlite::Error localError(std::string message) {
    sqlite::Error e;
    e.code = 1;  // SQLITE_ERROR: a refusal before reaching SQLite
    e.message = std::move(message);
    return e;
}

} // namespace

sqlite::Result<int> migrate(Database& db) { return sqlite::migrate(db, "site", kMigrations); }

sqlite::Result<bool> enqueue(Database& db, std::string_view eventId, std::string_view subjectSuffix,
                             std::string_view payload) {
    assert(db.inTransaction() && "site::enqueue belongs in the caller's transaction");
    if (eventId.empty()) return fail(localError("site log: an event needs an id"));
    if (!validSubjectSuffix(subjectSuffix)) return fail(localError("site log: invalid subject suffix"));
    auto stmt = db.prepare(
        "INSERT INTO site_outbox (event_id, subject_suffix, payload, queued_at) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (event_id) DO NOTHING;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, eventId).bind(2, subjectSuffix).bind(3, payload).bind(4, nowMs());
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes() > 0;
}

sqlite::Result<std::vector<OutboxRow>> unpublished(Database& db, int limit, std::int64_t afterSeq) {
    auto stmt = db.prepare(
        "SELECT seq, event_id, subject_suffix, payload FROM site_outbox"
        " WHERE published_at IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, afterSeq).bind(2, limit);
    std::vector<OutboxRow> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getInt(0), stmt->getText(1), stmt->getText(2), stmt->getText(3)});
    }
    return out;
}

sqlite::Status markPublished(Database& db, const std::vector<Published>& acks, std::int64_t nowUnixMs) {
    if (acks.empty()) return {};
    auto tx = sqlite::Transaction::begin(db);
    if (!tx) return fail(tx.error());
    auto stmt = db.prepare(
        "UPDATE site_outbox SET published_at = ?2, stream_seq = ?3 WHERE event_id = ?1 AND published_at IS NULL;");
    if (!stmt) return fail(stmt.error());
    for (const Published& a : acks) {
        stmt->reset();
        stmt->bind(1, a.eventId).bind(2, nowUnixMs).bind(3, static_cast<std::int64_t>(a.streamSeq));
        if (auto s = stmt->run(); !s) return fail(s.error());
    }
    return tx->commit();
}

sqlite::Result<OutboxStatus> outboxStatus(Database& db) {
    auto stmt = db.prepare(
        "SELECT coalesce(sum(published_at IS NULL), 0), min(CASE WHEN published_at IS NULL THEN queued_at END),"
        " count(*) FROM site_outbox;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    OutboxStatus st;
    st.unpublished = stmt->getInt(0);
    st.oldestQueuedUnixMs = stmt->getOptionalInt(1);
    st.total = stmt->getInt(2);
    return st;
}

sqlite::Result<int> markAllUnpublished(Database& db) {
    auto stmt = db.prepare("UPDATE site_outbox SET published_at = NULL, stream_seq = NULL WHERE published_at IS NOT NULL;");
    if (!stmt) return fail(stmt.error());
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes();
}

sqlite::Result<int> markPublishedSinceUnpublished(Database& db, std::int64_t sinceUnixMs) {
    auto stmt = db.prepare("UPDATE site_outbox SET published_at = NULL, stream_seq = NULL WHERE published_at >= ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sinceUnixMs);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes();
}

// The same sequence with the same event (or a row from before version 4,
// which named none), or the same event under another sequence (sent again
// after the hub lost it).
constexpr std::string_view kSeenSql =
    "SELECT 1 FROM site_applied WHERE (stream_seq = ?1 AND (event_id IS NULL OR event_id = ?2))"
    " OR (event_id = ?2 AND ?2 <> '') LIMIT 1;";
// A row for this sequence that names another event is the hub's old
// numbering (it lost its tail): the sequence now carries this event.
constexpr std::string_view kMarkSql =
    "INSERT INTO site_applied (stream_seq, event_id, applied_ms) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (stream_seq) DO UPDATE SET event_id = excluded.event_id, applied_ms = excluded.applied_ms;";

sqlite::Result<AppliedMarks> AppliedMarks::prepare(Database& db) {
    auto seen = db.prepare(kSeenSql);
    if (!seen) return fail(seen.error());
    auto mark = db.prepare(kMarkSql);
    if (!mark) return fail(mark.error());
    return AppliedMarks(std::move(*seen), std::move(*mark));
}

sqlite::Result<bool> AppliedMarks::seen(std::uint64_t streamSeq, std::string_view eventId) {
    m_seen.reset();
    m_seen.bind(1, static_cast<std::int64_t>(streamSeq)).bind(2, eventId);
    auto row = m_seen.step();
    if (!row) return fail(row.error());
    return *row;
}

sqlite::Status AppliedMarks::mark(std::uint64_t streamSeq, std::string_view eventId) {
    m_mark.reset();
    m_mark.bind(1, static_cast<std::int64_t>(streamSeq)).bind(2, eventId).bind(3, nowMs());
    return m_mark.run();
}

sqlite::Result<bool> recordApplied(Database& db, std::uint64_t streamSeq, std::string_view eventId) {
    assert(db.inTransaction() && "site::recordApplied belongs in the apply transaction");
    auto marks = AppliedMarks::prepare(db);
    if (!marks) return fail(marks.error());
    auto already = marks->seen(streamSeq, eventId);
    if (!already) return fail(already.error());
    if (*already) return false;
    if (auto s = marks->mark(streamSeq, eventId); !s) return fail(s.error());
    auto upd = db.prepare(
        "UPDATE site_cursor SET last_seq = max(last_seq, ?1), applied = applied + 1, updated_at = ?2 WHERE id = 1;");
    if (!upd) return fail(upd.error());
    upd->bind(1, static_cast<std::int64_t>(streamSeq)).bind(2, nowMs());
    if (auto s = upd->run(); !s) return fail(s.error());
    return true;
}

sqlite::Result<bool> wasApplied(Database& db, std::uint64_t streamSeq, std::string_view eventId) {
    auto marks = AppliedMarks::prepare(db);
    if (!marks) return fail(marks.error());
    return marks->seen(streamSeq, eventId);
}

sqlite::Result<std::optional<Cursor>> cursor(Database& db) {
    auto stmt = db.prepare("SELECT stream, stream_created, last_seq, applied, updated_at FROM site_cursor WHERE id = 1;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<Cursor>{};
    Cursor c;
    c.stream = stmt->getText(0);
    c.streamCreatedNs = stmt->getInt(1);
    c.lastSeq = static_cast<std::uint64_t>(stmt->getInt(2));
    c.applied = stmt->getInt(3);
    c.updatedUnixMs = stmt->getInt(4);
    return std::optional<Cursor>{c};
}

sqlite::Result<bool> bindStream(Database& db, std::string_view stream, std::int64_t createdNs) {
    auto current = cursor(db);
    if (!current) return fail(current.error());
    if (*current && (*current)->stream == stream && (*current)->streamCreatedNs == createdNs) return false;
    auto tx = sqlite::Transaction::begin(db);
    if (!tx) return fail(tx.error());
    if (auto s = db.exec("DELETE FROM site_applied;"); !s) return fail(s.error());
    auto stmt = db.prepare(
        "INSERT OR REPLACE INTO site_cursor (id, stream, stream_created, last_seq, applied, updated_at)"
        " VALUES (1, ?1, ?2, 0, 0, ?3);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, stream).bind(2, createdNs).bind(3, nowMs());
    if (auto s = stmt->run(); !s) return fail(s.error());
    // A first binding is not a replaced store: only a change of stream is.
    bool replaced = current->has_value();
    if (replaced) {
        auto n = markAllUnpublished(db);
        if (!n) return fail(n.error());
    }
    if (auto s = tx->commit(); !s) return fail(s.error());
    return replaced;
}

sqlite::Status pruneApplied(Database& db, std::uint64_t ackFloor, std::int64_t nowUnixMs) {
    auto stmt = db.prepare("DELETE FROM site_applied WHERE stream_seq <= ?1 AND applied_ms < ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, static_cast<std::int64_t>(ackFloor)).bind(2, nowUnixMs - kAppliedMemoryMs);
    return stmt->run();
}

bool linkReportWorthWriting(const std::optional<LinkReport>& last, const LinkReport& next, std::int64_t sinceLastMs) {
    if (!last || sinceLastMs >= kLinkReportHeartbeatMs || sinceLastMs < 0) return true;
    return last->connected != next.connected || last->leaseHolder != next.leaseHolder || last->holdsLease != next.holdsLease ||
           last->consumerPending != next.consumerPending || last->secondsBehind != next.secondsBehind ||
           (last->updatedUnixMs == 0) != (next.updatedUnixMs == 0);
}

sqlite::Status saveLinkReport(Database& db, const LinkReport& r) {
    auto stmt = db.prepare(
        "INSERT INTO site_link_report (id, connected, last_contact_ms, lease_holder, holds_lease, consumer_pending, updated_ms,"
        " seconds_behind) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET connected = excluded.connected,"
        " last_contact_ms = excluded.last_contact_ms, lease_holder = excluded.lease_holder, holds_lease = excluded.holds_lease,"
        " consumer_pending = excluded.consumer_pending, updated_ms = excluded.updated_ms, seconds_behind = excluded.seconds_behind;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, r.connected ? 1 : 0).bind(2, r.lastContactUnixMs).bind(3, r.leaseHolder).bind(4, r.holdsLease ? 1 : 0);
    stmt->bind(5, static_cast<std::int64_t>(r.consumerPending)).bind(6, r.updatedUnixMs).bind(7, r.secondsBehind);
    return stmt->run();
}

sqlite::Result<std::optional<LinkReport>> linkReport(Database& db) {
    auto stmt = db.prepare(
        "SELECT connected, last_contact_ms, lease_holder, holds_lease, consumer_pending, updated_ms, seconds_behind"
        " FROM site_link_report WHERE id = 1;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<LinkReport>{};
    LinkReport r;
    r.connected = stmt->getInt(0) != 0;
    r.lastContactUnixMs = stmt->getInt(1);
    r.leaseHolder = stmt->getOptionalText(2);
    r.holdsLease = stmt->getInt(3) != 0;
    r.consumerPending = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stmt->getInt(4)));
    r.updatedUnixMs = stmt->getInt(5);
    if (!stmt->isNull(6)) r.secondsBehind = stmt->getInt(6);
    return std::optional<LinkReport>{r};
}

} // namespace edsync::site
