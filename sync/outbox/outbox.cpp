#include "sync/outbox/outbox.hpp"

#include "sync/sqlite/migrations.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
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

// Version 2: deletions are rows like any other (op), the id the server gave
// the record (from a POST's Location: what a DELETE names), and the server's
// own words about the last failed attempt, kept apart from our cause.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE outbox ADD COLUMN op TEXT NOT NULL DEFAULT 'upsert' CHECK (op IN ('upsert', 'delete'));
ALTER TABLE outbox ADD COLUMN resource_id TEXT;
ALTER TABLE outbox ADD COLUMN last_problem_type TEXT;
ALTER TABLE outbox ADD COLUMN last_words TEXT;
ALTER TABLE outbox ADD COLUMN last_correlation_id TEXT;
ALTER TABLE outbox ADD COLUMN last_reply_at INTEGER;
)sql";

// Version 3: the state never goes backwards (docs/edfi.md, "Writers"). The
// ETag the server returned for the last acknowledged write (the If-Match of
// the next), and the record's identity (its natural key members as JSON),
// looked up before a first write so that one never overwrites a record
// another writer put there. maybe_sent: a request for the row may have
// reached the server without its answer reaching us (claimed, then no HTTP
// answer, or the process died): what the server holds may be our own.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE outbox ADD COLUMN etag TEXT;
ALTER TABLE outbox ADD COLUMN identity TEXT;
ALTER TABLE outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 4: the body of the last write that may be at the server without
// our knowing (no answer, sent twice, or answered other than 2xx after a
// resend). A 412 that finds exactly that body at the state found our own
// write, not another writer's (docs/edfi.md, "Writers").
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE outbox ADD COLUMN unanswered_body TEXT;
)sql";

// Version 5: what another machine of the site learnt the state holds, kept
// when this kiosk's row does not (yet) hold that body: the acknowledgement
// can reach the site log before the events that make the body here (a hub
// restarted between them). A withdrawal of a record known this way is a
// deletion to send even without a row here (putDeletion). It does not mark
// a row synced when put() reaches that body: an acknowledgement from an
// uploader that lost its lease can reach the log after newer ones, and
// nothing in it says which is newer (docs/edfi.md, "A site with a hub").
// Forgotten once the row's synced version moves on.
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE state_acks (
  resource    TEXT NOT NULL,
  natural_key TEXT NOT NULL,
  body        TEXT NOT NULL,
  resource_id TEXT,
  etag        TEXT,
  PRIMARY KEY (resource, natural_key)
) WITHOUT ROWID;
CREATE TRIGGER outbox_synced_forgets_state_ack AFTER UPDATE OF synced_version ON outbox
  WHEN new.synced_version > old.synced_version
BEGIN
  DELETE FROM state_acks WHERE resource = new.resource AND natural_key = new.natural_key;
END;
)sql";

// Version 6: acknowledgements in order. Each carries the uploader's order
// stamp (byte-comparable text; '' from releases before it, older than any),
// greater than every acknowledgement of the record that uploader had seen.
// The newest one known says what the state holds now, so an older one that
// arrives late is dropped, and a row whose body reaches the newest one's is
// synced without sending it (put()). A deletion at the state is remembered
// as a row with an empty body, so an older write's news cannot bring the
// record back (docs/edfi.md, "A site with a hub").
constexpr std::string_view kSchemaV6 = R"sql(
ALTER TABLE outbox ADD COLUMN ack_order TEXT NOT NULL DEFAULT '';
ALTER TABLE state_acks ADD COLUMN ack_order TEXT NOT NULL DEFAULT '';
)sql";

// Version 7: every write that may land late, not only the last (a first
// POST queued behind a slow server can land after a later version that was
// sent twice): a JSON array of bodies, oldest first (rememberUnanswered()).
constexpr std::string_view kSchemaV7 = R"sql(
ALTER TABLE outbox RENAME COLUMN unanswered_body TO unanswered_bodies;
UPDATE outbox SET unanswered_bodies = CASE WHEN json_valid(unanswered_bodies) THEN json_array(json(unanswered_bodies)) END
 WHERE unanswered_bodies IS NOT NULL;
)sql";

// Version 8: rows stored in the order they were queued. Keyed by
// (resource, natural key) alone, a WITHOUT ROWID table scattered neighbours
// in the queue over the whole file, so each claim and acknowledgement read
// and rewrote its own 4 KB page: a long backlog drained at the disk's pace
// (docs/benchmarks.md, "Backlog drain"). A rowid table keeps a queue's rows
// side by side; the key stays unique through its own index.
constexpr std::string_view kSchemaV8 = R"sql(
CREATE TABLE outbox_in_order (
  resource            TEXT NOT NULL,
  natural_key         TEXT NOT NULL,
  body                TEXT NOT NULL,
  local_version       INTEGER NOT NULL CHECK (local_version >= 1),
  synced_version      INTEGER NOT NULL DEFAULT 0,
  in_flight_version   INTEGER,
  seq                 INTEGER NOT NULL,
  first_queued_at     TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  attempts            INTEGER NOT NULL DEFAULT 0,
  next_attempt_at     INTEGER NOT NULL DEFAULT 0,
  last_status         INTEGER,
  last_error          TEXT,
  attention_version   INTEGER,
  op                  TEXT NOT NULL DEFAULT 'upsert' CHECK (op IN ('upsert', 'delete')),
  resource_id         TEXT,
  last_problem_type   TEXT,
  last_words          TEXT,
  last_correlation_id TEXT,
  last_reply_at       INTEGER,
  etag                TEXT,
  identity            TEXT,
  maybe_sent          INTEGER NOT NULL DEFAULT 0,
  unanswered_bodies   TEXT,
  ack_order           TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_in_order (resource, natural_key, body, local_version, synced_version, in_flight_version, seq,
  first_queued_at, updated_at, attempts, next_attempt_at, last_status, last_error, attention_version, op, resource_id,
  last_problem_type, last_words, last_correlation_id, last_reply_at, etag, identity, maybe_sent, unanswered_bodies,
  ack_order)
SELECT resource, natural_key, body, local_version, synced_version, in_flight_version, seq,
  first_queued_at, updated_at, attempts, next_attempt_at, last_status, last_error, attention_version, op, resource_id,
  last_problem_type, last_words, last_correlation_id, last_reply_at, etag, identity, maybe_sent, unanswered_bodies,
  ack_order
FROM outbox ORDER BY seq;
DROP TABLE outbox;
ALTER TABLE outbox_in_order RENAME TO outbox;
CREATE UNIQUE INDEX outbox_key ON outbox (resource, natural_key);
CREATE INDEX outbox_queue ON outbox (seq) WHERE local_version > synced_version;
CREATE TRIGGER outbox_synced_forgets_state_ack AFTER UPDATE OF synced_version ON outbox
  WHEN new.synced_version > old.synced_version
BEGIN
  DELETE FROM state_acks WHERE resource = new.resource AND natural_key = new.natural_key;
END;
)sql";

