#pragma once
// The site's merge rules for work-readiness entries: a student logs and edits
// an entry on whichever lab machine is free and a proctor reviews it on any
// other, so one entry's events come from several kiosks. Every kiosk folds the
// same set into the same entries, in any arrival order, with copies.
//
//  - One event per id (a differing copy: the one whose text sorts first
//    stays, duplicate_id_differs), ordered by (hlc, kioskId, event id) like
//    attendance (site_merge.hpp).
//  - Each step is the rule of work_entry.hpp, applied in that order. A step
//    that cannot apply is skipped and reported as transition_refused: a draft
//    edit after the entry was submitted elsewhere, a submit of an incomplete
//    draft.
//  - Concurrent reviews: the first in the order wins; a later approve, send
//    back or reject of an entry that is no longer submitted is refused (the
//    proctor who was second sees it in the conflicts). A review made after
//    the student edited and resubmitted a sent-back entry is not concurrent
//    and applies.
//  - An entry belongs to the student and entry id of its first event; an
//    event naming another student or entry is left out (student_mismatch,
//    entry_mismatch).
//  The fold also depends on the task catalogue (tasks, limits): the site's
//  machines must share one, which travels through the site log.
#include "kiosk/domain/site_merge.hpp"
#include "kiosk/domain/work_entry.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::domain {

enum class WorkEventKind { DraftSaved, Submitted, Approved, SentBack, Rejected, Discarded };
// The store's work_event.kind codes: "draft_saved", "submitted", "approved", "sent_back", "rejected", "discarded".
std::string_view workEventKindCode(WorkEventKind k);
std::optional<WorkEventKind> workEventKindFromCode(std::string_view code);

struct WorkEvent {
    std::string id;        // UUIDv7
    std::string kioskId;   // the machine that recorded it
    Hlc hlc;
    std::string entryId;
    std::string studentId;
    WorkEventKind kind = WorkEventKind::DraftSaved;
    std::string reviewer;  // reviews: the proctor's id (the store's actor without "proctor:")
    std::string reviewerStaffId;  // reviews: the state's staffUniqueId of the proctor, when the kiosk knew it
    Timestamp at{};        // when it was recorded: submit checks the work date against it
    EntryFields fields;    // DraftSaved: what the student typed
    std::string comment;   // SentBack: what to change; Rejected: the reason

    bool operator==(const WorkEvent&) const = default;
};
EventKey keyOf(const WorkEvent& e);

struct WorkEntryMerge {
    std::optional<WorkEntry> entry;        // none until an event applied
    std::vector<std::string> applied;      // ids that changed the entry, in merged order
    std::vector<MergeConflict> conflicts;  // duplicates by id, then the rest in merged order
};
// The lenient fold of one entry's events from any kiosks.
WorkEntryMerge mergeWorkEntry(std::vector<WorkEvent> events, const TaskCatalogue& catalogue);

struct WorkMerge {
    std::vector<WorkEntry> entries;        // one per entry that exists, by entry id
    std::vector<MergeConflict> conflicts;  // by entry id, then as mergeWorkEntry lists them
};
// Groups events by entry id and folds each entry.
WorkMerge mergeWorkEvents(std::vector<WorkEvent> events, const TaskCatalogue& catalogue);

// What one StudentProgramEvaluation (student, day) holds, from every approved
// entry of that student and day, whichever machine it was logged or reviewed
// on. Empty `approved` means the day has nothing to report: a record already
// at the state for it must be deleted there.
struct DayEvaluation {
    std::string studentId;
    std::string date;                          // YYYY-MM-DD, the evaluationDate
    std::vector<WorkEntry> approved;           // by entry id
    std::map<std::string, int> minutesByTask;  // task id -> approved minutes: the evaluation elements
    int totalMinutes = 0;
    std::string evaluator;                     // staffUniqueId of the latest approval's reviewer (reviewedAt, then entry id); "" when unknown
};
// `entries` may hold any students and days, and the same entry more than once
// (the copy whose text sorts first is used).
DayEvaluation dayEvaluation(const std::vector<WorkEntry>& entries, std::string_view studentId, std::string_view date);

// Every (student, day) with at least one approved entry, sorted.
std::vector<std::pair<std::string, std::string>> evaluationDays(const std::vector<WorkEntry>& entries);

std::string canonicalText(const WorkEvent& e);
std::string canonicalText(const WorkEntry& e);
std::string canonicalText(const WorkEntryMerge& m);
std::string canonicalText(const WorkMerge& m);
std::string canonicalText(const DayEvaluation& d);

} // namespace kiosk::domain
