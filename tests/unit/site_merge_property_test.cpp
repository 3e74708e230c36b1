// Property tests of the site merge rules (kiosk/domain/site_merge.hpp,
// work_merge.hpp): a seeded simulation of 2 to 4 kiosks of a site working on
// the same students while their links to each other come and go produces a
// set of events; every random order and duplication of that set must fold to
// the same projection (compared as canonical text), and the projection must
// keep the rules' invariants. Each failure names its seed; rerun one with
// KIOSK_PROPERTY_SEED=<seed>, or more with KIOSK_PROPERTY_CASES=<n>.
#include "kiosk/domain/site_merge.hpp"
#include "kiosk/domain/work_merge.hpp"

#include "support/property_seeds.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace kiosk::domain;

namespace {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_g(seed) {}
    int below(int n) { return static_cast<int>(m_g() % static_cast<std::uint64_t>(n)); }
    bool chance(int percent) { return below(100) < percent; }
    std::string hexId() {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string s(32, '0');
        for (auto& c : s) c = kHex[below(16)];
        return s;
    }
    template <class T>
    const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))]; }
    std::mt19937_64& engine() { return m_g; }

private:
    std::mt19937_64 m_g;
};

using kiosk::test::propertySeeds;

constexpr int kOrdersPerCase = 12;

// A shuffled copy of `events` where each event appears one to three times.
template <class Event>
std::vector<Event> shuffledWithCopies(const std::vector<Event>& events, Rng& rng) {
    std::vector<Event> out;
    for (const auto& e : events) {
        int copies = 1 + (rng.chance(30) ? 1 + rng.below(2) : 0);
        for (int i = 0; i < copies; ++i) out.push_back(e);
    }
    std::shuffle(out.begin(), out.end(), rng.engine());
    return out;
}

// ---------------------------------------------------------------- attendance

const Timestamp kStart = *parseIso8601("2026-11-23T13:00:00Z");

SessionRules sessionRules() {
    SessionRules r;
    r.scheduledStart = kStart;
    r.lateAfter = Minutes{15};
    r.noShowAfter = Minutes{30};
    return r;
}

const std::vector<std::string> kAccommodations{"uri://ed-fi.org/AccommodationDescriptor#Scheduling",
                                               "uri://ed-fi.org/AccommodationDescriptor#Test material",
                                               "uri://ed-fi.org/AccommodationDescriptor#Setting"};
const std::vector<std::string> kCircumstances{"uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm",
                                              "uri://ed-fi.org/EventCircumstanceDescriptor#Illness"};

struct Machine {
    std::string id;
    HlcClock clock;
    std::int64_t skewMs = 0;
    std::vector<std::size_t> known;  // indexes into the site's events
    std::set<std::size_t> knownSet;
};

struct AttendanceCase {
    std::vector<AttendanceEvent> events;  // the set, including any differing copy under a used id
    int kiosks = 0;
};

std::int64_t ms(Timestamp t) { return t.time_since_epoch().count(); }