// Version 9: the bodies a row held and replaced before any acknowledgement
// from here (put()): another machine of the site may have sent one.
constexpr std::string_view kSchemaV9 = R"sql(
ALTER TABLE outbox ADD COLUMN held_bodies TEXT;
)sql";

// Version 10: whether the state holds a version of the record, as this
// kiosk last learnt (an upsert acknowledged here or by the site: 1; a
// deletion acknowledged, adopted or settled at once: 0). A deletion of a
// row whose last word at the state was a deletion, and that was not sent
// since, has nothing to delete: synced_version > 0 alone cannot say so (a
// deletion settled at once moves it too). Rows from before it: 1 unless the
// last version synced was the deletion itself (at worst a lookup that finds
// nothing).
constexpr std::string_view kSchemaV10 = R"sql(
ALTER TABLE outbox ADD COLUMN at_state INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET at_state = 1 WHERE synced_version > 0 AND NOT (op = 'delete' AND synced_version >= local_version);
)sql";

// Version 11: the order stamp of the news this kiosk shared on the site log
// that its last write went unanswered (UploadOptions::onUnanswered), or ''.
// While a write from here may be at the state (maybe_sent), the site's news
// settles the row only when it is newer than that: it then tells what the
// state holds after that write. A new send clears it. site_unanswered: such
// news of another machine for a record with no row here yet; the row put()
// makes for it takes those bodies as the site's own.
constexpr std::string_view kSchemaV11 = R"sql(
ALTER TABLE outbox ADD COLUMN unanswered_order TEXT NOT NULL DEFAULT '';
CREATE TABLE site_unanswered (
  resource    TEXT NOT NULL,
  natural_key TEXT NOT NULL,
  bodies      TEXT NOT NULL,
  ack_order   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (resource, natural_key)
) WITHOUT ROWID;
)sql";

constexpr std::array kMigrations{
    sqlite::Migration{1, kSchemaV1},
    sqlite::Migration{2, kSchemaV2},
    sqlite::Migration{3, kSchemaV3},
    sqlite::Migration{4, kSchemaV4},
    sqlite::Migration{5, kSchemaV5},
    sqlite::Migration{6, kSchemaV6},
    sqlite::Migration{7, kSchemaV7},
    sqlite::Migration{8, kSchemaV8},
    sqlite::Migration{9, kSchemaV9},
    sqlite::Migration{10, kSchemaV10},
    sqlite::Migration{11, kSchemaV11},
};

constexpr std::string_view kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Shared predicate fragments, so counts and claims agree on what each state is.
#define OUTBOX_ATTENTION "(attention_version IS NOT NULL AND attention_version = local_version)"
#define OUTBOX_WAITING "(local_version > synced_version)"
// Stopped by the write guard: a 412, or a first write that found the record
// already at the server (kAlreadyAtServer).
#define OUTBOX_WRITE_GUARD "(attention_version IS NOT NULL AND (last_status = 412 OR last_problem_type = 'urn:testsite-kiosk:already-at-state'))"

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

std::span<const sqlite::Migration> migrations() { return kMigrations; }

namespace {

// The stored array of bodies that may land late; an unreadable one is taken
// as none (a 412 then waits for a person rather than guessing).
std::vector<std::string> unansweredList(const std::optional<std::string>& stored) {
    std::vector<std::string> bodies;
    if (!stored) return bodies;
    nlohmann::json list = nlohmann::json::parse(*stored, nullptr, false);
    if (!list.is_array()) return bodies;
    for (const auto& body : list) bodies.push_back(body.dump());
    return bodies;
}

// An order never binds as NULL (a default string_view has no data).
std::string_view orderText(std::string_view order) { return order.data() != nullptr ? order : std::string_view(""); }

// The SET clauses that make a row settled here wait again where `when`
// holds (the site's news says the state lacks this kiosk's picture): a new
// local version, queued from now, due at once.
std::string waitAgainWhen(std::string_view when) {
    const std::string w(when);
    return " local_version = CASE WHEN " + w + " THEN local_version + 1 ELSE local_version END,"
           " first_queued_at = CASE WHEN " + w + " THEN " + std::string(kNow) + " ELSE first_queued_at END,"
           " next_attempt_at = CASE WHEN " + w + " THEN 0 ELSE next_attempt_at END,";
}

// Runs a statement about one record whose only parameters are ?1 (its
// resource) and ?2 (its key).
Status runForRecord(Database& db, std::string_view sql, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(sql);
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    return stmt->run();
}

// A row synced here holds what the state holds (by ordered news): remembered
// before put() or putDeletion() replaces its body, so that coming back to
// it before anything was sent settles the row rather than sending it again
// (on a site only the lease holder sends: another kiosk would wait for ever).
Status rememberSynced(Database& db, std::string_view resource, std::string_view naturalKey, std::optional<std::string_view> next) {
    auto held = db.prepare(
        "INSERT INTO state_acks (resource, natural_key, body, resource_id, etag, ack_order)"
        " SELECT resource, natural_key, body, resource_id, etag, ack_order FROM outbox"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'upsert' AND at_state = 1 AND synced_version >= local_version"
        " AND in_flight_version IS NULL AND ack_order <> '' AND (?3 IS NULL OR body <> ?3)"
        " ON CONFLICT (resource, natural_key) DO UPDATE SET body = excluded.body, resource_id = excluded.resource_id,"
        " etag = excluded.etag, ack_order = excluded.ack_order WHERE excluded.ack_order >= state_acks.ack_order;");
    if (!held) return fail(held.error());
    held->bind(1, resource).bind(2, naturalKey);
    if (next) held->bind(3, *next);
    else held->bind(3, nullptr);
    return held->run();
}

// Another machine's writes that may be at the state, learnt before this
// kiosk had a row for the record (adoptUnanswered): the row takes them as
// the site's own, so its first write's lookup does not stop at them.
Status takeSiteUnanswered(Database& db, std::string_view resource, std::string_view naturalKey) {
    if (auto s = runForRecord(db,
            "UPDATE outbox SET unanswered_bodies = u.bodies, at_state = 1, ack_order = max(outbox.ack_order, u.ack_order)"
            " FROM site_unanswered u WHERE outbox.resource = ?1 AND outbox.natural_key = ?2 AND u.resource = ?1"
            " AND u.natural_key = ?2 AND outbox.unanswered_bodies IS NULL;",
            resource, naturalKey);
        !s)
        return s;
    return runForRecord(db, "DELETE FROM site_unanswered WHERE resource = ?1 AND natural_key = ?2;", resource, naturalKey);
}

// Keeps the site's word that bodies of a record with no row here may be at
// the state, for the row put() or putDeletion() makes (takeSiteUnanswered).
Status keepSiteUnanswered(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view bodies,
                          std::string_view order) {
    auto site = db.prepare(
        "INSERT INTO site_unanswered (resource, natural_key, bodies, ack_order) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (resource, natural_key) DO UPDATE SET bodies = ?3, ack_order = max(ack_order, ?4);");
    if (!site) return fail(site.error());
    site->bind(1, resource).bind(2, naturalKey).bind(3, bodies).bind(4, orderText(order));
    return site->run();
}

} // namespace

