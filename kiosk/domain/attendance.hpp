#pragma once
// One student's attendance at one assessment session, rebuilt from events.
// Rules only: no storage, no UI. A refused transition says why, in words a
// proctor can act on, and changes nothing.
#include "kiosk/domain/descriptors.hpp"
#include "kiosk/domain/hlc.hpp"
#include "kiosk/domain/sentence.hpp"
#include "kiosk/domain/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::domain {

enum class Presence { Expected, Present, OnBreak, CheckedOut, NoShow };
std::string_view presenceCode(Presence p);  // "expected", "present", ...

enum class EventKind {
    CheckedIn,
    IdChecked,
    SeatAssigned,
    BreakOut,
    BreakIn,
    AccommodationDelivered,
    Irregularity,
    CheckedOut,
    NoShow,
    WalkInAdded,
    Corrected,
};
std::string_view eventKindCode(EventKind k);
std::optional<EventKind> eventKindFromCode(std::string_view code);

// What happened; fields unused by a kind stay empty.
struct AttendanceEvent {
    std::string id;            // UUIDv7
    std::int64_t seq = 0;      // per-kiosk order: replay() follows it, never the wall clock
    std::string kioskId;       // the machine that recorded it
    Hlc hlc;                   // site order: mergeAttendance() sorts by (hlc, kioskId, id)
    EventKind kind = EventKind::CheckedIn;
    Timestamp at{};            // when it was recorded
    std::string proctor;
    std::optional<IdMethod> idMethod;
    std::string idVerifiedBy;
    std::string seat;
    std::string accommodation;  // AccommodationDescriptor
    std::string circumstance;   // EventCircumstanceDescriptor
    std::string reason;         // ReasonNotTested, late-admission or correction reason
    std::string description;    // irregularity text
    std::optional<Timestamp> occurredAt;  // irregularity time, when not "now"
    std::string correctsEventId;

    bool operator==(const AttendanceEvent&) const = default;
};

struct Irregularity {
    std::string eventId;
    std::string circumstance;
    std::string description;
    Timestamp occurredAt{};
    std::string reportedBy;
};

struct DeliveredAccommodation {
    std::string eventId;
    std::string accommodation;
    Timestamp at{};
};

struct SessionRules {
    Timestamp scheduledStart{};
    Minutes lateAfter{15};    // arriving later than start + this is late
    Minutes noShowAfter{30};  // from start + this, absentees may be marked no-show
    bool signedOff = false;
};

struct Attendance {
    Presence presence = Presence::Expected;
    bool walkIn = false;
    bool late = false;
    std::string lateReason;
    std::optional<Timestamp> checkedInAt;
    std::optional<Timestamp> checkedOutAt;
    std::optional<IdMethod> idMethod;
    std::string idVerifiedBy;
    bool idRefused = false;  // a refusal or mismatch was recorded at some point
    std::string seat;
    int breaks = 0;
    std::optional<Timestamp> breakStartedAt;
    Minutes minutesOnBreak{0};
    std::vector<DeliveredAccommodation> accommodations;
    std::vector<Irregularity> irregularities;
    std::string noShowReason;
    int eventCount = 0;  // live (not withdrawn) events

    // Minutes in the room, for Ed-Fi assessedMinutes (breaks excluded; 0
    // when the check-out was recorded before the check-in).
    std::optional<int> assessedMinutes() const;
    // The check-out was recorded at a time before the check-in: the clock
    // moved back between them. The events keep the times recorded.
    bool checkOutBeforeCheckIn() const;
    // The sitting's end as the state gets it: the check-out, raised to the
    // check-in when it was recorded before it (the state never receives an end
    // before the start). The one rule; the mapping and the report use it.
    std::optional<Timestamp> endForState() const;
};

inline constexpr std::size_t kMaxDescriptionBytes = 1000;

// Why a step cannot be taken: `message` in English (logs, the command line),
// `sentence` the same words for the UI to translate.
struct Refusal {
    std::string message;
    Sentence sentence;
};
inline Refusal refuse(std::string message) { return Refusal{message, Sentence{std::move(message), {}}}; }
// A refusal with values in it: refuse("Minutes must be between 1 and {max}.", {{"max", "600"}}).
inline Refusal refuse(std::string pattern, SentenceArgs args) {
    Sentence s{std::move(pattern), std::move(args)};
    std::string english = s.english();
    return Refusal{std::move(english), std::move(s)};
}

// Applies one event; on refusal `state` is untouched.
std::optional<Refusal> apply(Attendance& state, const AttendanceEvent& event, const SessionRules& rules);

// Rebuilds the state from all events (any order; sorted by seq), skipping
// events withdrawn by corrections. Refuses when the remaining history is not
// a valid sequence (e.g. withdrawing a check-in that a check-out depends on).
// Strict and one kiosk's: events from several kiosks are folded by
// mergeAttendance() (site_merge.hpp), which skips what cannot apply; a new
// local step is then checked with apply() against the merged state.
struct Replay {
    Attendance state;
    std::optional<Refusal> refusal;
};
Replay replay(std::vector<AttendanceEvent> events, const SessionRules& rules);

bool isLate(Timestamp arrival, const SessionRules& rules);
bool noShowAllowed(Timestamp now, const SessionRules& rules);

// A student's events as the record shows them: each with whether a later
// correction withdrew it.
struct HistoryItem {
    AttendanceEvent event;
    bool withdrawn = false;
};
std::vector<HistoryItem> history(const std::vector<AttendanceEvent>& events);

} // namespace kiosk::domain
