#pragma once
// The durable, state-based upload queue (DESIGN.md §3).
//
// One row per (resource, natural key) holding the record's current JSON and
// its local version. Writers call put() inside their own transaction, so the
// record, its event and its outbox row commit together. The uploader claims
// due rows, sends the version it claimed, and acknowledges exactly that
// version: a change written while a request is in flight stays pending.
#include "sync/sqlite/database.hpp"
#include "sync/sqlite/migrations.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::outbox {

using sqlite::Database;
using sqlite::Result;
using sqlite::Status;

// Creates or upgrades the outbox tables (component "sync").
Result<int> migrate(Database& db);

// Every version of the outbox schema, oldest first: an upgrade test builds a
// database as an earlier release left it from the first few.
std::span<const sqlite::Migration> migrations();

// Within the caller's transaction: replace the record's JSON and bump its
// local version. `seq` is the writer's monotonic sequence (orders uploads;
// wall clocks on lab machines lie). `identityJson`, when given, is the
// record's identity (as for putDeletion): before the first write of the
// record the uploader looks it up with it, so that a record another writer
// put at the server is never overwritten. Returns the new local version;
// the same body as the row's upsert changes nothing (its version returned).
// On a site, news of the record that came before the row (state_acks)
// guards it, and a body the state holds by that news (or held when this
// row was last synced) settles it at once (docs/edfi.md, "Every kiosk
// waits for exactly what the state lacks").
Result<std::int64_t> put(Database& db, std::string_view resource, std::string_view naturalKey,
                         std::string_view json, std::int64_t seq, std::string_view identityJson = {});

// What the uploader does with a row: an upsert POSTs its JSON; a deletion
// removes the record at the server (DELETE by the id a POST's Location gave,
// or found by its natural key first) and counts 404 as done.
enum class Op { Upsert, Delete };
std::string_view opName(Op op);

// Within the caller's transaction: the record must go from the server.
// `identityJson` is the record's identity (its natural key members, with
// references as objects, as in the upsert body): the uploader looks the
// record up with it when it knows no id. Only a row queued as an upsert
// becomes a deletion (nothing else can exist at the server), or a record
// the site learnt the state holds (adoptWrite) or may hold (adoptUnanswered)
// that has no row here. A row the state holds no version of (never written
// there, or its last word a deletion), not sent since and not known at the
// state by the site, becomes a deletion that is already settled (nothing to
// send); with no row at all, such a settled deletion row is made, so that
// the site's news arriving later can reopen it. nullopt when no deletion is
// queued.
// A later put() makes the row an upsert again.
Result<std::optional<std::int64_t>> putDeletion(Database& db, std::string_view resource, std::string_view naturalKey,
                                                std::string_view identityJson, std::int64_t seq);

enum class State { Pending, InFlight, Synced, NeedsAttention };
std::string_view stateName(State s);

struct Counts {
    std::int64_t pending = 0;  // waiting to go, including in flight
    std::int64_t inFlight = 0;
    std::int64_t synced = 0;
    std::int64_t needsAttention = 0;
    std::string oldestWaitingSince;  // first_queued_at of the oldest record still to go (ISO 8601 UTC); empty: none
    std::int64_t waiting() const { return pending + needsAttention; }
};

Result<Counts> counts(Database& db);
Result<std::map<std::string, Counts>> countsByResource(Database& db);

// What the server said about the last failed attempt. Empty when it gave no
// answer. `words` may quote a student ID: show it, never log it; the status,
// `problemType` and `correlationId` may be logged.
struct LastReply {
    std::optional<int> httpStatus;
    std::string problemType;    // e.g. urn:ed-fi:api:conflict:unresolved-reference
    std::string words;          // the server's own explanation, bounded
    std::string correlationId;  // the server's id for its log
    std::optional<std::int64_t> atUnixMs;  // when the answer came
};