std::string rememberUnanswered(const std::vector<std::string>& kept, std::string_view body) {
    nlohmann::json newest = nlohmann::json::parse(body, nullptr, false);
    if (newest.is_discarded()) newest = std::string(body);  // kept as text: it still names what was sent
    nlohmann::json list = nlohmann::json::array();
    for (const std::string& text : kept) {
        nlohmann::json old = nlohmann::json::parse(text, nullptr, false);
        if (!old.is_discarded() && old != newest) list.push_back(std::move(old));
    }
    list.push_back(std::move(newest));
    if (list.size() > kUnansweredKept) list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(kUnansweredKept));
    return list.dump();
}

Result<std::int64_t> put(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                         std::int64_t seq, std::string_view identityJson) {
    // A body the row held that was never acknowledged from here may reach the
    // state all the same: another machine of the site held the uploader lease
    // and sent it, and was gone before its acknowledgement reached the site
    // log. So it is kept (held_bodies), and the write guard knows it for the
    // site's own (docs/edfi.md, "Writers").
    std::optional<std::string> held;
    {
        auto old = db.prepare("SELECT body, held_bodies FROM outbox WHERE resource = ?1 AND natural_key = ?2"
                              " AND op = 'upsert' AND local_version > synced_version;");
        if (!old) return fail(old.error());
        old->bind(1, resource).bind(2, naturalKey);
        auto row = old->step();
        if (!row) return fail(row.error());
        if (*row && old->getText(0) != json) held = rememberUnanswered(unansweredList(old->getOptionalText(1)), old->getText(0));
    }
    if (auto s = rememberSynced(db, resource, naturalKey, json); !s) return fail(s.error());
    // first_queued_at restarts only when the row goes from synced to waiting.
    auto stmt = db.prepare(std::string(
        "INSERT INTO outbox (resource, natural_key, body, local_version, seq, first_queued_at, updated_at, identity)"
        " VALUES (?1, ?2, ?3, 1, ?4, ") + std::string(kNow) + ", " + std::string(kNow) + ", ?5)"
        " ON CONFLICT (resource, natural_key) DO UPDATE SET"
        "  body = excluded.body,"
        "  identity = coalesce(excluded.identity, outbox.identity),"
        "  local_version = outbox.local_version + 1,"
        "  seq = excluded.seq,"
        "  first_queued_at = CASE WHEN outbox.local_version > outbox.synced_version"
        "                    THEN outbox.first_queued_at ELSE excluded.first_queued_at END,"
        "  updated_at = excluded.updated_at,"
        "  next_attempt_at = 0,"
        "  attention_version = NULL,"
        "  op = 'upsert',"
        "  held_bodies = coalesce(?6, outbox.held_bodies)"
        // The same body again (a rebuild that changed nothing) is no new
        // version: nothing to send, and a row the site's news settled stays so.
        " WHERE NOT (outbox.op = 'upsert' AND outbox.body = excluded.body)"
        " RETURNING local_version;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, json).bind(4, seq);
    if (identityJson.empty()) stmt->bind(5, nullptr);
    else stmt->bind(5, identityJson);
    if (held) stmt->bind(6, *held);
    else stmt->bind(6, nullptr);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) {
        auto same = db.prepare("SELECT local_version FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
        if (!same) return fail(same.error());
        same->bind(1, resource).bind(2, naturalKey);
        auto found = same->step();
        if (!found) return fail(found.error());
        return *found ? same->getInt(0) : std::int64_t{0};
    }
    std::int64_t version = stmt->getInt(0);
    if (auto s = stmt->run(); !s) return fail(s.error());
    if (auto s = takeSiteUnanswered(db, resource, naturalKey); !s) return fail(s.error());
    // News the site had of the record before this row knew it (it came
    // with no row here): the state's id and ETag guard this row's write, so
    // it is not taken for a stranger's record at the state.
    if (auto s = runForRecord(db,
            "UPDATE outbox SET resource_id = coalesce(a.resource_id, outbox.resource_id), etag = a.etag, ack_order = a.ack_order,"
            " at_state = 1 FROM state_acks a WHERE outbox.resource = ?1 AND outbox.natural_key = ?2 AND a.resource = ?1"
            " AND a.natural_key = ?2 AND a.body <> '' AND a.ack_order > outbox.ack_order;",
            resource, naturalKey);
        !s)
        return fail(s.error());
    // The site already learnt the state holds exactly this body, and nothing
    // newer: nothing to send (only ordered acknowledgements are trusted so).
    // Not when a write from here may have reached the state since without
    // an answer (maybe_sent): the state may hold that one instead, unless
    // the news is newer than this kiosk's word on the site log that it may.
    if (auto s = runForRecord(db,
            "UPDATE outbox SET synced_version = local_version, attempts = 0, attention_version = NULL, at_state = 1,"
            " resource_id = coalesce(a.resource_id, outbox.resource_id), etag = coalesce(a.etag, outbox.etag), ack_order = a.ack_order"
            " FROM state_acks a WHERE outbox.resource = ?1 AND outbox.natural_key = ?2 AND a.resource = ?1 AND a.natural_key = ?2"
            " AND a.ack_order <> '' AND a.ack_order >= outbox.ack_order AND a.body = outbox.body AND outbox.op = 'upsert'"
            " AND outbox.in_flight_version IS NULL"
            " AND (outbox.maybe_sent = 0 OR (outbox.unanswered_order <> '' AND a.ack_order > outbox.unanswered_order));",
            resource, naturalKey);
        !s)
        return fail(s.error());
    return version;
}

Result<std::optional<std::int64_t>> putDeletion(Database& db, std::string_view resource, std::string_view naturalKey,
                                                std::string_view identityJson, std::int64_t seq) {
    // A row the state holds no version of (never written, or its last word
    // there a deletion), not sent since (or the site's news of a deletion
    // is newer than this kiosk's word that its write went unanswered:
    // setUnansweredOrder), and no acknowledgement from the
    // site that the state holds it: nothing to delete, so the deletion is
    // settled at once (versions only grow). Every kiosk of a site then ends
    // with nothing waiting for the record, whatever order it learnt the
    // facts in (one that never saw the record has no row); a kiosk that did
    // send it keeps a deletion to send.
    auto settled = db.prepare(std::string(
        "UPDATE outbox SET body = ?3, op = 'delete', local_version = local_version + 1, synced_version = local_version + 1,"
        "  seq = ?4, attempts = 0, updated_at = ") + std::string(kNow) + ", next_attempt_at = 0, attention_version = NULL"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'upsert' AND at_state = 0"
        " AND (maybe_sent = 0 OR (unanswered_order <> '' AND ack_order > unanswered_order))"
        " AND in_flight_version IS NULL AND unanswered_bodies IS NULL AND resource_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM state_acks a WHERE a.resource = ?1 AND a.natural_key = ?2 AND a.body <> '');");
    if (!settled) return fail(settled.error());
    settled->bind(1, resource).bind(2, naturalKey).bind(3, identityJson).bind(4, seq);
    if (auto s = settled->run(); !s) return fail(s.error());
    if (db.changes() > 0) return std::optional<std::int64_t>{};
    if (auto s = rememberSynced(db, resource, naturalKey, std::nullopt); !s) return fail(s.error());
    // Only a record that was queued as an upsert can exist at the server, or
    // one the site learnt the state holds (adoptWrite) or may hold (another
    // machine's write went unanswered: adoptUnanswered): a row is made for
    // it here, to be deleted (by a lookup of its id when none is known).
    // Otherwise, with no row here, the state holds nothing of it: the
    // withdrawal is kept as a settled deletion, so that such news learnt
    // later reopens it; without a row, that news could not tell a withdrawn
    // record from one whose events have not reached this kiosk yet.
    constexpr std::string_view kAtState =
        "(EXISTS (SELECT 1 FROM state_acks WHERE resource = ?1 AND natural_key = ?2 AND body <> '')"
        " OR EXISTS (SELECT 1 FROM site_unanswered WHERE resource = ?1 AND natural_key = ?2))";
    auto made = db.prepare(std::string(
        "INSERT INTO outbox (resource, natural_key, body, local_version, synced_version, seq, first_queued_at, updated_at, identity,"
        " op, resource_id, etag, at_state)"
        " VALUES (?1, ?2, ?4, 1, 1, ?3, ") + std::string(kNow) + ", " + std::string(kNow) + ", ?4,"
        " CASE WHEN " + std::string(kAtState) + " THEN 'upsert' ELSE 'delete' END,"
        " (SELECT resource_id FROM state_acks WHERE resource = ?1 AND natural_key = ?2 AND body <> ''),"
        " (SELECT etag FROM state_acks WHERE resource = ?1 AND natural_key = ?2 AND body <> ''),"
        " " + std::string(kAtState) +
        ") ON CONFLICT (resource, natural_key) DO NOTHING;");
    if (!made) return fail(made.error());
    made->bind(1, resource).bind(2, naturalKey).bind(3, seq).bind(4, identityJson);
    if (auto s = made->run(); !s) return fail(s.error());
    if (auto s = takeSiteUnanswered(db, resource, naturalKey); !s) return fail(s.error());
    auto stmt = db.prepare(std::string(
        "UPDATE outbox SET body = ?3, op = 'delete', local_version = local_version + 1, seq = ?4,"
        "  first_queued_at = CASE WHEN local_version > synced_version THEN first_queued_at ELSE ") + std::string(kNow) + " END,"
        "  updated_at = " + std::string(kNow) + ", next_attempt_at = 0, attention_version = NULL"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'upsert' RETURNING local_version;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, identityJson).bind(4, seq);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<std::int64_t>{};
    std::int64_t version = stmt->getInt(0);
    if (auto s = stmt->run(); !s) return fail(s.error());
    return std::optional<std::int64_t>{version};
}

std::string_view opName(Op op) { return op == Op::Delete ? "delete" : "upsert"; }

namespace {

constexpr std::string_view kCountColumns =
    " coalesce(sum(" OUTBOX_WAITING " AND NOT " OUTBOX_ATTENTION "), 0),"
    " coalesce(sum(" OUTBOX_WAITING " AND in_flight_version IS NOT NULL AND NOT " OUTBOX_ATTENTION "), 0),"
    " coalesce(sum(NOT " OUTBOX_WAITING "), 0),"
    " coalesce(sum(" OUTBOX_WAITING " AND " OUTBOX_ATTENTION "), 0),"
    " coalesce(min(CASE WHEN " OUTBOX_WAITING " THEN first_queued_at END), '')";

Counts readCounts(const sqlite::Statement& s, int first) {
    Counts c;
    c.pending = s.getInt(first);
    c.inFlight = s.getInt(first + 1);
    c.synced = s.getInt(first + 2);
    c.needsAttention = s.getInt(first + 3);
    c.oldestWaitingSince = s.getText(first + 4);
    return c;
}

} // namespace

Result<Counts> counts(Database& db) {
    // Read on every view the window builds: only the waiting rows are read
    // (the queue's partial index), and the synced ones counted on the
    // smallest index. One pass over every row's page took ~44 ms with
    // 100,000 rows in the outbox; this takes ~4 ms.
    auto stmt = db.prepare("SELECT (SELECT count(*) FROM outbox), count(*),"
                           " coalesce(sum(NOT " OUTBOX_ATTENTION "), 0),"
                           " coalesce(sum(in_flight_version IS NOT NULL AND NOT " OUTBOX_ATTENTION "), 0),"
                           " coalesce(sum(" OUTBOX_ATTENTION "), 0),"
                           " coalesce(min(first_queued_at), '')"
                           " FROM outbox WHERE " OUTBOX_WAITING ";");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    Counts c;
    c.synced = stmt->getInt(0) - stmt->getInt(1);
    c.pending = stmt->getInt(2);
    c.inFlight = stmt->getInt(3);
    c.needsAttention = stmt->getInt(4);
    c.oldestWaitingSince = stmt->getText(5);
    return c;
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

namespace {

// last_status at `statusCol`; last_problem_type, last_words, last_correlation_id, last_reply_at from `first`.
LastReply readReply(const sqlite::Statement& s, int statusCol, int first) {
    LastReply r;
    if (auto v = s.getOptionalInt(statusCol)) r.httpStatus = static_cast<int>(*v);
    r.problemType = s.getOptionalText(first).value_or("");
    r.words = s.getOptionalText(first + 1).value_or("");
    r.correlationId = s.getOptionalText(first + 2).value_or("");
    r.atUnixMs = s.getOptionalInt(first + 3);
    return r;
}

} // namespace

Result<std::optional<RecordStatus>> status(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(
        "SELECT local_version, synced_version, in_flight_version, attempts, last_status, last_error,"
        " " OUTBOX_ATTENTION ", op, resource_id, last_problem_type, last_words, last_correlation_id, last_reply_at"
        " FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
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
    r.op = stmt->getText(7) == "delete" ? Op::Delete : Op::Upsert;
    r.resourceId = stmt->getOptionalText(8);
    r.reply = readReply(*stmt, 4, 9);
    if (r.syncedVersion >= r.localVersion) r.state = State::Synced;
    else if (stmt->getInt(6) != 0) r.state = State::NeedsAttention;
    else if (!stmt->isNull(2)) r.state = State::InFlight;
    else r.state = State::Pending;
    return std::optional<RecordStatus>{r};
}

Result<std::optional<KeptRecord>> keptRecord(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare("SELECT coalesce(identity, body), op FROM outbox WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<KeptRecord>{};
    return std::optional<KeptRecord>{KeptRecord{stmt->getText(0), stmt->getText(1) != "delete"}};
}

namespace {

constexpr const char* kClaimSelect =
    "SELECT resource, natural_key, body, local_version, attempts, seq, op, resource_id, etag, identity, synced_version > 0,"
    " maybe_sent, unanswered_bodies, held_bodies"
    " FROM outbox"
    " WHERE " OUTBOX_WAITING " AND seq > ?3 AND in_flight_version IS NULL AND NOT " OUTBOX_ATTENTION
    "   AND next_attempt_at <= ?1"
    " ORDER BY seq LIMIT ?2;";
constexpr const char* kClaimMark =
    "UPDATE outbox SET in_flight_version = ?3, attempts = attempts + 1, maybe_sent = 1, unanswered_order = ''"
    " WHERE resource = ?1 AND natural_key = ?2;";
// ?4: the op that was acknowledged; ?5: the id a POST's Location named (or
// NULL); ?6: the ETag the server returned (or NULL: it gave none, so the next
// write cannot be guarded). A deletion forgets both; an upsert keeps the
// last id known.
constexpr const char* kAcknowledge =
    "UPDATE outbox SET synced_version = max(synced_version, ?3), in_flight_version = NULL,"
    " attempts = CASE WHEN local_version <= ?3 THEN 0 ELSE attempts END,"
    " last_status = NULL, last_error = NULL, next_attempt_at = 0,"
    " last_problem_type = NULL, last_words = NULL, last_correlation_id = NULL, last_reply_at = NULL,"
    " resource_id = CASE WHEN ?4 = 'delete' THEN NULL ELSE coalesce(?5, resource_id) END,"
    " etag = CASE WHEN ?4 = 'delete' THEN NULL ELSE ?6 END, maybe_sent = 0,"
    " at_state = CASE WHEN ?4 = 'delete' THEN 0 ELSE 1 END,"
    " unanswered_bodies = CASE WHEN ?4 = 'delete' THEN NULL ELSE coalesce(?7, unanswered_bodies) END"
    " WHERE resource = ?1 AND natural_key = ?2;";
constexpr const char* kRetryLater =
    "UPDATE outbox SET in_flight_version = NULL, next_attempt_at = ?4, last_status = ?5, last_error = ?6,"
    " last_problem_type = ?7, last_words = ?8, last_correlation_id = ?9, last_reply_at = ?10,"
    // Only the uploader knows whether the request answered was the write
    // itself: a refused lookup says nothing about an earlier unanswered POST.
    " maybe_sent = coalesce(?11, maybe_sent), unanswered_bodies = coalesce(?12, unanswered_bodies)"
    " WHERE resource = ?1 AND natural_key = ?2 AND in_flight_version = ?3;";
constexpr const char* kNeedsAttention =
    "UPDATE outbox SET in_flight_version = NULL, attention_version = ?3, last_status = ?4, last_error = ?5,"
    " last_problem_type = ?6, last_words = ?7, last_correlation_id = ?8, last_reply_at = ?9, maybe_sent = 0"
    " WHERE resource = ?1 AND natural_key = ?2;";
constexpr const char* kUnclaim =
    "UPDATE outbox SET in_flight_version = NULL, attempts = max(0, attempts - 1), maybe_sent = ?4"
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
        c.op = select.getText(6) == "delete" ? Op::Delete : Op::Upsert;
        c.resourceId = select.getOptionalText(7).value_or("");
        c.etag = select.getOptionalText(8).value_or("");
        c.identity = select.getOptionalText(9).value_or("");
        c.acknowledgedBefore = select.getInt(10) != 0;
        c.maybeDelivered = select.getInt(11) != 0;
        c.unansweredBodies = unansweredList(select.getOptionalText(12));
        c.heldBodies = unansweredList(select.getOptionalText(13));
        claims.push_back(std::move(c));
    }
    select.reset();
    for (const Claim& c : claims)
        if (Status status = runOnce(mark, c.resource, c.naturalKey, c.version); !status) return fail(status.error());
    return claims;
}

std::optional<std::string_view> nullIfEmpty(std::string_view text) {
    if (text.empty()) return std::nullopt;
    return text;
}

Status acknowledgeWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version, Op op,
                       std::optional<std::string_view> resourceId, std::optional<std::string_view> etag,
                       std::optional<std::string_view> mayLandLate = std::nullopt) {
    return runOnce(stmt, resource, naturalKey, version, opName(op), resourceId, etag, mayLandLate);
}

Status retryLaterWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      std::int64_t retryAtUnixMs, const Failure& f) {
    return runOnce(stmt, resource, naturalKey, version, retryAtUnixMs, f.httpStatus, std::string_view(f.cause), nullIfEmpty(f.problemType),
                   nullIfEmpty(f.words), nullIfEmpty(f.correlationId), f.atUnixMs,
                   f.maybeSent ? std::optional<std::int64_t>(*f.maybeSent ? 1 : 0) : std::nullopt,
                   f.unansweredBodies ? std::optional<std::string_view>(*f.unansweredBodies) : std::nullopt);
}

Status needsAttentionWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                          const Failure& f) {
    return runOnce(stmt, resource, naturalKey, version, f.httpStatus.value_or(0), std::string_view(f.cause), nullIfEmpty(f.problemType),
                   nullIfEmpty(f.words), nullIfEmpty(f.correlationId), f.atUnixMs);
}

