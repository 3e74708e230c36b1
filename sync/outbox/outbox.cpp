#include "sync/outbox/outbox.hpp"

#include "sync/sqlite/migrations.hpp"

#include <array>
#include <limits>

namespace edsync::outbox {

namespace {

constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE outbox (
  resource          TEXT NOT NULL,
  natural_key       TEXT NOT NULL,
  body              TEXT NOT NULL,
  local_version     INTEGER NOT NULL CHECK (local_version >= 1),
  synced_version    INTEGER NOT NULL DEFAULT 0,
  in_flight_version INTEGER,
  seq               INTEGER NOT NULL,
  first_queued_at   TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL DEFAULT 0,
  last_status       INTEGER,
  last_error        TEXT,
  attention_version INTEGER,
  PRIMARY KEY (resource, natural_key)
) WITHOUT ROWID;
CREATE INDEX outbox_queue ON outbox (seq) WHERE local_version > synced_version;
)sql";

constexpr std::array kMigrations{
    sqlite::Migration{1, kSchemaV1},
};

constexpr std::string_view kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Shared predicate fragments, so counts and claims agree on what each state is.
#define OUTBOX_ATTENTION "(attention_version IS NOT NULL AND attention_version = local_version)"
#define OUTBOX_WAITING "(local_version > synced_version)"

} // namespace

std::string_view stateName(State s) {
    switch (s) {
    case State::Pending: return "pending";
    case State::InFlight: return "in flight";
    case State::Synced: return "synced";
    case State::NeedsAttention: return "needs attention";
    }
    return "?";
}

Result<int> migrate(Database& db) { return sqlite::migrate(db, "sync", kMigrations); }