// A failed attempt, as the uploader records it.
struct Failure {
    std::optional<int> httpStatus;  // none: no HTTP answer at all
    std::string cause;              // our sentence (may quote the words)
    std::string problemType;
    std::string words;
    std::string correlationId;
    std::int64_t atUnixMs = 0;
    // Whether a write of the row may have reached the server unanswered, on
    // this attempt or an earlier one (so the next lookup knows that what it
    // finds may be our own). None: keep what the row says.
    std::optional<bool> maybeSent;
    // The bodies that may still land at the server later, this attempt's
    // write among them (rememberUnanswered()). None: keep what the row has.
    std::optional<std::string> unansweredBodies;
};

struct RecordStatus {
    State state = State::Pending;
    Op op = Op::Upsert;
    std::int64_t localVersion = 0;
    std::int64_t syncedVersion = 0;
    std::int64_t attempts = 0;
    std::optional<int> lastHttpStatus;
    std::optional<std::string> lastError;
    std::optional<std::string> resourceId;  // the server's id for the record, when a POST named it
    LastReply reply;
};
Result<std::optional<RecordStatus>> status(Database& db, std::string_view resource, std::string_view naturalKey);
// The row's identity as put() kept it (else its JSON: rows from before the
// identity was kept) and whether it is an upsert; nullopt when there is no row.
struct KeptRecord {
    std::string identityOrBody;
    bool upsert = true;
};
Result<std::optional<KeptRecord>> keptRecord(Database& db, std::string_view resource, std::string_view naturalKey);

// --- uploader side -------------------------------------------------------

struct Claim {
    std::string resource;
    std::string naturalKey;
    std::string json;
    std::int64_t version = 0;
    std::int64_t attempts = 0;
    std::int64_t seq = 0;  // the writer's sequence: claims come oldest first
    Op op = Op::Upsert;
    std::string resourceId;  // the server's id, when known (empty: look it up)
    std::string etag;        // the ETag of the last acknowledged write: sent as If-Match (empty: none known)
    std::string identity;    // the natural key members as JSON (empty: none kept)
    bool acknowledgedBefore = false;  // the server took some version of this record from here
    bool maybeDelivered = false;      // an earlier request may have reached the server unanswered (or we died)
    // The bodies of the last writes that got no answer (or were sent twice):
    // any may still land at the server, oldest first (docs/edfi.md, "Writers").
    std::vector<std::string> unansweredBodies;
    // Bodies the row held and replaced before any acknowledgement from here:
    // on a site another machine may have sent one (docs/edfi.md, "Writers").
    std::vector<std::string> heldBodies;
};

// How many bodies that may land late a row remembers: a copy older than the
// eighth is taken for another writer's record (a person decides).
inline constexpr std::size_t kUnansweredKept = 8;

// `kept` with `body` as the newest (once), cut to the newest kUnansweredKept:
// the text to store (Failure::unansweredBodies, Uploads::acknowledge).
std::string rememberUnanswered(const std::vector<std::string>& kept, std::string_view body);

// Marks up to `limit` due rows in flight at their current version, oldest
// sequence first, skipping rows waiting on a retry time or needing attention.
Result<std::vector<Claim>> claimDue(Database& db, std::int64_t nowUnixMs, int limit);

// The server stored `version`. Marks only that version synced.
Status acknowledge(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version);
// The same for an `op`: an upsert keeps `resourceId` (the POST's Location)
// when given and stores `etag` (none: the server gave none); a deletion
// forgets both.
Status acknowledge(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version, Op op,
                   std::optional<std::string_view> resourceId, std::optional<std::string_view> etag = std::nullopt);

// Another machine of the site wrote `json` for this record and the server
// answered with `resourceId` and `etag`; `order` is the uploader's order
// stamp for that acknowledgement (byte-comparable; '' from an older release).
// News older than the newest acknowledgement known here is dropped (false).
// Otherwise this kiosk guards its next write with them (unless this kiosk's
// own newer version was acknowledged since), and its row is synced when it
// holds exactly that JSON: returns true then. When the row holds another
// body, or this kiosk has no row yet (the events that make the body have not
// arrived), the state's body is remembered: putDeletion() knows the record
// exists, and put() settles the row once it reaches that body. News newer
// than any the row has seen makes a synced row of another body wait again,
// reopens a settled deletion (the write reached the state after all), and
// releases a write the guard stopped as a stranger's.
Result<bool> adoptWrite(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                        std::string_view resourceId, std::string_view etag, std::string_view order = {});

