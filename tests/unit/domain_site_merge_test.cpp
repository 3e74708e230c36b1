// kiosk::domain site merge rules, one example per rule: check-in beats no-show
// in both orders, two door stations checking in one student, corrections
// naming their event, lenient skipping with conflicts; work entries edited and
// reviewed on several machines; the day's evaluation from every machine.
#include "kiosk/domain/site_merge.hpp"
#include "kiosk/domain/work_merge.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kiosk::domain;

namespace {

const Timestamp kStart = *parseIso8601("2026-11-23T13:00:00Z");
const std::int64_t kStartMs = kStart.time_since_epoch().count();

SessionRules rules() {
    SessionRules r;
    r.scheduledStart = kStart;
    return r;
}

Timestamp minute(int m) { return kStart + Minutes{m}; }

// An event recorded on `kiosk` at `m` minutes after the start, stamped with
// that time and `counter`.
AttendanceEvent event(const std::string& id, const std::string& kiosk, EventKind kind, int m, std::uint32_t counter = 0) {
    AttendanceEvent e;
    e.id = id;
    e.kioskId = kiosk;
    e.kind = kind;
    e.at = minute(m);
    e.hlc = {kStartMs + m * 60000LL, counter};
    e.proctor = "proctor-" + kiosk;
    if (kind == EventKind::CheckedIn) {
        e.idMethod = IdMethod::PhotoId;
        e.idVerifiedBy = e.proctor;
    }
    if (kind == EventKind::NoShow) e.reason = "Absent";
    return e;
}

AttendanceEvent correction(const std::string& id, const std::string& kiosk, int m, const std::string& target) {
    auto e = event(id, kiosk, EventKind::Corrected, m);
    e.correctsEventId = target;
    e.reason = "wrong student";
    return e;
}

std::vector<std::string> reasons(const std::vector<MergeConflict>& conflicts, const std::string& id) {
    std::vector<std::string> out;
    for (const auto& c : conflicts)
        if (c.eventId == id) out.push_back(c.reason);
    return out;
}

// Folds every order of `events` (all permutations up to 6 events) and checks
// each gives the same result; returns it.
SiteAttendance mergeEveryOrder(std::vector<AttendanceEvent> events) {
    std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    const SiteAttendance first = mergeAttendance(events, rules());
    const std::string expected = canonicalText(first);
    int orders = 0;
    do {
        CHECK(canonicalText(mergeAttendance(events, rules())) == expected);
        ++orders;
    } while (std::next_permutation(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.id < b.id; }));
    CHECK(orders >= 1);
    return first;
}

} // namespace

TEST_CASE("merge: event keys order by hlc, then kiosk, then event id") {
    auto a = event("b", "k1", EventKind::CheckedIn, 0, 0);
    auto b = event("a", "k2", EventKind::CheckedIn, 0, 0);
    auto c = event("a", "k1", EventKind::CheckedIn, 0, 1);
    CHECK(keyOf(a) < keyOf(b));  // same stamp: kiosk decides
    CHECK(keyOf(b) < keyOf(c));  // the stamp comes first
    auto d = a;
    d.id = "a";
    CHECK(keyOf(d) < keyOf(a));  // same stamp and kiosk: the id decides
    CHECK(keyOf(a) == keyOf(a));
}

