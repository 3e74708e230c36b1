// kiosk::domain attendance rules: every transition of apply(), allowed and
// refused; lateness; assessed minutes; replay order and corrections.
#include "kiosk/domain/attendance.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <sstream>

using namespace kiosk::domain;
using namespace std::chrono_literals;

namespace {

const Timestamp kStart = *parseIso8601("2026-11-23T13:00:00Z");

SessionRules rules() {
    SessionRules r;
    r.scheduledStart = kStart;
    r.lateAfter = Minutes{15};
    r.noShowAfter = Minutes{30};
    return r;
}

Timestamp minute(int m) { return kStart + Minutes{m}; }

std::int64_t g_seq = 0;

AttendanceEvent event(EventKind kind, Timestamp at) {
    AttendanceEvent e;
    e.kind = kind;
    e.seq = ++g_seq;
    e.id = "ev-" + std::to_string(e.seq);
    e.at = at;
    e.proctor = "Ms. Rivera";
    return e;
}

AttendanceEvent checkIn(Timestamp at, std::optional<IdMethod> method = IdMethod::PhotoId, std::string verifiedBy = "Ms. Rivera") {
    auto e = event(EventKind::CheckedIn, at);
    e.idMethod = method;
    e.idVerifiedBy = std::move(verifiedBy);
    return e;
}

AttendanceEvent idCheck(Timestamp at, std::optional<IdMethod> method, std::string verifiedBy = "Ms. Rivera") {
    auto e = event(EventKind::IdChecked, at);
    e.idMethod = method;
    e.idVerifiedBy = std::move(verifiedBy);
    return e;
}

AttendanceEvent seat(Timestamp at, std::string s) {
    auto e = event(EventKind::SeatAssigned, at);
    e.seat = std::move(s);
    return e;
}

AttendanceEvent accommodation(Timestamp at, std::string a) {
    auto e = event(EventKind::AccommodationDelivered, at);
    e.accommodation = std::move(a);
    return e;
}

AttendanceEvent irregularity(Timestamp at, std::string circumstance, std::string description) {
    auto e = event(EventKind::Irregularity, at);
    e.circumstance = std::move(circumstance);
    e.description = std::move(description);
    return e;
}

AttendanceEvent noShow(Timestamp at, std::string reason = {}) {
    auto e = event(EventKind::NoShow, at);
    e.reason = std::move(reason);
    return e;
}

AttendanceEvent correction(Timestamp at, const std::string& withdrawn) {
    auto e = event(EventKind::Corrected, at);
    e.correctsEventId = withdrawn;
    e.reason = "entered for the wrong student";
    return e;
}

const std::string kExtendedTime = "uri://ed-fi.org/AccommodationDescriptor#Scheduling";
const std::string kLargePrint = "uri://ed-fi.org/AccommodationDescriptor#Test material";
const std::string kFireAlarm = "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm";

// Everything observable about an Attendance, so "unchanged" can be checked.
std::string fingerprint(const Attendance& a) {
    std::ostringstream o;
    auto t = [&](const std::optional<Timestamp>& ts) { o << (ts ? formatUtc(*ts) : std::string("-")) << '|'; };
    o << presenceCode(a.presence) << '|' << a.walkIn << a.late << '|' << a.lateReason << '|';
    t(a.checkedInAt);
    t(a.checkedOutAt);
    o << (a.idMethod ? idMethodCode(*a.idMethod) : "-") << '|' << a.idVerifiedBy << '|' << a.idRefused << '|' << a.seat << '|'
      << a.breaks << '|';
    t(a.breakStartedAt);
    o << a.minutesOnBreak.count() << '|';
    for (const auto& d : a.accommodations) o << d.eventId << ':' << d.accommodation << ':' << formatUtc(d.at) << ',';
    o << '|';
    for (const auto& i : a.irregularities)
        o << i.eventId << ':' << i.circumstance << ':' << i.description << ':' << formatUtc(i.occurredAt) << ':' << i.reportedBy << ',';
    o << '|' << a.noShowReason << '|' << a.eventCount;
    return o.str();
}

void accept(Attendance& s, const AttendanceEvent& e, const SessionRules& r = rules()) {
    auto refusal = apply(s, e, r);
    INFO("kind: " << eventKindCode(e.kind));
    REQUIRE_MESSAGE(!refusal, (refusal ? refusal->message : std::string()));
}

// Applies an event that must be refused; checks the state did not move and
// returns the refusal's message.
std::string refuse(Attendance& s, const AttendanceEvent& e, const SessionRules& r = rules()) {
    const std::string before = fingerprint(s);
    auto refusal = apply(s, e, r);
    INFO("kind: " << eventKindCode(e.kind));
    REQUIRE(refusal.has_value());
    CHECK_FALSE(refusal->message.empty());
    CHECK(fingerprint(s) == before);
    return refusal->message;
}

Attendance present(Timestamp at = minute(0)) {
    Attendance s;
    accept(s, checkIn(at));
    return s;
}

Attendance onBreak() {
    Attendance s = present();
    accept(s, event(EventKind::BreakOut, minute(20)));
    return s;
}

Attendance checkedOut() {
    Attendance s = present();
    accept(s, event(EventKind::CheckedOut, minute(60)));
    return s;
}

Attendance absent() {
    Attendance s;
    accept(s, noShow(minute(30)));
    return s;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

// --- check-in ---------------------------------------------------------------

TEST_CASE("check-in with an accepted ID method and a verifier makes the student present") {
    for (IdMethod m : {IdMethod::PhotoId, IdMethod::SchoolId, IdMethod::StaffVouched}) {
        CAPTURE(idMethodCode(m));
        Attendance s;
        auto e = checkIn(minute(-5), m, "Mr. Okafor");
        e.seat = "B7";
        accept(s, e);
        CHECK(s.presence == Presence::Present);
        REQUIRE(s.checkedInAt.has_value());
        CHECK(*s.checkedInAt == minute(-5));
        CHECK(s.idMethod == m);
        CHECK(s.idVerifiedBy == "Mr. Okafor");
        CHECK(s.seat == "B7");
        CHECK_FALSE(s.late);
        CHECK_FALSE(s.checkedOutAt.has_value());
        CHECK(s.eventCount == 1);
    }
}

TEST_CASE("check-in without an ID method is refused") {
    Attendance s;
    CHECK(contains(refuse(s, checkIn(minute(0), std::nullopt)), "ID"));
    CHECK(s.presence == Presence::Expected);
}

TEST_CASE("check-in with a refused or mismatched ID is refused") {
    Attendance s;
    CHECK(contains(refuse(s, checkIn(minute(0), IdMethod::RefusedOrMismatch)), "refused"));
    CHECK(s.presence == Presence::Expected);
}

TEST_CASE("check-in without a verifier is refused") {
    Attendance s;
    CHECK(contains(refuse(s, checkIn(minute(0), IdMethod::PhotoId, "")), "verified"));
}

TEST_CASE("a second check-in is refused whatever the student's state") {
    Attendance p = present();
    CHECK(contains(refuse(p, checkIn(minute(5))), "already checked in"));
    Attendance b = onBreak();
    refuse(b, checkIn(minute(25)));
    Attendance o = checkedOut();
    refuse(o, checkIn(minute(70)));
}

TEST_CASE("check-in after a no-show is refused until the no-show is corrected") {
    Attendance s = absent();
    CHECK(contains(refuse(s, checkIn(minute(40))), "no-show"));
    CHECK(s.presence == Presence::NoShow);
}

// --- lateness ---------------------------------------------------------------

TEST_CASE("lateness is measured against start + lateAfter") {
    const SessionRules r = rules();
    CHECK_FALSE(isLate(minute(-30), r));
    CHECK_FALSE(isLate(minute(0), r));
    CHECK_FALSE(isLate(minute(15), r));  // exactly at the limit is on time
    CHECK(isLate(minute(15) + 1ms, r));
    CHECK(isLate(minute(16), r));

    Attendance onTime;
    accept(onTime, checkIn(minute(15)));
    CHECK_FALSE(onTime.late);

    Attendance late;
    auto e = checkIn(minute(22));
    e.reason = "bus was late";
    accept(late, e);
    CHECK(late.late);
    CHECK(late.lateReason == "bus was late");

    SessionRules strict = r;
    strict.lateAfter = Minutes{0};
    CHECK(isLate(minute(0) + 1ms, strict));
    CHECK_FALSE(isLate(minute(0), strict));
}

// --- ID checks --------------------------------------------------------------

TEST_CASE("an ID check is recorded before arrival, and a refusal is remembered") {
    Attendance s;
    accept(s, idCheck(minute(-10), IdMethod::RefusedOrMismatch, "Mr. Okafor"));
    CHECK(s.presence == Presence::Expected);
    CHECK(s.idRefused);
    CHECK(s.idMethod == IdMethod::RefusedOrMismatch);
    // A proper ID later lets the student in; the refusal stays on record.
    accept(s, checkIn(minute(-5), IdMethod::SchoolId));
    CHECK(s.presence == Presence::Present);
    CHECK(s.idRefused);
    CHECK(s.idMethod == IdMethod::SchoolId);
}

TEST_CASE("an ID check needs a method and a verifier, and a student still in the session") {
    Attendance s;
    refuse(s, idCheck(minute(0), std::nullopt));
    refuse(s, idCheck(minute(0), IdMethod::PhotoId, ""));
    Attendance p = present();
    accept(p, idCheck(minute(5), IdMethod::PhotoId));
    CHECK_FALSE(p.idRefused);
    Attendance o = checkedOut();
    refuse(o, idCheck(minute(70), IdMethod::PhotoId));
    Attendance n = absent();
    refuse(n, idCheck(minute(40), IdMethod::PhotoId));
}

// --- seats ------------------------------------------------------------------

TEST_CASE("a seat needs a checked-in student and a seat name") {
    Attendance expected;
    CHECK(contains(refuse(expected, seat(minute(0), "A1")), "Check the student in"));

    Attendance p = present();
    refuse(p, seat(minute(1), ""));
    accept(p, seat(minute(1), "A1"));
    CHECK(p.seat == "A1");
    accept(p, seat(minute(2), "C4"));  // moved
    CHECK(p.seat == "C4");

    Attendance b = onBreak();
    accept(b, seat(minute(21), "D2"));
    CHECK(b.seat == "D2");

    Attendance o = checkedOut();
    refuse(o, seat(minute(61), "A1"));
    Attendance n = absent();
    refuse(n, seat(minute(31), "A1"));
}

// --- breaks -----------------------------------------------------------------

TEST_CASE("break out and back in") {
    Attendance s = present();
    accept(s, event(EventKind::BreakOut, minute(20)));
    CHECK(s.presence == Presence::OnBreak);
    CHECK(s.breaks == 1);
    REQUIRE(s.breakStartedAt.has_value());
    CHECK(*s.breakStartedAt == minute(20));

    CHECK(contains(refuse(s, event(EventKind::BreakOut, minute(21))), "already on a break"));

    accept(s, event(EventKind::BreakIn, minute(30)));
    CHECK(s.presence == Presence::Present);
    CHECK(s.minutesOnBreak == Minutes{10});
    CHECK_FALSE(s.breakStartedAt.has_value());

    CHECK(contains(refuse(s, event(EventKind::BreakIn, minute(31))), "not on a break"));

    accept(s, event(EventKind::BreakOut, minute(40)));
    accept(s, event(EventKind::BreakIn, minute(45)));
    CHECK(s.breaks == 2);
    CHECK(s.minutesOnBreak == Minutes{15});
}

TEST_CASE("a break needs a student in the room") {
    Attendance expected;
    refuse(expected, event(EventKind::BreakOut, minute(0)));
    refuse(expected, event(EventKind::BreakIn, minute(0)));
    Attendance o = checkedOut();
    refuse(o, event(EventKind::BreakOut, minute(61)));
    Attendance n = absent();
    refuse(n, event(EventKind::BreakOut, minute(31)));
}

TEST_CASE("a break that ends 'before' it started (clock stepped back) adds no minutes") {
    Attendance s = present();
    accept(s, event(EventKind::BreakOut, minute(20)));
    accept(s, event(EventKind::BreakIn, minute(18)));
    CHECK(s.presence == Presence::Present);
    CHECK(s.minutesOnBreak == Minutes{0});
}

// --- check-out --------------------------------------------------------------

TEST_CASE("check-out before check-in is refused") {
    Attendance s;
    CHECK(contains(refuse(s, event(EventKind::CheckedOut, minute(10))), "not been checked in"));
    Attendance n = absent();
    refuse(n, event(EventKind::CheckedOut, minute(40)));
}

TEST_CASE("check-out while on a break is refused") {
    Attendance s = onBreak();
    CHECK(contains(refuse(s, event(EventKind::CheckedOut, minute(25))), "on a break"));
    accept(s, event(EventKind::BreakIn, minute(26)));
    accept(s, event(EventKind::CheckedOut, minute(60)));
    CHECK(s.presence == Presence::CheckedOut);
}

TEST_CASE("check-out records the time once - a second check-out is refused") {
    Attendance s = present();
    accept(s, event(EventKind::CheckedOut, minute(75)));
    CHECK(s.presence == Presence::CheckedOut);
    REQUIRE(s.checkedOutAt.has_value());
    CHECK(*s.checkedOutAt == minute(75));
    CHECK(contains(refuse(s, event(EventKind::CheckedOut, minute(80))), "already checked out"));
    REQUIRE(s.checkedOutAt.has_value());
    CHECK(*s.checkedOutAt == minute(75));
}

// --- assessed minutes -------------------------------------------------------

TEST_CASE("assessedMinutes is time in the room with breaks excluded") {
    Attendance s;
    CHECK_FALSE(s.assessedMinutes().has_value());
    accept(s, checkIn(minute(5)));
    CHECK_FALSE(s.assessedMinutes().has_value());  // still in the room
    accept(s, event(EventKind::BreakOut, minute(30)));
    accept(s, event(EventKind::BreakIn, minute(40)));
    accept(s, event(EventKind::BreakOut, minute(60)));
    accept(s, event(EventKind::BreakIn, minute(65)));
    accept(s, event(EventKind::CheckedOut, minute(95)));
    REQUIRE(s.assessedMinutes().has_value());
    CHECK(*s.assessedMinutes() == 90 - 15);
}

TEST_CASE("assessedMinutes without breaks, and never negative") {
    Attendance s = present(minute(0));
    accept(s, event(EventKind::CheckedOut, minute(47) + 59s));
    CHECK(s.assessedMinutes() == 47);  // whole minutes, rounded down

    Attendance skewed = present(minute(10));
    accept(skewed, event(EventKind::CheckedOut, minute(5)));  // clock stepped back
    CHECK(skewed.assessedMinutes() == 0);
}

TEST_CASE("a check-out recorded before the check-in (the clock moved back) keeps its time, and the state's end is the check-in") {
    Attendance skewed = present(minute(10));
    accept(skewed, event(EventKind::CheckedOut, minute(10) - 1h));  // the clock jumped back an hour
    CHECK(skewed.checkedOutAt == minute(10) - 1h);                   // as recorded
    CHECK(skewed.checkOutBeforeCheckIn());
    CHECK(skewed.endForState() == minute(10));  // never before the start

    Attendance fine = present(minute(10));
    accept(fine, event(EventKind::CheckedOut, minute(70)));
    CHECK_FALSE(fine.checkOutBeforeCheckIn());
    CHECK(fine.endForState() == minute(70));
    Attendance same = present(minute(10));
    accept(same, event(EventKind::CheckedOut, minute(10)));
    CHECK_FALSE(same.checkOutBeforeCheckIn());
    CHECK(same.endForState() == minute(10));
    CHECK_FALSE(present(minute(10)).endForState().has_value());  // still in the room
}

TEST_CASE("clockMovedBack: only a step back beyond the tolerance, in whole seconds") {
    const Timestamp last = minute(30);
    CHECK_FALSE(clockMovedBack(last, last + 5s).has_value());  // forward
    CHECK_FALSE(clockMovedBack(last, last).has_value());
    CHECK_FALSE(clockMovedBack(last, last - kClockBackTolerance).has_value());  // a clock being slewed
    CHECK(clockMovedBack(last, last - kClockBackTolerance - 1ms) == 2s);
    CHECK(clockMovedBack(last, last - 1h) == 3600s);
}

// --- accommodations ---------------------------------------------------------

TEST_CASE("accommodations are recorded only after arrival") {
    Attendance expected;
    CHECK(contains(refuse(expected, accommodation(minute(0), kExtendedTime)), "Check the student in"));
    Attendance n = absent();
    refuse(n, accommodation(minute(31), kExtendedTime));

    Attendance p = present();
    refuse(p, accommodation(minute(1), ""));
    auto e = accommodation(minute(1), kExtendedTime);
    accept(p, e);
    REQUIRE(p.accommodations.size() == 1);
    CHECK(p.accommodations[0].accommodation == kExtendedTime);
    CHECK(p.accommodations[0].eventId == e.id);
    CHECK(p.accommodations[0].at == minute(1));

    Attendance b = onBreak();
    accept(b, accommodation(minute(21), kLargePrint));
    Attendance o = checkedOut();
    accept(o, accommodation(minute(61), kLargePrint));  // recorded after the fact
    CHECK(o.accommodations.size() == 1);
}

TEST_CASE("the same accommodation is not recorded twice - different ones are") {
    Attendance s = present();
    accept(s, accommodation(minute(1), kExtendedTime));
    CHECK(contains(refuse(s, accommodation(minute(2), kExtendedTime)), "already recorded"));
    accept(s, accommodation(minute(3), kLargePrint));
    CHECK(s.accommodations.size() == 2);
}

// --- irregularities ---------------------------------------------------------

TEST_CASE("an irregularity needs a circumstance and a description") {
    Attendance s = present();
    CHECK(contains(refuse(s, irregularity(minute(10), "", "left the room")), "kind of irregularity"));
    CHECK(contains(refuse(s, irregularity(minute(10), kFireAlarm, "")), "Describe"));
    auto e = irregularity(minute(10), kFireAlarm, "Building evacuated for 12 minutes");
    accept(s, e);
    REQUIRE(s.irregularities.size() == 1);
    CHECK(s.irregularities[0].eventId == e.id);
    CHECK(s.irregularities[0].circumstance == kFireAlarm);
    CHECK(s.irregularities[0].description == "Building evacuated for 12 minutes");
    CHECK(s.irregularities[0].occurredAt == minute(10));
    CHECK(s.irregularities[0].reportedBy == "Ms. Rivera");
}

TEST_CASE("an irregularity keeps the time it happened when given, and needs an arrived student") {
    Attendance s = checkedOut();
    auto e = irregularity(minute(70), kFireAlarm, "Alarm during the last section");
    e.occurredAt = minute(50);
    accept(s, e);
    REQUIRE(s.irregularities.size() == 1);
    CHECK(s.irregularities[0].occurredAt == minute(50));
    accept(s, irregularity(minute(71), kFireAlarm, "second alarm"));  // several are kept
    CHECK(s.irregularities.size() == 2);

    Attendance expected;
    refuse(expected, irregularity(minute(0), kFireAlarm, "x"));
    Attendance n = absent();
    refuse(n, irregularity(minute(31), kFireAlarm, "x"));
}

// --- no-shows ---------------------------------------------------------------

TEST_CASE("no-show only from the cut-off") {
    const SessionRules r = rules();
    CHECK_FALSE(noShowAllowed(minute(29) + 59s, r));
    CHECK(noShowAllowed(minute(30), r));
    CHECK(noShowAllowed(minute(300), r));

    Attendance s;
    CHECK(contains(refuse(s, noShow(minute(29) + 59999ms)), "cut-off"));
    CHECK(s.presence == Presence::Expected);
    accept(s, noShow(minute(30)));
    CHECK(s.presence == Presence::NoShow);
    CHECK(s.noShowReason == "Absent");
}

TEST_CASE("no-show keeps a given reason") {
    Attendance s;
    accept(s, noShow(minute(45), "Medical waiver"));
    CHECK(s.noShowReason == "Medical waiver");
}

TEST_CASE("no-show only for a student who has not arrived, and only once") {
    Attendance p = present();
    CHECK(contains(refuse(p, noShow(minute(31))), "arrived"));
    Attendance b = onBreak();
    refuse(b, noShow(minute(31)));
    Attendance o = checkedOut();
    refuse(o, noShow(minute(61)));
    Attendance n = absent();
    CHECK(contains(refuse(n, noShow(minute(40))), "already"));
}

// --- walk-ins ---------------------------------------------------------------

TEST_CASE("a walk-in flag is the first entry, then the walk-in can check in") {
    Attendance s;
    accept(s, event(EventKind::WalkInAdded, minute(2)));
    CHECK(s.walkIn);
    CHECK(s.presence == Presence::Expected);
    accept(s, checkIn(minute(3)));
    CHECK(s.presence == Presence::Present);
    CHECK(s.walkIn);
    CHECK(s.eventCount == 2);

    Attendance p = present();
    refuse(p, event(EventKind::WalkInAdded, minute(5)));
}

// --- sign-off ---------------------------------------------------------------

TEST_CASE("anything after sign-off is refused") {
    SessionRules signedOff = rules();
    signedOff.signedOff = true;
    Attendance p = present();
    std::vector<AttendanceEvent> all{
        checkIn(minute(1)),
        idCheck(minute(1), IdMethod::PhotoId),
        seat(minute(1), "A1"),
        event(EventKind::BreakOut, minute(1)),
        event(EventKind::BreakIn, minute(1)),
        accommodation(minute(1), kLargePrint),
        irregularity(minute(1), kFireAlarm, "x"),
        event(EventKind::CheckedOut, minute(90)),
        noShow(minute(90)),
        event(EventKind::WalkInAdded, minute(1)),
    };
    for (const auto& e : all) {
        CAPTURE(eventKindCode(e.kind));
        Attendance expected;
        CHECK(contains(refuse(expected, e, signedOff), "signed off"));
        CHECK(contains(refuse(p, e, signedOff), "signed off"));
    }
}

TEST_CASE("a correction is not a step apply() takes") {
    Attendance p = present();
    refuse(p, correction(minute(2), "ev-1"));
}

// --- codes ------------------------------------------------------------------

TEST_CASE("event kind and presence codes are stable and round-trip") {
    for (int k = 0; k <= static_cast<int>(EventKind::Corrected); ++k) {
        auto kind = static_cast<EventKind>(k);
        CAPTURE(eventKindCode(kind));
        CHECK_FALSE(eventKindCode(kind).empty());
        CHECK(eventKindFromCode(eventKindCode(kind)) == kind);
    }
    CHECK(eventKindCode(EventKind::CheckedIn) == "checked_in");
    CHECK(eventKindCode(EventKind::NoShow) == "no_show");
    CHECK_FALSE(eventKindFromCode("").has_value());
    CHECK_FALSE(eventKindFromCode("CHECKED_IN").has_value());
    CHECK_FALSE(eventKindFromCode("session_opened").has_value());
    CHECK(presenceCode(Presence::Expected) == "expected");
    CHECK(presenceCode(Presence::OnBreak) == "on_break");
    CHECK(presenceCode(Presence::CheckedOut) == "checked_out");
    CHECK(presenceCode(Presence::NoShow) == "no_show");
    for (IdMethod m : allIdMethods()) CHECK(idMethodFromCode(idMethodCode(m)) == m);
    CHECK_FALSE(idMethodFromCode("passport").has_value());
    CHECK(descriptorCodeValue("uri://ed-fi.org/AccommodationDescriptor#Test administration") == "Test administration");
    CHECK(descriptorCodeValue("Absent") == "Absent");
}

// --- replay -----------------------------------------------------------------

TEST_CASE("replay follows seq, not the wall clock") {
    // The lab clock jumped back an hour between check-in and check-out.
    auto in = checkIn(minute(60));
    in.seq = 1;
    auto out = event(EventKind::CheckedOut, minute(0));
    out.seq = 2;
    auto r = replay({out, in}, rules());  // given out of order on purpose
    REQUIRE_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::CheckedOut);
    CHECK(r.state.eventCount == 2);

    // The same two events with the seqs swapped are not a valid history,
    // even though the timestamps now look right.
    auto in2 = checkIn(minute(0));
    in2.seq = 2;
    auto out2 = event(EventKind::CheckedOut, minute(60));
    out2.seq = 1;
    auto bad = replay({in2, out2}, rules());
    REQUIRE(bad.refusal.has_value());
    CHECK(contains(bad.refusal->message, "inconsistent"));
}

TEST_CASE("replay of any shuffle of a history gives the same state") {
    std::vector<AttendanceEvent> history{
        checkIn(minute(2)),
        seat(minute(3), "A4"),
        accommodation(minute(4), kExtendedTime),
        event(EventKind::BreakOut, minute(30)),
        event(EventKind::BreakIn, minute(41)),
        irregularity(minute(50), kFireAlarm, "alarm test"),
        event(EventKind::CheckedOut, minute(100)),
    };
    Attendance direct;
    for (const auto& e : history) accept(direct, e);
    std::mt19937 rng(7);
    for (int i = 0; i < 20; ++i) {
        std::shuffle(history.begin(), history.end(), rng);
        auto r = replay(history, rules());
        REQUIRE_FALSE(r.refusal.has_value());
        CHECK(fingerprint(r.state) == fingerprint(direct));
    }
    CHECK(direct.assessedMinutes() == 98 - 11);
}

TEST_CASE("replay of an empty history is an expected student") {
    auto r = replay({}, rules());
    CHECK_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::Expected);
    CHECK(r.state.eventCount == 0);
}