Result<std::int64_t> put(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                         std::int64_t seq) {
    // first_queued_at restarts only when the row goes from synced to waiting.
    auto stmt = db.prepare(std::string(
        "INSERT INTO outbox (resource, natural_key, body, local_version, seq, first_queued_at, updated_at)"
        " VALUES (?1, ?2, ?3, 1, ?4, ") + std::string(kNow) + ", " + std::string(kNow) + ")"
        " ON CONFLICT (resource, natural_key) DO UPDATE SET"
        "  body = excluded.body,"
        "  local_version = outbox.local_version + 1,"
        "  seq = excluded.seq,"
        "  first_queued_at = CASE WHEN outbox.local_version > outbox.synced_version"
        "                    THEN outbox.first_queued_at ELSE excluded.first_queued_at END,"
        "  updated_at = excluded.updated_at,"
        "  next_attempt_at = 0,"
        "  attention_version = NULL"
        " RETURNING local_version;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, json).bind(4, seq);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    std::int64_t version = stmt->getInt(0);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return version;
}

namespace {

constexpr std::string_view kCountColumns =
    " coalesce(sum(" OUTBOX_WAITING " AND NOT " OUTBOX_ATTENTION "), 0),"
    " coalesce(sum(" OUTBOX_WAITING " AND in_flight_version IS NOT NULL AND NOT " OUTBOX_ATTENTION "), 0),"
    " coalesce(sum(NOT " OUTBOX_WAITING "), 0),"
    " coalesce(sum(" OUTBOX_WAITING " AND " OUTBOX_ATTENTION "), 0)";

Counts readCounts(const sqlite::Statement& s, int first) {
    Counts c;
    c.pending = s.getInt(first);
    c.inFlight = s.getInt(first + 1);
    c.synced = s.getInt(first + 2);
    c.needsAttention = s.getInt(first + 3);
    return c;
}

} // namespace

Result<Counts> counts(Database& db) {
    auto stmt = db.prepare("SELECT" + std::string(kCountColumns) + " FROM outbox;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return readCounts(*stmt, 0);
}

Result<std::map<std::string, Counts>> countsByResource(Database& db) {
    auto stmt = db.prepare("SELECT resource," + std::string(kCountColumns) + " FROM outbox GROUP BY resource ORDER BY resource;");
    if (!stmt) return fail(stmt.error());
    std::map<std::string, Counts> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out[stmt->getText(0)] = readCounts(*stmt, 1);
    }
    return out;
}

Result<std::optional<RecordStatus>> status(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(
        "SELECT local_version, synced_version, in_flight_version, attempts, last_status, last_error,"
        " " OUTBOX_ATTENTION " FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<RecordStatus>{};
    RecordStatus r;
    r.localVersion = stmt->getInt(0);
    r.syncedVersion = stmt->getInt(1);
    r.attempts = stmt->getInt(3);
    if (auto v = stmt->getOptionalInt(4)) r.lastHttpStatus = static_cast<int>(*v);
    r.lastError = stmt->getOptionalText(5);
    if (r.syncedVersion >= r.localVersion) r.state = State::Synced;
    else if (stmt->getInt(6) != 0) r.state = State::NeedsAttention;
    else if (!stmt->isNull(2)) r.state = State::InFlight;
    else r.state = State::Pending;
    return std::optional<RecordStatus>{r};
}

namespace {

constexpr const char* kClaimSelect =
    "SELECT resource, natural_key, body, local_version, attempts, seq FROM outbox"
    " WHERE " OUTBOX_WAITING " AND seq > ?3 AND in_flight_version IS NULL AND NOT " OUTBOX_ATTENTION
    "   AND next_attempt_at <= ?1"
    " ORDER BY seq LIMIT ?2;";
constexpr const char* kClaimMark =
    "UPDATE outbox SET in_flight_version = ?3, attempts = attempts + 1 WHERE resource = ?1 AND natural_key = ?2;";
constexpr const char* kAcknowledge =
    "UPDATE outbox SET synced_version = max(synced_version, ?3), in_flight_version = NULL,"
    " attempts = CASE WHEN local_version <= ?3 THEN 0 ELSE attempts END,"
    " last_status = NULL, last_error = NULL, next_attempt_at = 0"
    " WHERE resource = ?1 AND natural_key = ?2;";
constexpr const char* kRetryLater =
    "UPDATE outbox SET in_flight_version = NULL, next_attempt_at = ?4, last_status = ?5, last_error = ?6"
    " WHERE resource = ?1 AND natural_key = ?2 AND in_flight_version = ?3;";
constexpr const char* kNeedsAttention =
    "UPDATE outbox SET in_flight_version = NULL, attention_version = ?3, last_status = ?4, last_error = ?5"
    " WHERE resource = ?1 AND natural_key = ?2;";
constexpr const char* kUnclaim =
    "UPDATE outbox SET in_flight_version = NULL, attempts = max(0, attempts - 1)"
    " WHERE resource = ?1 AND natural_key = ?2 AND in_flight_version = ?3;";

// Binds the arguments to ?1, ?2, ... in order, runs a kept statement once and
// resets it, so it holds nothing between uses.
template <typename... Args>
Status runOnce(sqlite::Statement& stmt, const Args&... args) {
    stmt.reset();
    int index = 0;
    (stmt.bind(++index, args), ...);
    Status status = stmt.run();
    stmt.reset();
    return status;
}

Result<std::vector<Claim>> claimWith(sqlite::Statement& select, sqlite::Statement& mark, std::int64_t nowUnixMs, int limit,
                                     std::int64_t afterSeq) {
    select.reset();
    select.bind(1, nowUnixMs).bind(2, limit).bind(3, afterSeq);
    std::vector<Claim> claims;
    for (;;) {
        auto row = select.step();
        if (!row) {
            select.reset();
            return fail(row.error());
        }
        if (!*row) break;
        Claim c;
        c.resource = select.getText(0);
        c.naturalKey = select.getText(1);
        c.json = select.getText(2);
        c.version = select.getInt(3);
        c.attempts = select.getInt(4);
        c.seq = select.getInt(5);
        claims.push_back(std::move(c));
    }
    select.reset();
    for (const Claim& c : claims)
        if (Status status = runOnce(mark, c.resource, c.naturalKey, c.version); !status) return fail(status.error());
    return claims;
}

Status acknowledgeWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    return runOnce(stmt, resource, naturalKey, version);
}

Status retryLaterWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      std::int64_t retryAtUnixMs, std::optional<int> httpStatus, std::string_view cause) {
    return runOnce(stmt, resource, naturalKey, version, retryAtUnixMs, httpStatus, cause);
}

Status needsAttentionWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                          int httpStatus, std::string_view serverMessage) {
    return runOnce(stmt, resource, naturalKey, version, httpStatus, serverMessage);
}

