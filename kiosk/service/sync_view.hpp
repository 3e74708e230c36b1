#pragma once
// What the proctor sees of the state sync: online or not, last contact, what
// waits, what is stuck and why, how fast a backlog drains. Screens read these
// plain values; the app turns the sync engine's status into them
// (kiosk/app/sync_wiring.hpp), so services know no engine.
#include "kiosk/domain/time.hpp"
#include "kiosk/store/record_subject.hpp"
#include "kiosk/store/store.hpp"
#include "sync/outbox/outbox.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

struct SyncSummary {
    enum class Connection { NotEnrolled, Connecting, Online, Offline, CredentialsRefused };
    Connection connection = Connection::NotEnrolled;
    std::optional<domain::Timestamp> lastContact;
    std::optional<std::int64_t> clockOffsetSeconds;  // the state's clock minus ours
    bool clockWarning = false;                       // more than five minutes apart
    double ratePerSecond = 0;
    std::int64_t waiting = 0;
    std::optional<domain::Timestamp> waitingSince;  // when the oldest record still to go was saved
    std::int64_t inFlight = 0;
    std::int64_t needsAttention = 0;
    std::int64_t synced = 0;
    std::optional<std::int64_t> secondsLeft;  // waiting / rate, while draining
    std::string lastError;                    // may quote the server: show it, never log it
};

// What the outbox holds, as the banner and the State-sync screen count it.
struct OutboxTally {
    std::int64_t waiting = 0;
    std::optional<domain::Timestamp> waitingSince;  // the oldest record still to go was saved
    std::int64_t inFlight = 0;
    std::int64_t needsAttention = 0;
    std::int64_t synced = 0;
};
OutboxTally tally(const edsync::outbox::Counts& counts);
store::Result<OutboxTally> tallyOutbox(store::Database& db);
// The tally into a summary (what waits, since when, what is refused).
void countInto(SyncSummary& summary, const OutboxTally& tally);
// A kiosk that is not enrolled still shows what waits to go.
SyncSummary offlineSummary(store::Store& store);

using SyncSummaryProvider = std::function<SyncSummary()>;

// A record the state refused for good, named for a person.
struct AttentionRecord {
    std::string resource;
    std::string naturalKey;
    std::string who;      // "Ñúñez, Zoë (S100001) · WorkKeys Applied Math", or a description
    int httpStatus = 0;
    std::string message;  // the server's own words
};

// A record whose last attempt failed — refused for good, or waiting on a
// retry — with the server's own words and the student and date beside them.
// Personal data and server text: for the screen and the terminal (escaped
// there), never for a log; only httpStatus, problemType and correlationId may
// be logged.
struct FailedRecord {
    std::string resource;
    std::string naturalKey;
    bool refused = false;      // needs attention; otherwise waiting on a retry
    bool deletion = false;     // the record is being removed from the state
    std::string who;           // "Ñúñez, Zoë (S100001) · 2026-03-14 · WorkKeys Applied Math", or the resource
    std::optional<int> httpStatus;
    std::string problemType;   // e.g. urn:ed-fi:api:conflict:unresolved-reference
    std::string words;         // the server's words (detail/title/message, first validation errors)
    std::string correlationId;
    std::string cause;         // our own sentence, when the server said nothing
    std::optional<domain::Timestamp> at;  // when the server answered
    std::int64_t attempts = 0;
};

// A record still to go to the state, named for a person, oldest first.
struct WaitingRecord {
    std::string who;  // as FailedRecord::who
    std::optional<domain::Timestamp> since;  // when it was saved (its first version still to go)
    std::int64_t attempts = 0;
};

// The site hub as this kiosk's site link last reported it (docs/architecture.md,
// "One site, many machines"). Nothing when this kiosk never joined a hub.
struct SiteHubSummary {
    bool linked = false;     // a process of this kiosk runs the link now (its report is fresh)
    bool connected = false;  // ... and reaches the hub
    std::optional<domain::Timestamp> lastContact;
    bool thisKioskUploads = false;
    std::string uploader;        // the lease holder's kiosk id ("" none known)
    std::uint64_t behind = 0;    // site events not applied here yet
    std::optional<std::int64_t> secondsBehind;  // ... the newest in the log that much newer than the newest applied
    std::int64_t unshared = 0;   // this kiosk's events not yet in the site log
};

// The hub's line on any connection (a read model's worker has its own);
// `nowUnixMs` decides whether the link's report is fresh.
store::Result<std::optional<SiteHubSummary>> siteHubSummary(store::Database& db, std::int64_t nowUnixMs);

// How many of each the State-sync screen lists.
inline constexpr int kFailedListed = 200;
inline constexpr int kWaitingListed = 100;

// The State-sync screen's lists on any connection (a read model's worker
// has its own), the records' dates written by `formatDate` (unset: ISO).
store::Result<std::vector<FailedRecord>> failedRecords(store::Database& db, int limit, const store::RecordSubject::DateFormat& formatDate);
store::Result<std::vector<WaitingRecord>> waitingRecords(store::Database& db, int limit, const store::RecordSubject::DateFormat& formatDate);

class SyncQueries {
public:
    explicit SyncQueries(store::Store& store) : m_store(store) {}
    // For the terminal: dates in ISO (the window's lists come from its views, dated its way).
    store::Result<std::vector<AttentionRecord>> needsAttention(int limit = 200);
    // Refused records first, then those waiting on a retry.
    store::Result<std::vector<FailedRecord>> failedRecords(int limit = kFailedListed);
    // Everything still to go (refused ones included), oldest first.
    store::Result<std::vector<WaitingRecord>> waiting(int limit = kWaitingListed);
    // The cause was fixed (a descriptor added, an enrolment synced): send it again.
    store::Status retry(const std::string& resource, const std::string& naturalKey);
    // `nowUnixMs` decides whether the link's report is fresh.
    store::Result<std::optional<SiteHubSummary>> siteHub(std::int64_t nowUnixMs);

private:
    store::Store& m_store;
};

} // namespace kiosk::service