// Simulates door stations and lab machines working on one student.
AttendanceCase simulateAttendance(std::uint64_t seed) {
    Rng rng(seed);
    AttendanceCase c;
    c.kiosks = 2 + rng.below(3);
    const std::vector<std::string> names{"door-X", "door-Y", "lab-3", "lab-7"};
    std::vector<Machine> machines(static_cast<std::size_t>(c.kiosks));
    for (std::size_t i = 0; i < machines.size(); ++i) {
        machines[i].id = names[i];
        // Most clocks agree to a few seconds; some are minutes off.
        machines[i].skewMs = rng.chance(20) ? (rng.below(20) - 10) * 60000LL : rng.below(4000) - 2000;
    }
    const int delivery = std::vector<int>{0, 20, 60, 100}[static_cast<std::size_t>(rng.below(4))];  // % chance a message gets through
    const SessionRules rules = sessionRules();
    const bool walkIn = rng.chance(10);
    Timestamp now = kStart - Minutes{10} + std::chrono::milliseconds(rng.below(60000));
    const int steps = 4 + rng.below(24);

    auto localState = [&](const Machine& m) {
        std::vector<AttendanceEvent> seen;
        for (auto i : m.known) seen.push_back(c.events[i]);
        return mergeAttendance(seen, rules);
    };
    auto record = [&](Machine& m, AttendanceEvent e) {
        m.known.push_back(c.events.size());
        m.knownSet.insert(c.events.size());
        c.events.push_back(std::move(e));
    };

    for (int step = 0; step < steps; ++step) {
        now += Minutes{rng.below(9)} + std::chrono::milliseconds(rng.below(60000));
        Machine& m = machines[static_cast<std::size_t>(rng.below(c.kiosks))];
        const Timestamp local = now + std::chrono::milliseconds(m.skewMs);
        for (std::size_t i = 0; i < c.events.size(); ++i) {
            if (m.knownSet.count(i) || !rng.chance(delivery)) continue;
            m.known.push_back(i);
            m.knownSet.insert(i);
            m.clock.observe(c.events[i].hlc, ms(local));  // a refusal (far ahead) changes nothing here
        }
        SiteAttendance view = localState(m);
        const Attendance& s = view.state;

        AttendanceEvent e;
        e.id = rng.hexId();
        e.kioskId = m.id;
        e.at = local;
        e.seq = static_cast<std::int64_t>(c.events.size() + 1);
        e.proctor = "proctor@" + m.id;
        int roll = rng.below(100);
        if (walkIn && step == 0) e.kind = EventKind::WalkInAdded;
        else if (roll < 22) {
            e.kind = EventKind::CheckedIn;
            e.idMethod = rng.chance(90) ? IdMethod::PhotoId : IdMethod::RefusedOrMismatch;
            e.idVerifiedBy = e.proctor;
            if (rng.chance(50)) e.seat = "S" + std::to_string(rng.below(30));
            if (isLate(local, rules)) e.reason = "bus";
        } else if (roll < 32) {
            e.kind = EventKind::NoShow;  // "Mark no-shows" at the cut-off
            e.reason = rng.chance(80) ? "Absent" : "Medical waiver";
            if (!noShowAllowed(local, rules)) {  // the station waits for its own clock to reach the cut-off
                now = std::max(now, kStart + rules.noShowAfter + std::chrono::milliseconds(rng.below(120000) - m.skewMs));
                e.at = now + std::chrono::milliseconds(m.skewMs);
            }
        } else if (roll < 42) {
            e.kind = rng.chance(50) ? EventKind::BreakOut : EventKind::BreakIn;
        } else if (roll < 50) {
            e.kind = EventKind::SeatAssigned;
            e.seat = "S" + std::to_string(rng.below(30));
        } else if (roll < 58) {
            e.kind = EventKind::AccommodationDelivered;
            e.accommodation = rng.pick(kAccommodations);
        } else if (roll < 66) {
            e.kind = EventKind::Irregularity;
            e.circumstance = rng.pick(kCircumstances);
            e.description = "noted at step " + std::to_string(step);
            if (rng.chance(30)) e.occurredAt = local - Minutes{rng.below(10)};
        } else if (roll < 72) {
            e.kind = EventKind::IdChecked;
            e.idMethod = rng.chance(80) ? IdMethod::SchoolId : IdMethod::RefusedOrMismatch;
            e.idVerifiedBy = e.proctor;
        } else if (roll < 82) {
            e.kind = EventKind::CheckedOut;
        } else {
            // A correction: usually of an entry this machine sees, sometimes of a correction or of an id it never saw.
            e.kind = EventKind::Corrected;
            e.reason = "entered by mistake";
            int how = rng.below(100);
            if (how < 8 || m.known.empty()) e.correctsEventId = rng.hexId();
            else e.correctsEventId = c.events[m.known[static_cast<std::size_t>(rng.below(static_cast<int>(m.known.size())))]].id;
        }
        // A kiosk checks a step against its own merged view (fold leniently, apply strictly); one in ten
        // steps skips that, standing for an old build or a race the local check could not see.
        if (e.kind != EventKind::Corrected && !rng.chance(10)) {
            Attendance probe = s;
            if (apply(probe, e, rules)) continue;
        }
        e.hlc = m.clock.tick(ms(e.at));
        if (rng.chance(2)) e.hlc = {ms(e.at) + 400LL * 24 * 3600 * 1000, 0};  // a machine whose clock says next year
        record(m, std::move(e));
    }
    // Rarely, a corrupted copy travels under an existing id.
    if (!c.events.empty() && rng.chance(5)) {
        AttendanceEvent bad = c.events[static_cast<std::size_t>(rng.below(static_cast<int>(c.events.size())))];
        bad.seat = "tampered";
        c.events.push_back(bad);
    }
    return c;
}

std::string describe(const std::vector<AttendanceEvent>& events) {
    std::ostringstream o;
    for (const auto& e : events)
        o << "  " << e.id.substr(0, 8) << ' ' << e.kioskId << ' ' << encodeHlc(e.hlc) << ' ' << eventKindCode(e.kind)
          << (e.correctsEventId.empty() ? "" : " -> " + e.correctsEventId.substr(0, 8)) << '\n';
    return o.str();
}