TEST_CASE("merge: a check-in seen anywhere beats a no-show, whichever is first in the order") {
    SUBCASE("no-show first") {
        // Station Y marks no-shows at the cut-off; station X checked the student in later, offline.
        auto noShow = event("y1", "Y", EventKind::NoShow, 30);
        auto checkIn = event("x1", "X", EventKind::CheckedIn, 35);
        auto m = mergeEveryOrder({noShow, checkIn});
        CHECK(m.state.presence == Presence::Present);
        CHECK(m.state.noShowReason.empty());
        CHECK(reasons(m.conflicts, "y1") == std::vector<std::string>{std::string(kConflictNoShowOverruled)});
        CHECK(m.applied == std::vector<std::string>{"x1"});
    }
    SUBCASE("check-in first") {
        auto checkIn = event("x1", "X", EventKind::CheckedIn, 5);
        auto noShow = event("y1", "Y", EventKind::NoShow, 30);
        auto checkOut = event("x2", "X", EventKind::CheckedOut, 60);
        auto m = mergeEveryOrder({noShow, checkIn, checkOut});
        CHECK(m.state.presence == Presence::CheckedOut);
        CHECK(reasons(m.conflicts, "y1") == std::vector<std::string>{std::string(kConflictNoShowOverruled)});
    }
    SUBCASE("a withdrawn check-in does not, and the no-show stands") {
        auto checkIn = event("x1", "X", EventKind::CheckedIn, 5);
        auto undo = correction("x2", "X", 6, "x1");
        auto noShow = event("y1", "Y", EventKind::NoShow, 30);
        auto m = mergeEveryOrder({noShow, undo, checkIn});
        CHECK(m.state.presence == Presence::NoShow);
        CHECK(m.withdrawn == std::vector<std::string>{"x1"});
        CHECK(m.conflicts.empty());
    }
    SUBCASE("a check-in whose ID was refused does not") {
        auto checkIn = event("x1", "X", EventKind::CheckedIn, 5);
        checkIn.idMethod = IdMethod::RefusedOrMismatch;
        auto noShow = event("y1", "Y", EventKind::NoShow, 30);
        auto m = mergeEveryOrder({noShow, checkIn});
        CHECK(m.state.presence == Presence::NoShow);
        CHECK(reasons(m.conflicts, "x1") == std::vector<std::string>{std::string(kConflictTransitionRefused)});
    }
}

TEST_CASE("merge: two door stations check in the same student: the first by key counts, the second is a conflict") {
    auto x = event("x1", "X", EventKind::CheckedIn, 2);
    x.seat = "A1";
    auto y = event("y1", "Y", EventKind::CheckedIn, 3);
    y.seat = "B7";
    auto m = mergeEveryOrder({y, x});
    CHECK(m.state.presence == Presence::Present);
    CHECK(m.state.seat == "A1");
    CHECK(m.state.checkedInAt == minute(2));
    REQUIRE(m.conflicts.size() == 1);
    CHECK(m.conflicts[0].eventId == "y1");
    CHECK(m.conflicts[0].reason == kConflictTransitionRefused);
    CHECK(m.conflicts[0].message == "This student is already checked in.");
    CHECK(m.state.eventCount == 1);

    // Same stamp on both machines: the kiosk id decides, on every machine alike.
    y.hlc = x.hlc;
    auto tie = mergeEveryOrder({y, x});
    CHECK(tie.state.seat == "A1");
    CHECK(reasons(tie.conflicts, "y1").size() == 1);
}

TEST_CASE("merge: invalid steps are skipped and reported, never fail the fold") {
    auto in = event("x1", "X", EventKind::CheckedIn, 0);
    auto backWithoutBreak = event("y1", "Y", EventKind::BreakIn, 10);
    auto out = event("x2", "X", EventKind::BreakOut, 20);
    auto outAgain = event("y2", "Y", EventKind::BreakOut, 21);  // other station, not synced
    auto back = event("x3", "X", EventKind::BreakIn, 30);
    auto m = mergeEveryOrder({in, backWithoutBreak, out, outAgain, back});
    CHECK(m.state.presence == Presence::Present);
    CHECK(m.state.breaks == 1);
    CHECK(m.state.minutesOnBreak == Minutes{10});
    CHECK(reasons(m.conflicts, "y1") == std::vector<std::string>{std::string(kConflictTransitionRefused)});
    CHECK(reasons(m.conflicts, "y2") == std::vector<std::string>{std::string(kConflictTransitionRefused)});
    CHECK(m.applied == std::vector<std::string>{"x1", "x2", "x3"});

    // The strict replay refuses the same history as a whole.
    std::vector<AttendanceEvent> seqOrdered{in, backWithoutBreak, out, outAgain, back};
    for (std::size_t i = 0; i < seqOrdered.size(); ++i) seqOrdered[i].seq = static_cast<std::int64_t>(i + 1);
    CHECK(replay(seqOrdered, rules()).refusal.has_value());
}