// Another machine of the site had the state delete this record: a deletion
// waiting here is settled (deleting twice leaves the same state), unless it
// is in flight (its own answer settles it). Returns true when a row settled.
// Older than the newest acknowledgement known here: dropped. A synced write
// this kiosk still holds waits again, to be created anew.
Result<bool> adoptDeletion(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order = {});

// Another machine of the site sent `json` for this record and its answer was
// lost, so the state may hold it (docs/edfi.md, "Every kiosk waits for
// exactly what the state lacks"). Older than the newest acknowledgement known
// here: dropped. Otherwise the body is kept among this row's own unanswered
// ones (a 412 or a first-write lookup that finds it takes it for the site's
// write, not a stranger's), a write the guard stopped is released, and a
// settled row waits again (even with that very body: the uploader's rewrite
// is the news that settles the machine that lost the answer). No row here:
// the body is kept for the row put() makes, which takes it as the site's own.
Status adoptUnanswered(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view json,
                       std::string_view order);

// Another machine of the site sent a deletion of this record and its answer
// was lost, so the state may hold nothing of it now. Older than the newest
// acknowledgement known here: dropped. Otherwise a write settled here waits
// again, sent without the state's id and ETag (a POST by natural key makes
// or rewrites the site's own), and what the site last knew the state held is
// kept among the unanswered bodies (no row: for the row put() or
// putDeletion() makes): if the deletion never landed, a lookup finds it as
// the site's own, and a withdrawal here still sends its deletion.
Status adoptUnansweredDeletion(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order);

// The order stamp of this kiosk's own news that the row's last write went
// unanswered, as it was queued for the site log: the site's news newer than
// it settles the row again (put(), putDeletion()).
Status setUnansweredOrder(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order);

// The order stamp of the newest acknowledgement of this record known here
// ('' when none carried one): an uploader stamps its next one above it.
Result<std::string> ackOrder(Database& db, std::string_view resource, std::string_view naturalKey);
// The uploader's own acknowledgement, stamped: kept on its row (never lowered).
Status setAckOrder(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view order);

// A transient failure: retry at `retryAtUnixMs`, keeping the cause.
Status retryLater(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                  std::int64_t retryAtUnixMs, std::optional<int> httpStatus, std::string_view cause);
Status retryLater(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                  std::int64_t retryAtUnixMs, const Failure& failure);

// A permanent refusal of `version` (400 validation, namespace 403): kept with
// the server's message; never blocks other rows. Writing a new version or
// calling retry() puts it back in the queue.
Status needsAttention(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      int httpStatus, std::string_view serverMessage);
Status needsAttention(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
                      const Failure& failure);

// The problem type a row gets when its first write found the record already
// at the server, written by someone else.
inline constexpr std::string_view kAlreadyAtServer = "urn:testsite-kiosk:already-at-state";

// The ETag a record's next write must match (a USB import carries the one
// the exporting kiosk last had acknowledged).
Status guardWith(Database& db, std::string_view resource, std::string_view naturalKey, std::string_view etag);

// A person's "retry" of a row that needed attention also means "this kiosk's
// version is the right one": its next write is not guarded by the ETag or
// the lookup that stopped it.
Status retry(Database& db, std::string_view resource, std::string_view naturalKey);

// A claim of `version` that was never sent goes back to the queue as if it
// had not been taken (its attempt is not counted; `maybeSentBefore` is the
// claim's maybeDelivered, restored).
Status unclaim(Database& db, std::string_view resource, std::string_view naturalKey, std::int64_t version,
               bool maybeSentBefore = false);