// Invariants of one merged result, whatever the order.
void checkAttendanceInvariants(const std::vector<AttendanceEvent>& events, const SiteAttendance& m) {
    std::map<std::string, const AttendanceEvent*> byId;
    for (const auto& e : events) byId.emplace(e.id, &e);
    std::set<std::string> withdrawn(m.withdrawn.begin(), m.withdrawn.end());
    std::set<std::string> accounted;
    for (const auto& id : m.applied) {
        CHECK(accounted.insert(id).second);
        CHECK_FALSE(withdrawn.count(id));
    }
    for (const auto& conflict : m.conflicts) {
        REQUIRE(byId.count(conflict.eventId));
        if (conflict.reason != kConflictDuplicateDiffers) CHECK(accounted.insert(conflict.eventId).second);
    }
    for (const auto& id : withdrawn) {
        REQUIRE(byId.count(id));
        CHECK(byId[id]->kind != EventKind::Corrected);
        CHECK(accounted.insert(id).second);
    }
    // Every event is applied, withdrawn, a correction, or reported.
    for (const auto& item : byId)
        if (item.second->kind != EventKind::Corrected) CHECK(accounted.count(item.first));
    CHECK(m.state.eventCount == static_cast<int>(m.applied.size()));
    // A live check-in anywhere means no no-show.
    SessionRules open = sessionRules();
    bool liveCheckIn = false;
    for (const auto& item : byId) {
        Attendance fresh;
        if (item.second->kind == EventKind::CheckedIn && !withdrawn.count(item.first) && !apply(fresh, *item.second, open)) liveCheckIn = true;
    }
    if (liveCheckIn) CHECK(m.state.presence != Presence::NoShow);
    if (m.state.presence == Presence::Expected) CHECK_FALSE(m.state.checkedInAt.has_value());
}

// ---------------------------------------------------------------- work entries

const Timestamp kDay = *parseIso8601("2026-11-23T08:00:00Z");

TaskCatalogue workCatalogue() {
    TaskCatalogue c;
    c.title = "Work readiness";
    c.areas = {{"office", "Office skills", 600, 2}, {"retail", "Retail", 300, 1}};
    c.tasks = {{"filing", "office", "Filing"}, {"phones", "office", "Phones"}, {"till", "retail", "Till"}, {"stock", "retail", "Stock"}};
    c.maxDaysBack = 14;
    return c;
}

struct WorkCase {
    std::vector<WorkEvent> events;
    int machines = 0;
};