TEST_CASE("merge: a correction withdraws the event it names, wherever it sits in the order") {
    auto in = event("x1", "X", EventKind::CheckedIn, 0);
    auto seat = event("x2", "X", EventKind::SeatAssigned, 1);
    seat.seat = "C3";
    // Recorded on a machine whose clock was behind: its stamp sorts before its target.
    auto undo = correction("y1", "Y", -10, "x2");
    auto m = mergeEveryOrder({undo, seat, in});
    CHECK(m.state.seat.empty());
    CHECK(m.withdrawn == std::vector<std::string>{"x2"});
    CHECK(m.conflicts.empty());
    CHECK(m.state.eventCount == 1);

    SUBCASE("two stations withdrawing the same event agree") {
        auto again = correction("z1", "Z", 2, "x2");
        auto both = mergeEveryOrder({undo, again, seat, in});
        CHECK(both.withdrawn == std::vector<std::string>{"x2"});
        CHECK(both.conflicts.empty());
    }
    SUBCASE("a correction of a correction withdraws nothing: withdrawals are final") {
        auto undoUndo = correction("z1", "Z", 3, "y1");
        auto mm = mergeEveryOrder({undo, undoUndo, seat, in});
        CHECK(mm.state.seat.empty());
        CHECK(mm.withdrawn == std::vector<std::string>{"x2"});
        CHECK(reasons(mm.conflicts, "z1") == std::vector<std::string>{std::string(kConflictCorrectionOfCorrection)});
    }
    SUBCASE("a correction whose target has not arrived waits, then applies") {
        auto waiting = mergeEveryOrder({undo, in});
        CHECK(reasons(waiting.conflicts, "y1") == std::vector<std::string>{std::string(kConflictCorrectionTargetUnknown)});
        CHECK(waiting.withdrawn.empty());
    }
    SUBCASE("a walk-in flag cannot be withdrawn") {
        auto walkIn = event("w1", "X", EventKind::WalkInAdded, -1);
        auto undoWalkIn = correction("y9", "Y", 5, "w1");
        auto mm = mergeEveryOrder({walkIn, undoWalkIn, in});
        CHECK(mm.state.walkIn);
        CHECK(reasons(mm.conflicts, "y9") == std::vector<std::string>{std::string(kConflictCorrectionOfWalkIn)});
    }
}

TEST_CASE("merge: copies of an event count once and a differing copy under the same id is reported, and the same copy wins everywhere") {
    auto in = event("x1", "X", EventKind::CheckedIn, 0);
    auto m = mergeAttendance({in, in, in}, rules());
    CHECK(m.state.eventCount == 1);
    CHECK(m.conflicts.empty());

    auto tampered = in;
    tampered.seat = "Z9";
    auto a = mergeAttendance({in, tampered}, rules());
    auto b = mergeAttendance({tampered, in, tampered}, rules());
    CHECK(canonicalText(a) == canonicalText(b));
    CHECK(reasons(a.conflicts, "x1") == std::vector<std::string>{std::string(kConflictDuplicateDiffers)});
    CHECK(a.state.eventCount == 1);
}

TEST_CASE("merge: one kiosk's valid history folds to what the strict replay gives") {
    std::vector<AttendanceEvent> events{
        event("x1", "X", EventKind::CheckedIn, 20), event("x2", "X", EventKind::BreakOut, 40), event("x3", "X", EventKind::BreakIn, 50),
        event("x4", "X", EventKind::CheckedOut, 90)};
    auto acc = event("x5", "X", EventKind::AccommodationDelivered, 60);
    acc.accommodation = "uri://ed-fi.org/AccommodationDescriptor#Scheduling";
    events.push_back(acc);
    std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return keyOf(a) < keyOf(b); });
    for (std::size_t i = 0; i < events.size(); ++i) events[i].seq = static_cast<std::int64_t>(i + 1);
    auto strict = replay(events, rules());
    REQUIRE_FALSE(strict.refusal.has_value());
    auto m = mergeAttendance(events, rules());
    CHECK(m.conflicts.empty());
    CHECK(canonicalText(m.state) == canonicalText(strict.state));
    CHECK(m.state.late);
}

// ---- work entries ----