Status unclaimWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    return runOnce(stmt, resource, naturalKey, version);
}

} // namespace

Result<std::vector<Claim>> claimDue(Database& db, std::int64_t nowUnixMs, int limit) {
    auto select = db.prepare(kClaimSelect);
    if (!select) return fail(select.error());
    auto mark = db.prepare(kClaimMark);
    if (!mark) return fail(mark.error());
    return claimWith(*select, *mark, nowUnixMs, limit, std::numeric_limits<std::int64_t>::min());
}

Status acknowledge(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    auto stmt = db.prepare(kAcknowledge);
    if (!stmt) return fail(stmt.error());
    return acknowledgeWith(*stmt, resource, naturalKey, version);
}

Status retryLater(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                  std::int64_t retryAtUnixMs, std::optional<int> httpStatus, std::string_view cause) {
    auto stmt = db.prepare(kRetryLater);
    if (!stmt) return fail(stmt.error());
    return retryLaterWith(*stmt, resource, naturalKey, version, retryAtUnixMs, httpStatus, cause);
}

Status needsAttention(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      int httpStatus, std::string_view serverMessage) {
    auto stmt = db.prepare(kNeedsAttention);
    if (!stmt) return fail(stmt.error());
    return needsAttentionWith(*stmt, resource, naturalKey, version, httpStatus, serverMessage);
}