// Students move between lab machines; proctors review wherever they are.
WorkCase simulateWork(std::uint64_t seed) {
    Rng rng(seed);
    WorkCase c;
    c.machines = 2 + rng.below(3);
    const std::vector<std::string> names{"lab-1", "lab-2", "lab-3", "door"};
    std::vector<Machine> machines(static_cast<std::size_t>(c.machines));
    for (std::size_t i = 0; i < machines.size(); ++i) {
        machines[i].id = names[i];
        machines[i].skewMs = rng.chance(20) ? (rng.below(10) - 5) * 60000LL : rng.below(4000) - 2000;
    }
    const int delivery = std::vector<int>{0, 20, 60, 100}[static_cast<std::size_t>(rng.below(4))];
    const TaskCatalogue catalogue = workCatalogue();
    const std::vector<std::string> students{"S1", "S2"};
    const std::vector<std::string> dates{"2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"};  // the last is in the future
    Timestamp now = kDay;
    const int steps = 6 + rng.below(30);

    for (int step = 0; step < steps; ++step) {
        now += Minutes{rng.below(30)} + std::chrono::milliseconds(rng.below(60000));
        Machine& m = machines[static_cast<std::size_t>(rng.below(c.machines))];
        const Timestamp local = now + std::chrono::milliseconds(m.skewMs);
        for (std::size_t i = 0; i < c.events.size(); ++i) {
            if (m.knownSet.count(i) || !rng.chance(delivery)) continue;
            m.known.push_back(i);
            m.knownSet.insert(i);
            m.clock.observe(c.events[i].hlc, ms(local));
        }
        std::vector<WorkEvent> seen;
        for (auto i : m.known) seen.push_back(c.events[i]);
        WorkMerge view = mergeWorkEvents(seen, catalogue);

        WorkEvent e;
        e.id = rng.hexId();
        e.kioskId = m.id;
        e.at = local;
        int roll = rng.below(100);
        const WorkEntry* target = view.entries.empty() ? nullptr : &rng.pick(view.entries);
        if (roll < 25 || !target) {
            e.kind = WorkEventKind::DraftSaved;
            e.entryId = rng.hexId();
            e.studentId = rng.pick(students);
        } else {
            e.entryId = target->entryId;
            e.studentId = target->studentId;
            if (roll < 45) e.kind = WorkEventKind::DraftSaved;
            else if (roll < 62) e.kind = WorkEventKind::Submitted;
            else if (roll < 80) e.kind = WorkEventKind::Approved;
            else if (roll < 93) e.kind = rng.chance(50) ? WorkEventKind::SentBack : WorkEventKind::Rejected;
            else e.kind = WorkEventKind::Discarded;  // the student deletes a draft while a proctor may be reviewing it
        }
        if (e.kind == WorkEventKind::DraftSaved) {
            e.fields.taskId = rng.chance(90) ? rng.pick(catalogue.tasks).id : "";
            e.fields.date = rng.pick(dates);
            e.fields.minutes = rng.chance(90) ? 15 + rng.below(120) : 0;
            e.fields.place = rng.chance(90) ? "Library" : "";
            e.fields.reflection = rng.chance(90) ? "Did it, step " + std::to_string(step) : "";
        } else if (e.kind != WorkEventKind::Submitted && e.kind != WorkEventKind::Discarded) {
            e.reviewer = rng.chance(95) ? (rng.chance(50) ? "P1" : "P2") : e.studentId;  // a student may not review their own
            if (e.kind != WorkEventKind::Approved) e.comment = "Add what you learnt.";
        }
        // Checked against the machine's merged view, except one step in ten.
        if (!rng.chance(10)) {
            WorkEntry probe;
            probe.entryId = e.entryId;
            probe.studentId = e.studentId;
            for (const auto& w : view.entries)
                if (w.entryId == e.entryId) probe = w;
            std::optional<Refusal> refusal;
            switch (e.kind) {
            case WorkEventKind::DraftSaved: refusal = saveDraft(probe, e.fields, catalogue); break;
            case WorkEventKind::Submitted: refusal = submit(probe, catalogue, e.at); break;
            case WorkEventKind::Approved: refusal = approve(probe, e.reviewer, e.at); break;
            case WorkEventKind::SentBack: refusal = sendBack(probe, e.reviewer, e.comment, e.at); break;
            case WorkEventKind::Rejected: refusal = reject(probe, e.reviewer, e.comment, e.at); break;
            case WorkEventKind::Discarded: refusal = discard(probe); break;
            }
            if (refusal) continue;
        }
        e.hlc = m.clock.tick(ms(e.at));
        m.known.push_back(c.events.size());
        m.knownSet.insert(c.events.size());
        c.events.push_back(std::move(e));
    }
    if (!c.events.empty() && rng.chance(5)) {
        WorkEvent bad = c.events[static_cast<std::size_t>(rng.below(static_cast<int>(c.events.size())))];
        bad.fields.minutes += 1;
        c.events.push_back(bad);
    }
    return c;
}

// The whole projection a kiosk builds from work events: entries, conflicts,
// each day's evaluation and each student's progress.
std::string workProjection(const std::vector<WorkEvent>& events, const TaskCatalogue& catalogue) {
    WorkMerge merged = mergeWorkEvents(events, catalogue);
    std::ostringstream o;
    o << canonicalText(merged) << '\n';
    for (const auto& day : evaluationDays(merged.entries)) o << canonicalText(dayEvaluation(merged.entries, day.first, day.second)) << '\n';
    for (const std::string student : {"S1", "S2"}) {
        std::vector<WorkEntry> mine;
        for (const auto& w : merged.entries)
            if (w.studentId == student) mine.push_back(w);
        Progress p = progressOf(mine, catalogue);
        o << student << ' ' << p.totalHours;
        for (const auto& a : p.areas) o << ' ' << a.areaId << ':' << a.approvedMinutes << '/' << a.tasksDone;
        o << '\n';
    }
    return o.str();
}

std::string describe(const std::vector<WorkEvent>& events) {
    std::ostringstream o;
    for (const auto& e : events)
        o << "  " << e.id.substr(0, 8) << ' ' << e.kioskId << ' ' << encodeHlc(e.hlc) << ' ' << workEventKindCode(e.kind) << " entry "
          << e.entryId.substr(0, 8) << '\n';
    return o.str();
}

} // namespace

