// The proctor's whole session with the keyboard alone (Tab, Shift+Tab,
// Enter, Space, Escape, typing): open a session, find and check a student in,
// break out and back, record an accommodation delivered and an irregularity,
// check out, mark no-shows at the cut-off, sign off, and back out to the
// session list. Each step is asserted on the accessibility tree and the store.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "sync/outbox/outbox.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

using namespace kiosk;
using namespace std::chrono_literals;
namespace keys = kiosk::ui::keys;
using domain::EventKind;

namespace {

std::string focusedLabel(const test::UiHarness& h) { return h.focused() ? h.focused()->label : std::string("(nothing)"); }

std::vector<EventKind> kinds(const std::vector<domain::AttendanceEvent>& events) {
    std::vector<EventKind> out;
    for (const auto& e : events) out.push_back(e.kind);
    return out;
}

std::int64_t countWhere(store::Store& s, const std::string& sql) {
    auto st = s.db().prepare(sql);
    REQUIRE(st.value().step().value());
    return st->getInt(0);
}

} // namespace

TEST_CASE("keyboard only: a proctor runs a whole session from opening to sign-off") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    const std::string zoe = "S100001";

    // 1. The first screen starts in the proctor ID field; after the PIN, focus
    //    moves to the first session; Tab order follows the screen.
    REQUIRE(h.focused() != nullptr);
    CHECK(focusedLabel(h) == "Proctor ID");
    h.signInAsProctor();
    CHECK(focusedLabel(h).rfind("WorkKeys Applied Math", 0) == 0);
    h.press(keys::Tab, true);  // Shift+Tab goes back to the control before it
    h.frames(1);
    CHECK(focusedLabel(h) == "State sync");
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    CHECK(focusedLabel(h).find("nothing recorded yet") != std::string::npos);
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onCheckInScreen());
    // Looking opens nothing: the session opens with its first record.
    auto opened = [&] { return store::findSession(f.store.db(), test::kMathSession).value().value(); };
    CHECK_FALSE(opened().openedAt.has_value());
    CHECK(focusedLabel(h) == "Find a student (name or ID)");

    // 2. Search, Enter: the check-in dialog opens on its confirm button; a seat is typed in.
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Check in") != nullptr);
    CHECK(focusedLabel(h) == "Check in");
    REQUIRE(h.tabTo("Seat"));
    CHECK(h.focused()->role == accessibility::Role::TextField);
    CHECK(h.focused()->value == "A1");  // the next free seat, suggested
    h.type("B2");                       // focusing a field selects its text: typing replaces it
    h.press(keys::Enter);  // Enter in the dialog confirms
    h.frames(2);
    auto events = f.events(zoe);
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == EventKind::CheckedIn);
    CHECK(events[0].seat == "B2");
    CHECK(h.ui().feedback().text.rfind("Saved:", 0) == 0);
    CHECK(opened().openedAt.has_value());
    CHECK(opened().openedBy == "Ms. Rivera");
    CHECK(focusedLabel(h) == "Find a student (name or ID)");

    // 3. Find her again: Enter now opens her record (she is present); Space works like Enter.
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.findContaining("Present") != nullptr);
    REQUIRE(h.tabTo("Break out"));
    h.press(keys::Space);
    h.frames(2);
    CHECK(f.events(zoe).back().kind == EventKind::BreakOut);
    REQUIRE(h.tabTo("Back from break"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK(f.events(zoe).back().kind == EventKind::BreakIn);

    // 4. The scheduled accommodation is ticked as delivered with Space.
    auto registration = store::findRegistration(f.store.db(), test::kMathSession, zoe).value();
    REQUIRE(registration.has_value());
    REQUIRE_FALSE(registration->scheduledAccommodations.empty());
    REQUIRE(h.tabTo("(scheduled)"));
    CHECK(h.focused()->role == accessibility::Role::Checkbox);
    CHECK_FALSE(h.focused()->checked);
    h.press(keys::Space);
    h.frames(2);
    events = f.events(zoe);
    CHECK(events.back().kind == EventKind::AccommodationDelivered);
    CHECK(events.back().accommodation == registration->scheduledAccommodations.front());
    const auto* box = h.findContaining("(scheduled)");
    REQUIRE(box != nullptr);
    CHECK(box->checked);

    // 5. An irregularity: kind chosen with Space, description typed, Enter records it.
    REQUIRE(h.tabTo("Irregularity…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Record an irregularity") != nullptr);
    CHECK(focusedLabel(h) == "Description");
    REQUIRE(h.tabTo("Administration or system failure"));
    h.press(keys::Space);
    h.frames(1);
    REQUIRE(h.find("Administration or system failure") != nullptr);
    CHECK(h.find("Administration or system failure")->checked);
    REQUIRE(h.tabTo("Description"));
    h.type("Screen froze for two minutes; restarted");
    h.press(keys::Enter);
    h.frames(2);
    events = f.events(zoe);
    CHECK(events.back().kind == EventKind::Irregularity);
    CHECK(events.back().circumstance == "uri://ed-fi.org/EventCircumstanceDescriptor#Administration or system failure");
    CHECK(events.back().description == "Screen froze for two minutes; restarted");

    // 6. Escape backs out of a dialog without writing anything.
    std::size_t before = f.events(zoe).size();
    REQUIRE(h.tabTo("Seat…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Assign a seat") != nullptr);
    h.press(keys::Escape);
    h.frames(2);
    CHECK(h.find("Assign a seat") == nullptr);
    CHECK(f.events(zoe).size() == before);
    CHECK(h.ui().onCheckInScreen());

    // 7. Check out (not "Check out everyone present…").
    REQUIRE(h.tabToExactly("Check out"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK(f.events(zoe).back().kind == EventKind::CheckedOut);
    CHECK(kinds(f.events(zoe)) == std::vector<EventKind>{EventKind::CheckedIn, EventKind::BreakOut, EventKind::BreakIn,
                                                          EventKind::AccommodationDelivered, EventKind::Irregularity, EventKind::CheckedOut});

    // 8. At the cut-off, every student who has not come is marked a no-show.
    f.now += 25min;
    REQUIRE(h.tabTo("Mark no-shows…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Mark no-shows at the cut-off") != nullptr);
    CHECK(focusedLabel(h) == "Mark no-shows");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(countWhere(f.store, "SELECT count(*) FROM attendance WHERE session_id = 'RHS-2026-WK-AM-114' AND presence = 'no_show';") == 199);
    CHECK(f.events(zoe).back().kind == EventKind::CheckedOut);  // not touched

    // 9. Sign off: signed by the proctor signed in here, with their PIN.
    REQUIRE(h.tabTo("Sign off session…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Sign off the session") != nullptr);
    CHECK(focusedLabel(h) == "Your PIN");
    CHECK(h.findContaining("Signing as Ms. Rivera (P001)") != nullptr);
    CHECK(h.find("Proctor signing off") == nullptr);  // no name to type: nobody signs in another's
    const auto* signButton = h.find("Sign off");
    REQUIRE(signButton != nullptr);
    CHECK(signButton->disabled);  // not before the PIN
    // A wrong PIN signs nothing; the dialog says so and typing goes on in the PIN field.
    h.type("1111");
    h.press(keys::Enter);
    h.frames(3);
    CHECK(h.findContaining("Proctor ID or PIN not recognised") != nullptr);
    CHECK_FALSE(store::findSession(f.store.db(), test::kMathSession).value()->signedOffAt.has_value());
    h.type("2468");
    h.press(keys::Enter);
    h.frames(3);
    auto session = store::findSession(f.store.db(), test::kMathSession).value();
    REQUIRE(session.has_value());
    CHECK(session->signedOffAt.has_value());
    CHECK(session->signedOffBy == "Ms. Rivera");
    CHECK(h.findContaining("Signed off by Ms. Rivera") != nullptr);
    const auto* signOff = h.find("Sign off session…");
    REQUIRE(signOff != nullptr);
    CHECK(signOff->disabled);  // nothing more can be recorded
    CHECK(edsync::outbox::counts(f.store.db()).value().pending == 200);

    // 10. Escape: first to the search field, then (empty) back to the session list.
    REQUIRE(h.tabTo("Export report (CSV)"));
    h.press(keys::Escape);
    h.frames(2);
    CHECK(focusedLabel(h) == "Find a student (name or ID)");
    CHECK(h.ui().onCheckInScreen());
    h.type("abc");
    h.press(keys::Escape);  // a search is cleared first
    h.frames(2);
    CHECK(h.ui().checkInScreen().query().empty());
    CHECK(h.ui().onCheckInScreen());
    h.press(keys::Escape);
    h.frames(2);
    CHECK_FALSE(h.ui().onCheckInScreen());
    CHECK(h.findContaining("signed off") != nullptr);
}

TEST_CASE("keyboard only: the results list is one Tab stop, and Up and Down move within it") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.signInAsProctor();
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.press(keys::Enter);
    h.frames(2);
    h.type("an");  // several matches
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() > 3);
    h.press(keys::Tab);
    h.frames(1);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->role == accessibility::Role::ListItem);
    std::string first = h.focused()->label;
    h.press(keys::Down);
    h.frames(1);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->role == accessibility::Role::ListItem);
    CHECK(h.focused()->label != first);
    std::string second = h.focused()->label;
    // Tab leaves the list (it does not walk every row)...
    h.press(keys::Tab);
    h.frames(1);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->role != accessibility::Role::ListItem);
    // ...and Shift+Tab comes back to the row that was current.
    h.press(keys::Tab, true);
    h.frames(1);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == second);
    // Enter on a row opens that student.
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.findContaining("Find a student on the left") == nullptr);
}