namespace {

TaskCatalogue catalogue() {
    TaskCatalogue c;
    c.title = "Work readiness";
    c.areas = {{"office", "Office", 600, 2}};
    c.tasks = {{"filing", "office", "Filing"}, {"phones", "office", "Phones"}};
    return c;
}

const Timestamp kDay = *parseIso8601("2026-11-23T15:00:00Z");

WorkEvent work(const std::string& id, const std::string& kiosk, WorkEventKind kind, int m, const std::string& entry = "e1") {
    WorkEvent e;
    e.id = id;
    e.kioskId = kiosk;
    e.kind = kind;
    e.entryId = entry;
    e.studentId = "S1";
    e.at = kDay + Minutes{m};
    e.hlc = {e.at.time_since_epoch().count(), 0};
    if (kind == WorkEventKind::DraftSaved) e.fields = {"filing", "2026-11-23", 45, "Library", "Sorted the returns."};
    if (kind == WorkEventKind::Approved || kind == WorkEventKind::SentBack || kind == WorkEventKind::Rejected) {
        e.reviewer = "P-" + kiosk;
        e.reviewerStaffId = "ST-" + kiosk;  // the state's id of that proctor
        e.comment = kind == WorkEventKind::Approved ? "" : "Say more.";
    }
    return e;
}

WorkEntryMerge mergeWorkEveryOrder(std::vector<WorkEvent> events) {
    auto byId = [](const auto& a, const auto& b) { return a.id < b.id; };
    std::sort(events.begin(), events.end(), byId);
    const WorkEntryMerge first = mergeWorkEntry(events, catalogue());
    const std::string expected = canonicalText(first);
    do {
        CHECK(canonicalText(mergeWorkEntry(events, catalogue())) == expected);
    } while (std::next_permutation(events.begin(), events.end(), byId));
    return first;
}

} // namespace

TEST_CASE("work merge: drafts edited on two machines, the later edit by key wins, then submit and approve elsewhere") {
    auto draft = work("w1", "lab3", WorkEventKind::DraftSaved, 0);
    auto edit = work("w2", "lab7", WorkEventKind::DraftSaved, 10);
    edit.fields.minutes = 90;
    auto sub = work("w3", "lab7", WorkEventKind::Submitted, 11);
    auto ok = work("w4", "door", WorkEventKind::Approved, 30);
    auto m = mergeWorkEveryOrder({ok, sub, edit, draft});
    REQUIRE(m.entry.has_value());
    CHECK(m.entry->status == EntryStatus::Approved);
    CHECK(m.entry->minutes == 90);
    CHECK(m.entry->reviewer == "P-door");
    CHECK(m.conflicts.empty());
}

TEST_CASE("work merge: concurrent reviews: the first by key wins, the later one is a conflict") {
    auto draft = work("w1", "lab3", WorkEventKind::DraftSaved, 0);
    auto sub = work("w2", "lab3", WorkEventKind::Submitted, 1);
    auto rejectY = work("w3", "Y", WorkEventKind::Rejected, 20);
    auto approveX = work("w4", "X", WorkEventKind::Approved, 20);  // same stamp: kiosk "X" sorts before "Y"
    auto m = mergeWorkEveryOrder({rejectY, approveX, sub, draft});
    REQUIRE(m.entry.has_value());
    CHECK(m.entry->status == EntryStatus::Approved);
    CHECK(reasons(m.conflicts, "w3") == std::vector<std::string>{std::string(kConflictTransitionRefused)});

    SUBCASE("a review after a send-back and a resubmission is not concurrent, and applies") {
        auto back = work("w5", "X", WorkEventKind::SentBack, 10);
        auto fix = work("w6", "lab7", WorkEventKind::DraftSaved, 12);
        auto resub = work("w7", "lab7", WorkEventKind::Submitted, 13);
        auto mm = mergeWorkEveryOrder({back, fix, resub, approveX, sub, draft});
        REQUIRE(mm.entry.has_value());
        CHECK(mm.entry->status == EntryStatus::Approved);
        CHECK(mm.conflicts.empty());
    }
}

