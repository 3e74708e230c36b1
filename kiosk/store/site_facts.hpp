#pragma once
// A committed fact as it travels on the site log (docs/architecture.md,
// "One site, many machines"): the event row exactly as this kiosk stored it,
// as JSON. Every kiosk of the site stores every fact once, under its event id,
// and rebuilds its projections from the union.
#include "kiosk/store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::store {

enum class FactType { Attendance, Work, Ack, AuditHead, Roster };

struct SiteFact {
    FactType type = FactType::Attendance;
    std::string eventId;
    std::string subject;  // "att", "work", "ack" or "audit.<kiosk>": never a student's name or ID
    std::string json;
};

// Where a committed fact goes for the rest of the site: the site log's
// publish outbox, called inside the writer's transaction. A kiosk without a
// site log has none, and publishes nothing.
using FactSink = std::function<Status(Database&, const SiteFact&)>;

// The subject suffix a fact of this type goes under on the site log (an
// audit head goes under auditHeadSubject: one per kiosk).
std::string_view factSubject(FactType type);

// Reads back the row just written (inside the same transaction) and encodes it.
Result<SiteFact> attendanceFact(Database& db, std::string_view eventId);
Result<SiteFact> workFact(Database& db, std::string_view eventId);

// Every attendance and work fact this store holds, whoever recorded it, in
// its order here (for a USB file: a slice of the site log).
Result<std::vector<SiteFact>> allFacts(Database& db);

// A fact as received, checked field by field; nothing unchecked reaches SQL.
struct DecodedFact {
    FactType type = FactType::Attendance;
    std::string eventId;
    std::string kioskId;
    std::string siteId;
    std::string sessionId;               // attendance
    std::optional<std::string> studentId;  // attendance: none for session-level events
    std::string entryId;                 // work
    std::string kind;
    std::string actor;  // proctor (attendance) or actor (work)
    std::string recordedAt;
    int utcOffsetMinutes = 0;
    std::string payload;  // the event's own JSON object, re-serialised
    std::string correctsEventId;
    std::string hlc;
    std::optional<std::string> walkInStudentJson;  // a walk-in carries the student it adds
};
struct DecodeResult {
    std::optional<DecodedFact> fact;
    std::string error;
};
inline constexpr std::size_t kMaxFactBytes = 64 * 1024;
DecodeResult decodeFact(std::string_view json);

struct Inserted {
    enum class What { New, AlreadyKnown, Waiting } what = What::New;
    std::string waitingFor;  // what is missing here, e.g. "session" (no personal data)
};
// Stores a received fact under a fresh local seq, unless its event id is
// already here. When a row it refers to is missing (a session from a roster
// this kiosk has not received yet, the event a correction withdraws), it
// writes nothing and says what it waits for; the caller parks it.
Result<Inserted> insertFact(Database& db, const DecodedFact& fact, std::int64_t localSeq);

// What reached the state: the site's uploader wrote `body` for a record and
// the state answered with `resourceId` and `etag`. Shared through the site
// log so that whichever machine uploads next guards its writes with them and
// does not send again what is there (docs/edfi.md, "Writers").
struct AckFact {
    std::string eventId;
    std::string kioskId;
    std::string resource;
    std::string naturalKey;
    std::string body;
    std::string resourceId;
    std::string etag;
    bool deletion = false;  // the state took the record's deletion (fact "ackDelete"; "ack": a write)
    // The uploader's order stamp (an HLC's text form): above every
    // acknowledgement of the record it had seen. Empty from older releases.
    std::string order;
    // Fact "ackUnanswered": `body` was sent and its answer lost, so the state
    // may hold it (no id or ETag); the next uploader takes it for the site's.
    // With `deletion` ("ackUnansweredDelete"): the deletion was sent and its
    // answer lost, so the state may hold nothing of the record now.
    bool unanswered = false;
};
// nullopt when the fact would be larger than kMaxFactBytes: the next
// uploader then looks the record up before writing it.
std::optional<SiteFact> ackFact(const AckFact& ack);
struct DecodedAck {
    bool isAck = false;  // false: some other fact (decodeFact's)
    std::optional<AckFact> ack;
    std::string error;  // an acknowledgement that cannot be used
};
DecodedAck decodeAck(std::string_view json);

// The head of a kiosk's audit chain after each entry (docs/architecture.md,
// "Personal data at rest"). On the hub's stream, which denies deleting and
// purging, it is a copy the owner of the kiosk's database cannot rewrite
// alone; `verify-audit` compares the chain with the last one there.
struct AuditHeadFact {
    std::string kioskId;
    std::int64_t seq = 0;
    std::string hash;  // the entry's whole hash ("k1:" and 64 hex digits when MACed)
    std::string at;
};
SiteFact auditHeadFact(const AuditHeadFact& head);
// The subject suffix a kiosk's heads go under: one per kiosk, so the hub
// can answer "the last head of kiosk K" directly.
std::string auditHeadSubject(std::string_view kioskId);
struct DecodedAuditHead {
    bool isAuditHead = false;  // false: some other fact
    std::optional<AuditHeadFact> head;
    std::string error;
};
DecodedAuditHead decodeAuditHead(std::string_view json);

} // namespace kiosk::store
