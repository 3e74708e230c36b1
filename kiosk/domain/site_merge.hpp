#pragma once
// The site's merge rules for attendance: every kiosk folds the same set of
// events (its own and those received from the other machines of the site)
// into the same state, whatever order they arrived in and however often.
// Rules only: no storage, no I/O (docs/architecture.md, "Site merge").
//
//  1. One event per id. Copies are dropped; two different events under one id
//     (a corrupted copy) keep the one whose canonicalText() sorts first and
//     report duplicate_id_differs.
//  2. Order: (hlc, kioskId, event id), smallest first (EventKey).
//  3. A correction withdraws the event it names, wherever the two sit in the
//     order. Withdrawals are final: a correction naming a correction or a
//     walk-in flag withdraws nothing (the service refuses to record either),
//     so corrections never chain and the set of withdrawn events does not
//     depend on order. A correction whose target is not (yet) in the set
//     withdraws nothing and is reported; once the target arrives it applies.
//  4. A check-in seen anywhere beats an automatic no-show: while any
//     well-formed check-in of the student is not withdrawn, every no-show of
//     the student is void (reported as no_show_overruled), in any order.
//  5. The rest apply in order with apply(); one that cannot (a second
//     check-in from another door station, a return from a break never
//     started, a check-out before the check-in) is skipped and reported as
//     transition_refused with the domain's sentence. The fold never fails.
//  Sign-off is a session event, not in a student's set: as in replay(), each
//  event is checked as the session stood open.
#include "kiosk/domain/attendance.hpp"
#include "kiosk/domain/hlc.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

// Where an event sits in the site's order.
struct EventKey {
    Hlc hlc;
    std::string kioskId;
    std::string eventId;
};
bool operator<(const EventKey& a, const EventKey& b);
bool operator==(const EventKey& a, const EventKey& b);
EventKey keyOf(const AttendanceEvent& e);

// Reason keys of MergeConflict (stable: stored and shown through strings).
inline constexpr std::string_view kConflictDuplicateDiffers = "duplicate_id_differs";
inline constexpr std::string_view kConflictCorrectionTargetUnknown = "correction_target_unknown";
inline constexpr std::string_view kConflictCorrectionOfCorrection = "correction_of_correction";
inline constexpr std::string_view kConflictCorrectionOfWalkIn = "correction_of_walk_in";
inline constexpr std::string_view kConflictNoShowOverruled = "no_show_overruled";
inline constexpr std::string_view kConflictTransitionRefused = "transition_refused";
// Work entries (work_merge.hpp).
inline constexpr std::string_view kConflictStudentMismatch = "student_mismatch";
inline constexpr std::string_view kConflictEntryMismatch = "entry_mismatch";

// An event the fold left out, and why. Never personal data beyond the event id.
struct MergeConflict {
    std::string eventId;
    std::string reason;   // one of kConflict*
    std::string message;  // transition_refused: the domain's sentence; else empty
};

struct SiteAttendance {
    Attendance state;
    std::vector<std::string> applied;       // ids that changed the state, in merged order
    std::vector<std::string> withdrawn;     // ids withdrawn by corrections, sorted
    std::vector<MergeConflict> conflicts;   // duplicates by id, then the rest in merged order
};

// The lenient fold of one student's events in one session, from any kiosks.
// The result depends only on the set of events and the rules.
SiteAttendance mergeAttendance(std::vector<AttendanceEvent> events, const SessionRules& rules);

// Every field, in a fixed layout: equal text means equal value. Strings are
// length-prefixed so no content can fake a separator.
std::string canonicalText(const AttendanceEvent& e);
std::string canonicalText(const Attendance& a);
std::string canonicalText(const SiteAttendance& m);
std::string canonicalText(const std::vector<MergeConflict>& conflicts);

} // namespace kiosk::domain