TEST_CASE("work merge: an edit after the entry was submitted elsewhere is a conflict and a stray student or entry is left out") {
    auto draft = work("w1", "lab3", WorkEventKind::DraftSaved, 0);
    auto sub = work("w2", "lab3", WorkEventKind::Submitted, 1);
    auto lateEdit = work("w3", "lab7", WorkEventKind::DraftSaved, 2);
    lateEdit.fields.minutes = 500;
    auto stranger = work("w4", "lab7", WorkEventKind::DraftSaved, 3);
    stranger.studentId = "S2";
    auto m = mergeWorkEveryOrder({stranger, lateEdit, sub, draft});
    REQUIRE(m.entry.has_value());
    CHECK(m.entry->status == EntryStatus::Submitted);
    CHECK(m.entry->minutes == 45);
    CHECK(reasons(m.conflicts, "w3") == std::vector<std::string>{std::string(kConflictTransitionRefused)});
    CHECK(reasons(m.conflicts, "w4") == std::vector<std::string>{std::string(kConflictStudentMismatch)});

    auto other = work("w9", "lab7", WorkEventKind::DraftSaved, 5, "e2");
    auto mixed = mergeWorkEntry({draft, other}, catalogue());
    CHECK(reasons(mixed.conflicts, "w9") == std::vector<std::string>{std::string(kConflictEntryMismatch)});

    CHECK_FALSE(mergeWorkEntry({sub}, catalogue()).entry.has_value());  // nothing applied: no entry
}

TEST_CASE("work merge: the day's evaluation holds every approved task from every machine") {
    // Morning on lab3, afternoon on lab7, approved on each; one rejected; another day; another student.
    auto lab3 = mergeWorkEvents({work("a1", "lab3", WorkEventKind::DraftSaved, 0, "e1"), work("a2", "lab3", WorkEventKind::Submitted, 1, "e1"),
                                 work("a3", "lab3", WorkEventKind::Approved, 2, "e1")},
                                catalogue());
    auto pm = work("b1", "lab7", WorkEventKind::DraftSaved, 300, "e2");
    pm.fields.taskId = "phones";
    pm.fields.minutes = 30;
    auto lab7 = mergeWorkEvents({pm, work("b2", "lab7", WorkEventKind::Submitted, 301, "e2"), work("b3", "lab7", WorkEventKind::Approved, 302, "e2"),
                                 work("c1", "lab7", WorkEventKind::DraftSaved, 310, "e3"), work("c2", "lab7", WorkEventKind::Submitted, 311, "e3"),
                                 work("c3", "lab7", WorkEventKind::Rejected, 312, "e3")},
                                catalogue());
    std::vector<WorkEntry> all = lab7.entries;
    all.insert(all.end(), lab3.entries.begin(), lab3.entries.end());
    WorkEntry otherDay = lab3.entries.front();
    otherDay.entryId = "e4";
    otherDay.date = "2026-11-22";
    WorkEntry otherStudent = lab3.entries.front();
    otherStudent.entryId = "e5";
    otherStudent.studentId = "S2";
    all.push_back(otherDay);
    all.push_back(otherStudent);
    all.push_back(lab3.entries.front());  // the same entry again, from another machine's projection

    auto d = dayEvaluation(all, "S1", "2026-11-23");
    REQUIRE(d.approved.size() == 2);
    CHECK(d.approved[0].entryId == "e1");
    CHECK(d.approved[1].entryId == "e2");
    CHECK(d.minutesByTask == std::map<std::string, int>{{"filing", 45}, {"phones", 30}});
    CHECK(d.totalMinutes == 75);
    CHECK(d.evaluator == "ST-lab7");  // the afternoon approval is the latest, named by the state's id

    std::vector<WorkEntry> reversed(all.rbegin(), all.rend());
    CHECK(canonicalText(dayEvaluation(reversed, "S1", "2026-11-23")) == canonicalText(d));

    auto days = evaluationDays(all);
    CHECK(days == std::vector<std::pair<std::string, std::string>>{{"S1", "2026-11-22"}, {"S1", "2026-11-23"}, {"S2", "2026-11-23"}});
    CHECK(dayEvaluation(all, "S1", "2026-11-24").approved.empty());
}