TEST_CASE("replay checks the history as it stood: sign-off blocks only what comes after") {
    SessionRules signedOff = rules();
    signedOff.signedOff = true;
    auto in = checkIn(minute(0));
    auto out = event(EventKind::CheckedOut, minute(60));
    auto r = replay({in, out}, signedOff);
    REQUIRE_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::CheckedOut);
}

TEST_CASE("replay refuses a history that is not a valid sequence") {
    auto out = event(EventKind::CheckedOut, minute(60));
    auto r = replay({out}, rules());
    REQUIRE(r.refusal.has_value());
    CHECK(contains(r.refusal->message, "not been checked in"));
}

// --- corrections ------------------------------------------------------------

TEST_CASE("a correction withdraws an entry - the rest of the history stands") {
    auto in = checkIn(minute(0));
    auto acc = accommodation(minute(1), kExtendedTime);
    auto irr = irregularity(minute(5), kFireAlarm, "wrong student");
    auto fix = correction(minute(6), acc.id);
    auto fix2 = correction(minute(7), irr.id);
    auto r = replay({in, acc, irr, fix, fix2}, rules());
    REQUIRE_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::Present);
    CHECK(r.state.accommodations.empty());
    CHECK(r.state.irregularities.empty());
    CHECK(r.state.eventCount == 1);  // only live events count

    // The withdrawn accommodation can then be recorded again.
    Attendance s = r.state;
    accept(s, accommodation(minute(8), kExtendedTime));
    CHECK(s.accommodations.size() == 1);
}