// The uploader's side with its statements prepared once: a drain runs
// thousands of them, and preparing each one anew cost more than running it.
// The same SQL as the free functions above. Lives no longer than `db`.
class Uploads {
public:
    static Result<Uploads> prepare(Database& db);
    // As claimDue(), only rows with a sequence after `afterSeq`.
    Result<std::vector<Claim>> claimDue(std::int64_t nowUnixMs, int limit, std::int64_t afterSeq);
    Status acknowledge(std::string_view resource, std::string_view naturalKey, std::int64_t version, Op op = Op::Upsert,
                       std::optional<std::string_view> resourceId = std::nullopt,
                       std::optional<std::string_view> etag = std::nullopt,
                       std::optional<std::string_view> mayLandLate = std::nullopt);  // rememberUnanswered()
    Status retryLater(std::string_view resource, std::string_view naturalKey, std::int64_t version, std::int64_t retryAtUnixMs,
                      const Failure& failure);
    Status needsAttention(std::string_view resource, std::string_view naturalKey, std::int64_t version, const Failure& failure);
    Status unclaim(std::string_view resource, std::string_view naturalKey, std::int64_t version, bool maybeSentBefore);

private:
    struct Statements;
    explicit Uploads(std::shared_ptr<Statements> s) : m_s(std::move(s)) {}
    std::shared_ptr<Statements> m_s;
};

// After a restart nothing is really in flight: return claims to the queue.
Status releaseInFlight(Database& db);

// The earliest due time among rows waiting to be claimed (not in flight, not
// needing attention); nullopt when nothing waits. 0 or a past time: due now.
Result<std::optional<std::int64_t>> nextDueAt(Database& db);

// The network is back: rows waiting on a backoff after a failure that got no
// HTTP response at all become due now, so the backlog drains at once rather
// than after each row's long backoff. Returns how many rows were moved.
Result<int> expediteNoResponseRetries(Database& db, std::int64_t nowUnixMs);

// A person says the outage is over (`testsite-kioskctl sync --now`): every
// waiting row, whatever retry time a server's Retry-After set, is due now.
// Rows that need attention stay as they are. Returns how many were moved.
Result<int> expediteAllRetries(Database& db, std::int64_t nowUnixMs);

struct AttentionItem {
    std::string resource;
    std::string naturalKey;
    std::int64_t version = 0;
    int httpStatus = 0;
    std::string message;
};
Result<std::vector<AttentionItem>> attentionList(Database& db, int limit);

// Every waiting record whose last attempt failed (waiting on a retry, or
// refused and needing attention), refused ones first, then oldest first;
// with `sinceUnixMs`, only those whose server answer came after it (oldest
// answer first: what serve has not yet written to the journal).
struct FailedRecord {
    std::string resource;
    std::string naturalKey;
    Op op = Op::Upsert;
    State state = State::Pending;
    std::int64_t attempts = 0;
    std::string cause;  // our sentence; may quote the server
    LastReply reply;
    std::int64_t nextAttemptAtUnixMs = 0;
};
Result<std::vector<FailedRecord>> failedRecords(Database& db, int limit, std::optional<std::int64_t> sinceUnixMs = std::nullopt);

// Pending records by age, oldest first (for the technician's status).
struct Waiting {
    std::string resource;
    std::string naturalKey;
    std::string firstQueuedAt;
    std::int64_t attempts = 0;
};
Result<std::vector<Waiting>> oldestWaiting(Database& db, int limit);

// Waiting records (not needing attention) counted by how long they have
// waited, in buckets whose upper bounds in seconds are `boundsSeconds`
// (ascending); the result has one more entry for everything older.
Result<std::vector<std::int64_t>> waitingByAge(Database& db, std::span<const std::int64_t> boundsSeconds);

// Every upsert waiting to go (not needing attention), oldest sequence first,
// with the body and the local version it holds now (USB export). Deletions
// are left to the kiosk's own sync: a file carries records, not removals.
struct PendingRecord {
    std::string resource;
    std::string naturalKey;
    std::int64_t version = 0;
    std::string json;
    std::string firstQueuedAt;
    std::string etag;      // of the last write the server acknowledged ("" when none): guards a USB import
    std::string identity;  // the natural key members ("" when none kept)
};
Result<std::vector<PendingRecord>> pendingRecords(Database& db);

} // namespace edsync::outbox