TEST_CASE("property: any order and any copies of a site's attendance events fold to the same state") {
    const SessionRules rules = sessionRules();
    int withConflicts = 0, overruled = 0, corrected = 0, cases = 0;
    for (std::uint64_t seed : propertySeeds(1000, 2000)) {
        AttendanceCase c = simulateAttendance(seed);
        const SiteAttendance reference = mergeAttendance(c.events, rules);
        const std::string expected = canonicalText(reference);
        INFO("seed " << seed << " (rerun: KIOSK_PROPERTY_SEED=" << seed << "), " << c.kiosks << " kiosks, events:\n" << describe(c.events));
        checkAttendanceInvariants(c.events, reference);
        Rng orders(seed * 7919 + 1);
        for (int i = 0; i < kOrdersPerCase; ++i) {
            std::string got = canonicalText(mergeAttendance(shuffledWithCopies(c.events, orders), rules));
            if (got != expected) {
                FAIL_CHECK("order " << i << " folded differently:\n  got      " << got << "\n  expected " << expected);
                break;
            }
        }
        ++cases;
        withConflicts += !reference.conflicts.empty();
        overruled += std::any_of(reference.conflicts.begin(), reference.conflicts.end(),
                                 [](const MergeConflict& x) { return x.reason == kConflictNoShowOverruled; });
        corrected += !reference.withdrawn.empty();
    }
    // The generator must reach the rules it is meant to exercise.
    if (cases >= 200) {
        CHECK(withConflicts > cases / 10);
        CHECK(overruled > cases / 50);
        CHECK(corrected > cases / 20);
    }
    MESSAGE(cases << " attendance cases x " << kOrdersPerCase << " orders; " << withConflicts << " with conflicts, " << overruled
                  << " with a no-show overruled, " << corrected << " with withdrawals");
}

TEST_CASE("property: a kiosk receiving the events in batches ends where one given them all at once") {
    const SessionRules rules = sessionRules();
    for (std::uint64_t seed : propertySeeds(50000, 400)) {
        AttendanceCase c = simulateAttendance(seed);
        INFO("seed " << seed << " (rerun: KIOSK_PROPERTY_SEED=" << seed << ")\n" << describe(c.events));
        Rng rng(seed);
        auto arrival = shuffledWithCopies(c.events, rng);
        std::vector<AttendanceEvent> held;
        SiteAttendance last;
        for (const auto& e : arrival) {
            held.push_back(e);  // the store keeps what it received, copies included, and folds again
            if (rng.chance(40)) last = mergeAttendance(held, rules);
        }
        last = mergeAttendance(held, rules);
        CHECK(canonicalText(last) == canonicalText(mergeAttendance(c.events, rules)));
    }
}

TEST_CASE("property: any order and any copies of a site's work events give the same entries, day evaluations and progress") {
    const TaskCatalogue catalogue = workCatalogue();
    int withConflicts = 0, approvedDays = 0, cases = 0;
    for (std::uint64_t seed : propertySeeds(200000, 1000)) {
        WorkCase c = simulateWork(seed);
        const std::string expected = workProjection(c.events, catalogue);
        INFO("seed " << seed << " (rerun: KIOSK_PROPERTY_SEED=" << seed << "), " << c.machines << " machines, events:\n" << describe(c.events));
        WorkMerge reference = mergeWorkEvents(c.events, catalogue);
        // Every event is applied to its entry or reported.
        std::set<std::string> ids, accounted;
        for (const auto& e : c.events) ids.insert(e.id);
        for (const auto& x : reference.conflicts)
            if (x.reason != kConflictDuplicateDiffers) CHECK(accounted.insert(x.eventId).second);
        std::map<std::string, std::vector<WorkEvent>> byEntry;
        for (const auto& e : c.events) byEntry[e.entryId].push_back(e);
        for (auto& group : byEntry)
            for (const auto& id : mergeWorkEntry(group.second, catalogue).applied) CHECK(accounted.insert(id).second);
        CHECK(accounted == ids);

        Rng orders(seed * 104729 + 3);
        for (int i = 0; i < kOrdersPerCase; ++i) {
            std::string got = workProjection(shuffledWithCopies(c.events, orders), catalogue);
            if (got != expected) {
                FAIL_CHECK("order " << i << " folded differently:\n  got\n" << got << "  expected\n" << expected);
                break;
            }
        }
        ++cases;
        withConflicts += !reference.conflicts.empty();
        approvedDays += static_cast<int>(evaluationDays(reference.entries).size());
    }
    if (cases >= 200) {
        CHECK(withConflicts > cases / 10);
        CHECK(approvedDays > cases / 5);
    }
    MESSAGE(cases << " work cases x " << kOrdersPerCase << " orders; " << withConflicts << " with conflicts, " << approvedDays
                  << " student-days with approved work");
}