Status unclaimWith(sqlite::Statement& stmt, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                   bool maybeSentBefore) {
    return runOnce(stmt, resource, naturalKey, version, static_cast<std::int64_t>(maybeSentBefore ? 1 : 0));
}

Failure plainFailure(std::optional<int> httpStatus, std::string_view cause) {
    Failure f;
    f.httpStatus = httpStatus;
    f.cause = std::string(cause);
    return f;
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
    return acknowledge(db, resource, naturalKey, version, Op::Upsert, std::nullopt);
}

Status acknowledge(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version, Op op,
                   std::optional<std::string_view> resourceId, std::optional<std::string_view> etag) {
    auto stmt = db.prepare(kAcknowledge);
    if (!stmt) return fail(stmt.error());
    return acknowledgeWith(*stmt, resource, naturalKey, version, op, resourceId, etag);
}

namespace {

// An id or ETag the server did not give is stored as NULL, not as ''.
void bindOrNull(sqlite::Statement& stmt, int index, std::string_view text) {
    if (text.empty()) stmt.bind(index, nullptr);
    else stmt.bind(index, text);
}

// The newest acknowledgement of this record this kiosk knows of, by order:
// on its row (its own, or one that settled or guarded it) or remembered.
Result<std::string> newestAckOrder(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(
        "SELECT max(coalesce((SELECT ack_order FROM outbox WHERE resource = ?1 AND natural_key = ?2), ''),"
        " coalesce((SELECT ack_order FROM state_acks WHERE resource = ?1 AND natural_key = ?2), ''));");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return *row ? stmt->getText(0) : std::string();
}

Status remember(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view body,
                std::string_view resourceId, std::string_view etag, std::string_view order) {
    auto stmt = db.prepare(
        "INSERT INTO state_acks (resource, natural_key, body, resource_id, etag, ack_order) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (resource, natural_key) DO UPDATE SET body = excluded.body,"
        " resource_id = CASE WHEN excluded.body = '' THEN NULL ELSE coalesce(excluded.resource_id, state_acks.resource_id) END,"
        " etag = excluded.etag, ack_order = excluded.ack_order;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, body);
    bindOrNull(*stmt, 4, resourceId);
    bindOrNull(*stmt, 5, etag);
    stmt->bind(6, orderText(order));
    return stmt->run();
}

} // namespace

Result<std::string> ackOrder(Database& db, std::string_view resource, std::string_view naturalKey) {
    return newestAckOrder(db, resource, naturalKey);
}

Status setAckOrder(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order) {
    auto stmt = db.prepare("UPDATE outbox SET ack_order = ?3 WHERE resource = ?1 AND natural_key = ?2 AND ack_order < ?3;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, orderText(order));
    return stmt->run();
}

Status setUnansweredOrder(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order) {
    auto stmt = db.prepare("UPDATE outbox SET unanswered_order = ?3 WHERE resource = ?1 AND natural_key = ?2 AND maybe_sent = 1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, orderText(order));
    return stmt->run();
}

namespace {

Status reopenDeletion(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view resourceId,
                      std::string_view etag, std::string_view order) {
    auto stmt = db.prepare(std::string(
        "UPDATE outbox SET resource_id = coalesce(?3, resource_id), etag = ?4, ack_order = ?5, at_state = 1,") +
        waitAgainWhen("(synced_version >= local_version)") +
        " attention_version = CASE WHEN synced_version >= local_version THEN NULL ELSE attention_version END"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'delete' AND ?5 > ack_order;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    bindOrNull(*stmt, 3, resourceId);
    bindOrNull(*stmt, 4, etag);
    stmt->bind(5, orderText(order));
    return stmt->run();
}

} // namespace

Result<bool> adoptWrite(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                        std::string_view resourceId, std::string_view etag, std::string_view order) {
    // Older news than what this kiosk knows (an uploader's acknowledgement
    // that reached the log late, after a newer one): the state has moved on.
    auto newest = newestAckOrder(db, resource, naturalKey);
    if (!newest) return fail(newest.error());
    if (order < *newest) return false;
    // The row is synced only when it holds exactly what was written and is
    // not in flight here (a request on its way settles itself). The id and
    // ETag guard the next write from here: an ordered acknowledgement is the
    // newest known (older news returned above), so its ETag is the state's
    // now; an unordered one only when this kiosk has not since had a newer
    // version of its own acknowledged (an older write's news, late). A row
    // synced with another body waits again: the state no longer holds what
    // this kiosk's events make (when they catch up with the news, put()
    // settles it against the remembered body; otherwise whoever uploads
    // sends this kiosk's picture, guarded by the state's ETag).
    constexpr std::string_view kRequeue =
        "(?6 > ack_order AND body <> ?3 AND synced_version >= local_version AND in_flight_version IS NULL)";
    auto stmt = db.prepare(std::string(
        "UPDATE outbox SET") + waitAgainWhen(kRequeue) +
        " resource_id = CASE WHEN ?6 <> '' OR body = ?3 OR synced_version < local_version THEN coalesce(?4, resource_id)"
        "               ELSE resource_id END,"
        " etag = CASE WHEN ?6 <> '' OR body = ?3 OR synced_version < local_version THEN ?5 ELSE etag END,"
        " ack_order = CASE WHEN ?6 <> '' OR body = ?3 OR synced_version < local_version THEN ?6 ELSE ack_order END,"
        " synced_version = CASE WHEN body = ?3 AND op = 'upsert' AND in_flight_version IS NULL THEN local_version"
        "                  ELSE synced_version END,"
        " attempts = CASE WHEN body = ?3 AND op = 'upsert' AND in_flight_version IS NULL THEN 0 ELSE attempts END,"
        // Stopped by the write guard (a record at the state not known to be
        // the site's): the news says whose it is, so the write goes again,
        // guarded by its ETag.
        " attention_version = CASE WHEN body = ?3 AND op = 'upsert' AND in_flight_version IS NULL THEN NULL"
        "                     WHEN ?6 > ack_order AND " OUTBOX_WRITE_GUARD " THEN NULL"
        "                     ELSE attention_version END,"
        " at_state = 1"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'upsert'"
        " RETURNING synced_version >= local_version AND body = ?3;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, json);
    bindOrNull(*stmt, 4, resourceId);
    bindOrNull(*stmt, 5, etag);
    stmt->bind(6, orderText(order));
    auto row = stmt->step();
    if (!row) return fail(row.error());
    bool synced = *row && stmt->getInt(0) != 0;
    if (*row)
        if (auto s = stmt->run(); !s) return fail(s.error());
    if (synced) {
        // Settling forgot what was remembered (the trigger); a row already
        // synced with this body keeps the newest order on its row.
        if (auto s = setAckOrder(db, resource, naturalKey, order); !s) return fail(s.error());
        return true;
    }
    // This kiosk's last word on the record was its withdrawal, and the state
    // holds it after all (an uploader sent a write before the withdrawal
    // reached it, then lost its lease): the deletion waits again, by the id
    // the state gave, so whoever uploads from here removes it. Only news
    // newer than any this row has seen (the same news twice reopens nothing).
    if (auto s = reopenDeletion(db, resource, naturalKey, resourceId, etag, order); !s) return fail(s.error());
    // No row here yet, or one that waits with another body: remember what
    // the state holds, for when this kiosk's own events catch up.
    if (auto s = remember(db, resource, naturalKey, json, resourceId, etag, order); !s) return fail(s.error());
    return false;
}

Result<bool> adoptDeletion(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order) {
    auto newest = newestAckOrder(db, resource, naturalKey);
    if (!newest) return fail(newest.error());
    if (order < *newest) return false;  // the record was written again since
    // The state no longer holds what an earlier acknowledgement said it did;
    // an ordered deletion is remembered (an empty body) so that older news
    // of a write cannot bring it back.
    if (order.empty()) {
        if (auto s = runForRecord(db, "DELETE FROM state_acks WHERE resource = ?1 AND natural_key = ?2;", resource, naturalKey); !s)
            return fail(s.error());
    } else if (auto s = remember(db, resource, naturalKey, "", "", "", order); !s) {
        return fail(s.error());
    }
    // Writes the site learnt went unanswered before this news, kept for a
    // row not made here yet: gone from the state with it.
    auto stale = db.prepare("DELETE FROM site_unanswered WHERE resource = ?1 AND natural_key = ?2 AND ?3 > ack_order;");
    if (!stale) return fail(stale.error());
    stale->bind(1, resource).bind(2, naturalKey).bind(3, orderText(order));
    if (auto s = stale->run(); !s) return fail(s.error());
    // Whatever this kiosk holds, the state holds no version now: a later
    // withdrawal of a write not sent since has nothing to delete, and a
    // write this kiosk's events still make waits to be created again (news
    // newer than any this row has seen).
    const std::string reopen = "(op = 'upsert' AND ?3 > ack_order AND synced_version >= local_version AND in_flight_version IS NULL)";
    auto gone = db.prepare(
        "UPDATE outbox SET at_state = 0," + waitAgainWhen(reopen) +
        " resource_id = CASE WHEN op = 'upsert' AND ?3 > ack_order THEN NULL ELSE resource_id END,"
        " etag = CASE WHEN op = 'upsert' AND ?3 > ack_order THEN NULL ELSE etag END,"
        " ack_order = CASE WHEN op = 'upsert' AND ?3 > ack_order THEN ?3 ELSE ack_order END,"
        // Writes the site learnt went unanswered before this news are gone
        // from the state with it: a later withdrawal here has nothing to
        // delete. Not this kiosk's own unanswered write newer than the news.
        " unanswered_bodies = CASE WHEN ?3 > ack_order AND (maybe_sent = 0 OR (unanswered_order <> '' AND ?3 > unanswered_order))"
        "                     THEN NULL ELSE unanswered_bodies END"
        " WHERE resource = ?1 AND natural_key = ?2;");
    if (!gone) return fail(gone.error());
    gone->bind(1, resource).bind(2, naturalKey).bind(3, orderText(order));
    if (auto s = gone->run(); !s) return fail(s.error());
    auto stmt = db.prepare(
        "UPDATE outbox SET synced_version = local_version, attempts = 0, attention_version = NULL, resource_id = NULL, etag = NULL,"
        " ack_order = ?3"
        " WHERE resource = ?1 AND natural_key = ?2 AND op = 'delete' AND in_flight_version IS NULL AND synced_version < local_version;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, orderText(order));
    if (auto s = stmt->run(); !s) return fail(s.error());
    return db.changes() > 0;
}

namespace {

// What this kiosk keeps of a record's unanswered writes, for the site's news
// of another: whether a row holds them (or site_unanswered, with no row
// yet), the bodies kept so far, and the body the site last knew the state
// held (this row's synced one, or the news remembered without a row).
struct KeptUnanswered {
    bool hasRow = false;
    std::vector<std::string> bodies;
    std::optional<std::string> atState;
};

Result<KeptUnanswered> keptUnanswered(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto kept = db.prepare(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE resource = ?1 AND natural_key = ?2),"
        " coalesce((SELECT unanswered_bodies FROM outbox WHERE resource = ?1 AND natural_key = ?2),"
        "          (SELECT bodies FROM site_unanswered WHERE resource = ?1 AND natural_key = ?2)),"
        " coalesce((SELECT body FROM outbox WHERE resource = ?1 AND natural_key = ?2 AND op = 'upsert' AND at_state = 1"
        "           AND synced_version >= local_version AND in_flight_version IS NULL),"
        "          (SELECT body FROM state_acks WHERE resource = ?1 AND natural_key = ?2 AND body <> ''));");
    if (!kept) return fail(kept.error());
    kept->bind(1, resource).bind(2, naturalKey);
    auto row = kept->step();
    if (!row) return fail(row.error());
    KeptUnanswered out;
    if (*row) {
        out.hasRow = kept->getInt(0) != 0;
        out.bodies = unansweredList(kept->getOptionalText(1));
        out.atState = kept->getOptionalText(2);
    }
    if (auto s = kept->run(); !s) return fail(s.error());
    return out;
}

} // namespace

Status adoptUnanswered(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                       std::string_view order) {
    auto newest = newestAckOrder(db, resource, naturalKey);
    if (!newest) return fail(newest.error());
    if (order < *newest) return {};  // the state has moved on since: newer news says what it holds
    // The bodies kept so far: on the row, or (no row here yet) for the row put() makes.
    auto kept = keptUnanswered(db, resource, naturalKey);
    if (!kept) return fail(kept.error());
    const std::string bodies = rememberUnanswered(kept->bodies, json);
    if (!kept->hasRow) return keepSiteUnanswered(db, resource, naturalKey, bodies, order);
    // A settled row waits again, even one whose picture is that very body:
    // the uploader's write of it (a 412 then finds the body among this row's
    // own) is the news that settles the kiosk that lost the answer; a
    // deletion settled here goes out again (the write may have landed after).
    const std::string reopen = "(synced_version >= local_version AND in_flight_version IS NULL)";
    auto stmt = db.prepare(
        "UPDATE outbox SET unanswered_bodies = CASE WHEN op = 'upsert' THEN ?3 ELSE unanswered_bodies END, at_state = 1," +
        waitAgainWhen(reopen) +
        " attention_version = CASE WHEN " OUTBOX_WRITE_GUARD " THEN NULL ELSE attention_version END,"
        " ack_order = max(ack_order, ?4)"
        " WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, bodies).bind(4, orderText(order));
    return stmt->run();
}

Status adoptUnansweredDeletion(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order) {
    auto newest = newestAckOrder(db, resource, naturalKey);
    if (!newest) return fail(newest.error());
    if (order < *newest) return {};  // the state has moved on since: newer news says what it holds
    // What the site last knew the state held joins the bodies kept so far:
    // if the deletion never landed, the next write's lookup finds the site's own.
    auto kept = keptUnanswered(db, resource, naturalKey);
    if (!kept) return fail(kept.error());
    std::optional<std::string> bodies;  // none new: those kept stay as they are
    if (kept->atState) bodies = rememberUnanswered(kept->bodies, *kept->atState);
    // The state may hold nothing now: news of a write older than this cannot
    // settle a row here, and a write of the same body is not taken as there.
    if (auto s = remember(db, resource, naturalKey, "", "", "", order); !s) return fail(s.error());
    if (!kept->hasRow) return bodies ? keepSiteUnanswered(db, resource, naturalKey, *bodies, order) : Status{};
    // A write settled here waits again, to be made anew: without its id and
    // ETag (the record may be gone), a POST by natural key either creates it
    // or rewrites the site's own. A deletion waiting here goes on (an answer
    // of 404 counts as done); one settled stays so, and so does a write in
    // flight (its own answer tells).
    const std::string reopen = "(op = 'upsert' AND synced_version >= local_version AND in_flight_version IS NULL)";
    auto stmt = db.prepare(
        "UPDATE outbox SET at_state = CASE WHEN op = 'upsert' THEN 1 ELSE at_state END,"
        " unanswered_bodies = CASE WHEN op = 'upsert' THEN coalesce(?3, unanswered_bodies) ELSE unanswered_bodies END," +
        waitAgainWhen(reopen) +
        " resource_id = CASE WHEN op = 'upsert' AND in_flight_version IS NULL THEN NULL ELSE resource_id END,"
        " etag = CASE WHEN op = 'upsert' AND in_flight_version IS NULL THEN NULL ELSE etag END,"
        " attention_version = CASE WHEN " OUTBOX_WRITE_GUARD " THEN NULL ELSE attention_version END,"
        " ack_order = max(ack_order, ?4)"
        " WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    if (bodies) stmt->bind(3, *bodies);
    else stmt->bind(3, nullptr);
    stmt->bind(4, orderText(order));
    return stmt->run();
}

Status retryLater(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                  std::int64_t retryAtUnixMs, std::optional<int> httpStatus, std::string_view cause) {
    return retryLater(db, resource, naturalKey, version, retryAtUnixMs, plainFailure(httpStatus, cause));
}

Status retryLater(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                  std::int64_t retryAtUnixMs, const Failure& failure) {
    auto stmt = db.prepare(kRetryLater);
    if (!stmt) return fail(stmt.error());
    return retryLaterWith(*stmt, resource, naturalKey, version, retryAtUnixMs, failure);
}

Status needsAttention(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      int httpStatus, std::string_view serverMessage) {
    return needsAttention(db, resource, naturalKey, version, plainFailure(httpStatus, serverMessage));
}

Status needsAttention(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      const Failure& failure) {
    auto stmt = db.prepare(kNeedsAttention);
    if (!stmt) return fail(stmt.error());
    return needsAttentionWith(*stmt, resource, naturalKey, version, failure);
}

Status guardWith(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view etag) {
    auto stmt = db.prepare("UPDATE outbox SET etag = ?3 WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey).bind(3, etag);
    return stmt->run();
}

Status retry(Database& db, std::string_view resource, std::string_view naturalKey) {
    auto stmt = db.prepare(
        "UPDATE outbox SET attention_version = NULL, next_attempt_at = 0, attempts = 0,"
        // A person looked and chose this kiosk's version: the next write is
        // neither guarded by a stale ETag nor looked up first.
        "  etag = CASE WHEN " OUTBOX_WRITE_GUARD " THEN NULL ELSE etag END,"
        "  identity = CASE WHEN " OUTBOX_WRITE_GUARD " THEN NULL ELSE identity END"
        " WHERE resource = ?1 AND natural_key = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, resource).bind(2, naturalKey);
    return stmt->run();
}

Status unclaim(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version, bool maybeSentBefore) {
    auto stmt = db.prepare(kUnclaim);
    if (!stmt) return fail(stmt.error());
    return unclaimWith(*stmt, resource, naturalKey, version, maybeSentBefore);
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

Status Uploads::acknowledge(std::string_view resource, std::string_view naturalKey, std::int64_t version, Op op,
                            std::optional<std::string_view> resourceId, std::optional<std::string_view> etag,
                            std::optional<std::string_view> mayLandLate) {
    return acknowledgeWith(m_s->acknowledge, resource, naturalKey, version, op, resourceId, etag, mayLandLate);
}

Status Uploads::retryLater(std::string_view resource, std::string_view naturalKey, std::int64_t version, std::int64_t retryAtUnixMs,
                           const Failure& failure) {
    return retryLaterWith(m_s->retryLater, resource, naturalKey, version, retryAtUnixMs, failure);
}

Status Uploads::needsAttention(std::string_view resource, std::string_view naturalKey, std::int64_t version, const Failure& failure) {
    return needsAttentionWith(m_s->needsAttention, resource, naturalKey, version, failure);
}

Status Uploads::unclaim(std::string_view resource, std::string_view naturalKey, std::int64_t version, bool maybeSentBefore) {
    return unclaimWith(m_s->unclaim, resource, naturalKey, version, maybeSentBefore);
}

Status releaseInFlight(Database& db) {
    // What was on the wire may still reach the server: its body is remembered as unanswered.
    std::optional<sqlite::Transaction> tx;
    if (!db.inTransaction()) {
        auto begun = sqlite::Transaction::begin(db);
        if (!begun) return fail(begun.error());
        tx.emplace(std::move(*begun));
    }
    auto onWire = db.prepare("SELECT resource, natural_key, body, unanswered_bodies FROM outbox"
                             " WHERE in_flight_version IS NOT NULL AND op = 'upsert' AND in_flight_version = local_version;");
    if (!onWire) return fail(onWire.error());
    struct Remembered {
        std::string resource, naturalKey, bodies;
    };
    std::vector<Remembered> remembered;
    for (;;) {
        auto row = onWire->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        remembered.push_back({onWire->getText(0), onWire->getText(1),
                              rememberUnanswered(unansweredList(onWire->getOptionalText(3)), onWire->getText(2))});
    }
    auto keep = db.prepare("UPDATE outbox SET unanswered_bodies = ?3 WHERE resource = ?1 AND natural_key = ?2;");
    if (!keep) return fail(keep.error());
    for (const Remembered& r : remembered)
        if (Status s = runOnce(*keep, r.resource, r.naturalKey, r.bodies); !s) return s;
    if (Status s = db.exec("UPDATE outbox SET in_flight_version = NULL WHERE in_flight_version IS NOT NULL;"); !s) return s;
    return tx ? tx->commit() : Status{};
}

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

Result<std::vector<FailedRecord>> failedRecords(Database& db, int limit, std::optional<std::int64_t> sinceUnixMs) {
    auto stmt = db.prepare(
        "SELECT resource, natural_key, op, " OUTBOX_ATTENTION ", attempts, coalesce(last_error, ''), last_status,"
        " last_problem_type, last_words, last_correlation_id, last_reply_at, next_attempt_at"
        " FROM outbox WHERE " OUTBOX_WAITING " AND (last_error IS NOT NULL OR last_status IS NOT NULL)"
        "   AND (?2 IS NULL OR (last_reply_at > ?2 AND last_status IS NOT NULL))"
        " ORDER BY CASE WHEN ?2 IS NULL THEN NOT " OUTBOX_ATTENTION " ELSE 0 END,"
        "          CASE WHEN ?2 IS NULL THEN seq ELSE last_reply_at END LIMIT ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, limit).bind(2, sinceUnixMs);
    std::vector<FailedRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        FailedRecord r;
        r.resource = stmt->getText(0);
        r.naturalKey = stmt->getText(1);
        r.op = stmt->getText(2) == "delete" ? Op::Delete : Op::Upsert;
        r.state = stmt->getInt(3) != 0 ? State::NeedsAttention : State::Pending;
        r.attempts = stmt->getInt(4);
        r.cause = stmt->getText(5);
        r.reply = readReply(*stmt, 6, 7);
        r.nextAttemptAtUnixMs = stmt->getInt(11);
        out.push_back(std::move(r));
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
    auto stmt = db.prepare("SELECT resource, natural_key, local_version, body, first_queued_at, coalesce(etag, ''), coalesce(identity, '')"
                           " FROM outbox WHERE " OUTBOX_WAITING
                           " AND NOT " OUTBOX_ATTENTION " AND op = 'upsert' ORDER BY seq, resource, natural_key;");
    if (!stmt) return fail(stmt.error());
    std::vector<PendingRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back({stmt->getText(0), stmt->getText(1), stmt->getInt(2), stmt->getText(3), stmt->getText(4), stmt->getText(5),
                       stmt->getText(6)});
    }
    return out;
}

} // namespace edsync::outbox