TEST_CASE("the State-sync screen shows a record waiting on a retry with the student, the date and the server's words") {
    test::DemoFixture f(20);
    service::AttendanceService svc(f.store, f.clock());
    REQUIRE(svc.openSession(test::kMathSession, "Ms. Rivera").saved);
    REQUIRE(svc.checkIn(test::kMathSession, "S100001", "Ms. Rivera", {}).saved);
    auto claims = edsync::outbox::claimDue(f.store.db(), 0, 10).value();
    REQUIRE(claims.size() == 1);
    edsync::outbox::Failure conflict;
    conflict.httpStatus = 409;
    conflict.cause = "HTTP 409: Reference validation failed.";
    conflict.problemType = "urn:ed-fi:api:conflict:unresolved-reference";
    conflict.words = "Reference validation failed.; Student S100001 is not known.";
    conflict.correlationId = "corr-7";
    conflict.atUnixMs = 1'795'000'000'000;
    REQUIRE(edsync::outbox::retryLater(f.store.db(), claims[0].resource, claims[0].naturalKey, claims[0].version, 2'000'000'000'000,
                                       conflict).ok());

    test::UiHarness h(f.store, f.clock());
    h.signInAsProctor();
    h.press(keys::Tab, true);
    h.frames(1);
    REQUIRE(focusedLabel(h) == "State sync");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.findContaining("Records the state has not taken: 1") != nullptr);
    CHECK(h.findContaining("Waiting to retry: Ñúñez, Zoë (S100001) · 11/23/2026 · WorkKeys Applied Math") != nullptr);
    CHECK(h.findContaining("The state said: Reference validation failed.; Student S100001 is not known.") != nullptr);
    CHECK(h.findContaining("HTTP 409 · urn:ed-fi:api:conflict:unresolved-reference · reference corr-7") != nullptr);
    CHECK(h.find("Send again") == nullptr);  // it goes again by itself; only refused records are sent again by hand
}

TEST_CASE("sign-off with students not accounted for: not offered, focus on Cancel, the names counted and what to do said") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    REQUIRE(h.tabTo("Sign off session…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Sign off the session") != nullptr);
    CHECK(focusedLabel(h) == "Cancel");
    CHECK(h.findContaining("Not yet accounted for (200)") != nullptr);
    CHECK(h.findContaining("and 190 more") != nullptr);  // ten names, then the rest counted
    CHECK(h.findContaining("Mark the students who have not arrived as no-shows") != nullptr);
    const auto* signOff = h.find("Sign off");
    REQUIRE(signOff != nullptr);
    CHECK(signOff->disabled);
    h.press(keys::Enter);  // Cancel
    h.frames(2);
    CHECK(h.find("Sign off the session") == nullptr);
    auto session = store::findSession(f.store.db(), test::kMathSession).value();
    REQUIRE(session.has_value());
    CHECK_FALSE(session->signedOffAt.has_value());
}