Status retry(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(
        "UPDATE outbox SET attention_version = NULL, next_attempt_at = 0, attempts = 0"
        " WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    return stmt->run();
}

Status unclaim(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    auto stmt = db.prepare(kUnclaim);
    if (!stmt) return fail(stmt.error());
    return unclaimWith(*stmt, resource, naturalKey, version);
}

struct Uploads::Statements {
    sqlite::Statement select, mark, acknowledge, retryLater, needsAttention, unclaim;
};

Result<Uploads> Uploads::prepare(Database& db) {
    std::optional<sqlite::Error> error;
    auto get = [&](const char* sql) -> std::optional<sqlite::Statement> {
        auto stmt = db.prepare(sql);
        if (!stmt) {
            if (!error) error = stmt.error();
            return std::nullopt;
        }
        return std::move(*stmt);
    };
    auto select = get(kClaimSelect);
    auto mark = get(kClaimMark);
    auto ack = get(kAcknowledge);
    auto retry = get(kRetryLater);
    auto attention = get(kNeedsAttention);
    auto back = get(kUnclaim);
    if (error) return fail(*error);
    return Uploads(std::make_shared<Statements>(
        Statements{std::move(*select), std::move(*mark), std::move(*ack), std::move(*retry), std::move(*attention), std::move(*back)}));
}

Result<std::vector<Claim>> Uploads::claimDue(std::int64_t nowUnixMs, int limit, std::int64_t afterSeq) {
    return claimWith(m_s->select, m_s->mark, nowUnixMs, limit, afterSeq);
}

Status Uploads::acknowledge(std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    return acknowledgeWith(m_s->acknowledge, resource, naturalKey, version);
}

Status Uploads::retryLater(std::string_view resource, std::string_view naturalKey, std::int64_t version, std::int64_t retryAtUnixMs,
                           std::optional<int> httpStatus, std::string_view cause) {
    return retryLaterWith(m_s->retryLater, resource, naturalKey, version, retryAtUnixMs, httpStatus, cause);
}

Status Uploads::needsAttention(std::string_view resource, std::string_view naturalKey, std::int64_t version, int httpStatus,
                               std::string_view serverMessage) {
    return needsAttentionWith(m_s->needsAttention, resource, naturalKey, version, httpStatus, serverMessage);
}

Status Uploads::unclaim(std::string_view resource, std::string_view naturalKey, std::int64_t version) {
    return unclaimWith(m_s->unclaim, resource, naturalKey, version);
}

Status releaseInFlight(Database& db) { return db.exec("UPDATE outbox SET in_flight_version = NULL WHERE in_flight_version IS NOT NULL;"); }

Result<std::optional<std::int64_t>> nextDueAt(Database& db) {
    auto stmt = db.prepare("SELECT min(next_attempt_at) FROM outbox"
                           " WHERE " OUTBOX_WAITING " AND in_flight_version IS NULL AND NOT " OUTBOX_ATTENTION ";");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return stmt->getOptionalInt(0);
}

Result<int> expediteNoResponseRetries(Database& db, std::int64_t nowUnixMs) {
    // last_status IS NULL with a cause recorded: the failure had no HTTP answer.
    auto stmt = db.prepare("UPDATE outbox SET next_attempt_at = 0"
                           " WHERE " OUTBOX_WAITING " AND in_flight_version IS NULL AND NOT " OUTBOX_ATTENTION
                           "   AND next_attempt_at > ?1 AND last_status IS NULL AND last_error IS NOT NULL;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, nowUnixMs);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes();
}

Result<int> expediteAllRetries(Database& db, std::int64_t nowUnixMs) {
    auto stmt = db.prepare("UPDATE outbox SET next_attempt_at = 0"
                           " WHERE " OUTBOX_WAITING " AND in_flight_version IS NULL AND NOT " OUTBOX_ATTENTION
                           "   AND next_attempt_at > ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, nowUnixMs);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes();
}

Result<std::vector<AttentionItem>> attentionList(Database& db, int limit) {
    auto stmt = db.prepare(
        "SELECT resource, natural_key, attention_version, coalesce(last_status, 0), coalesce(last_error, '')"
        " FROM outbox WHERE " OUTBOX_WAITING " AND " OUTBOX_ATTENTION " ORDER BY seq LIMIT ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, limit);
    std::vector<AttentionItem> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getText(0), stmt->getText(1), stmt->getInt(2), static_cast<int>(stmt->getInt(3)), stmt->getText(4)});
    }
    return out;
}

Result<std::vector<Waiting>> oldestWaiting(Database& db, int limit) {
    auto stmt = db.prepare(
        "SELECT resource, natural_key, first_queued_at, attempts FROM outbox WHERE " OUTBOX_WAITING
        " ORDER BY first_queued_at, seq LIMIT ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, limit);
    std::vector<Waiting> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getText(0), stmt->getText(1), stmt->getText(2), stmt->getInt(3)});
    }
    return out;
}

Result<std::vector<std::int64_t>> waitingByAge(Database& db, std::span<const std::int64_t> boundsSeconds) {
    // Age from first_queued_at (ISO 8601 UTC) by SQLite's own clock, so the
    // buckets agree with the times status prints.
    auto stmt = db.prepare("SELECT CAST((julianday('now') - julianday(first_queued_at)) * 86400 AS INTEGER) FROM outbox WHERE " OUTBOX_WAITING
                           " AND NOT " OUTBOX_ATTENTION ";");
    if (!stmt) return fail(stmt.error());
    std::vector<std::int64_t> out(boundsSeconds.size() + 1, 0);
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        std::int64_t age = stmt->getInt(0);
        std::size_t i = 0;
        while (i < boundsSeconds.size() && age >= boundsSeconds[i]) ++i;
        ++out[i];
    }
    return out;
}

Result<std::vector<PendingRecord>> pendingRecords(Database& db) {
    auto stmt = db.prepare("SELECT resource, natural_key, local_version, body, first_queued_at FROM outbox WHERE " OUTBOX_WAITING
                           " AND NOT " OUTBOX_ATTENTION " ORDER BY seq, resource, natural_key;");
    if (!stmt) return fail(stmt.error());
    std::vector<PendingRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getText(0), stmt->getText(1), stmt->getInt(2), stmt->getText(3), stmt->getText(4)});
    }
    return out;
}

} // namespace edsync::outbox