TEST_CASE("withdrawing a check-out puts the student back in the room") {
    auto in = checkIn(minute(0));
    auto out = event(EventKind::CheckedOut, minute(30));
    auto r = replay({in, out, correction(minute(31), out.id)}, rules());
    REQUIRE_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::Present);
    CHECK_FALSE(r.state.checkedOutAt.has_value());
}

TEST_CASE("withdrawing a no-show lets the student check in") {
    auto ns = noShow(minute(30));
    auto fix = correction(minute(35), ns.id);
    auto in = checkIn(minute(36));
    auto r = replay({ns, fix, in}, rules());
    REQUIRE_FALSE(r.refusal.has_value());
    CHECK(r.state.presence == Presence::Present);
    CHECK(r.state.late);
    CHECK(r.state.noShowReason.empty());
}

TEST_CASE("withdrawing a check-in that a check-out depends on is refused by replay") {
    auto in = checkIn(minute(0));
    auto out = event(EventKind::CheckedOut, minute(60));
    auto r = replay({in, out, correction(minute(61), in.id)}, rules());
    REQUIRE(r.refusal.has_value());
    CHECK(contains(r.refusal->message, "inconsistent"));

    // Withdrawing the check-out first, then the check-in, is consistent.
    auto ok = replay({in, out, correction(minute(61), out.id), correction(minute(62), in.id)}, rules());
    REQUIRE_FALSE(ok.refusal.has_value());
    CHECK(ok.state.presence == Presence::Expected);
    CHECK(ok.state.eventCount == 0);
}

TEST_CASE("withdrawing a check-in that accommodations depend on is refused by replay") {
    auto in = checkIn(minute(0));
    auto acc = accommodation(minute(1), kLargePrint);
    auto r = replay({in, acc, correction(minute(2), in.id)}, rules());
    REQUIRE(r.refusal.has_value());
}

TEST_CASE("withdrawing a break-out leaves a break-in with nothing to end: refused") {
    auto in = checkIn(minute(0));
    auto bo = event(EventKind::BreakOut, minute(10));
    auto bi = event(EventKind::BreakIn, minute(20));
    auto r = replay({in, bo, bi, correction(minute(21), bo.id)}, rules());
    REQUIRE(r.refusal.has_value());
}
