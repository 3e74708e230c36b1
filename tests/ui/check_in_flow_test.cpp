// Headless UI tests of the proctor's check-in screen: input is injected, and
// assertions read the accessibility tree and the store.
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <thread>

using namespace kiosk;
namespace keys = kiosk::ui::keys;

namespace {

struct Fixture {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    store::Store store = std::move(store::Store::openInMemory().value());
    Fixture() {
        store::DemoOptions demo;
        demo.students = 300;
        demo.now = now;  // session 1 started 10 minutes before "now"
        REQUIRE(store::loadDemo(store, demo).ok());
    }
    domain::Clock clock() {
        return [this] { return now; };
    }
    std::vector<domain::AttendanceEvent> events(const std::string& student) {
        return store::eventsFor(store.db(), "RHS-2026-WK-AM-114", student).value();
    }
    std::int64_t count(const std::string& sql) {
        auto stmt = store.db().prepare(sql);
        REQUIRE(stmt.ok());
        REQUIRE(stmt->step().value_or(false));
        return stmt->getInt(0);
    }
};


// Enter in a form with something missing: refused with `reason` and the
// dialog left open; then `more` typed. What the field `label` holds then.
std::string typedAfterRefusal(test::UiHarness& h, std::string_view reason, std::string_view more, std::string_view label) {
    h.press(keys::Enter);
    h.settleActions();
    h.frames(2);
    REQUIRE(h.findContaining(reason) != nullptr);
    h.type(more);
    h.frames(1);
    const accessibility::Node* field = h.findRole(accessibility::Role::TextField, label);
    REQUIRE(field != nullptr);
    return field->value;
}

} // namespace

TEST_CASE("typing a name and pressing Enter checks the right student in") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    h.type("zoe nun");
    h.frames(1);
    // Diacritics-insensitive: "zoe nun" finds Zoë Ñúñez, and only her.
    REQUIRE(h.findContaining("Ñúñez, Zoë") != nullptr);
    CHECK(h.ui().checkInScreen().results().size() == 1);
    h.press(keys::Enter);  // opens the check-in dialog for the first match
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Check in");
    h.press(keys::Enter);  // confirms: photo ID, verified by the proctor, next free seat
    h.frames(1);
    auto events = f.events("S100001");
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == domain::EventKind::CheckedIn);
    CHECK(events[0].idMethod == domain::IdMethod::PhotoId);
    CHECK(events[0].idVerifiedBy == "Ms. Rivera");
    CHECK(events[0].seat == "A1");
    CHECK(h.ui().feedback().ok);
    CHECK(h.ui().feedback().text.find("Saved") == 0);
    CHECK(edsync::outbox::counts(f.store.db()).value().pending == 1);
    // Focus is back in the search field, ready for the next student.
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
}

TEST_CASE("the top bar shows the real outbox count as soon as a check-in is saved") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    CHECK(h.findContaining("Waiting to go to the state: 0") != nullptr);
    h.openFirstSession();
    h.type("S100002");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::Enter);
    h.frames(1);
    REQUIRE(f.events("S100002").size() == 1);
    CHECK(h.findContaining("Waiting to go to the state: 1") != nullptr);
    // One answer to "what reached the state": the banner says this kiosk is
    // not enrolled and since when a record waits, and the State-sync screen
    // says the same words.
    const auto* banner = h.findContaining("Offline only (not enrolled) · Waiting to go to the state: 1 since ");
    REQUIRE(banner != nullptr);
    const std::string said = banner->label.substr(0, banner->label.find("  ·  "));  // without the clock
    h.press(keys::Escape);
    h.frames(1);
    h.press(keys::Escape);  // the empty search: back to the sessions
    h.frames(2);
    REQUIRE(h.tabToExactly("State sync"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().windowTitle().rfind("State sync", 0) == 0);
    CHECK(h.find(said) != nullptr);
    // ... says how a kiosk that is not enrolled comes to reach the state ...
    CHECK(h.findContaining("until a site technician enrols it with the state: testsite-kioskctl enrol") != nullptr);
    // ... and lists what waits, by student, with when it was saved.
    CHECK(h.findContaining("Still to go, oldest first: 1 of 1") != nullptr);
    const auto* waiting = h.findContaining("(S100002)");
    REQUIRE(waiting != nullptr);
    CHECK(waiting->label.find(" · saved ") != std::string::npos);
}

TEST_CASE("no-shows: refused before the cut-off, then every absentee marked at it") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    // 14:00 is 10 minutes after the start; the no-show cut-off is 30 minutes.
    REQUIRE(h.tabTo("Mark no-shows"));
    h.press(keys::Enter);
    h.frames(1);
    CHECK_FALSE(h.ui().feedback().ok);
    CHECK(h.ui().feedback().text.find("No-shows can be marked from") == 0);
    auto none = f.store.db().prepare("SELECT count(*) FROM event WHERE kind = 'no_show';");
    REQUIRE(none.value().step().value());
    CHECK(none->getInt(0) == 0);

    // One student arrives first; the rest are marked at the cut-off.
    h.press(keys::Escape);
    REQUIRE(h.tabTo("Find a student"));
    h.type("lukasz dvo");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::Enter);
    h.frames(1);
    REQUIRE(f.events("S100002").size() == 1);

    f.now += std::chrono::minutes(25);  // 14:25, past the cut-off at 14:20
    REQUIRE(h.tabTo("Mark no-shows"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Mark no-shows");
    h.press(keys::Enter);
    h.frames(1);
    CHECK(h.ui().feedback().ok);
    auto counted = f.store.db().prepare("SELECT count(*) FROM attendance WHERE session_id = 'RHS-2026-WK-AM-114' AND presence = 'no_show';");
    REQUIRE(counted.value().step().value());
    CHECK(counted->getInt(0) == 199);  // 200 on the roster, one arrived
    auto lukasz = f.events("S100002");
    CHECK(lukasz.back().kind == domain::EventKind::CheckedIn);  // not touched
    CHECK(edsync::outbox::counts(f.store.db()).value().pending == 200);
}

TEST_CASE("the irregularity form records an Ed-Fi circumstance, a description and the proctor") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.checkInAndOpen("zoe nun");
    REQUIRE(f.events("S100001").size() == 1);
    REQUIRE(h.tabTo("Irregularity"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Description");
    // Nothing is chosen for the proctor: Enter refuses and says why; nothing is written.
    for (const auto& n : h.tree().nodes())
        if (n.role == accessibility::Role::RadioButton && n.scope != "main") CHECK_MESSAGE(!n.checked, n.label << " is pre-selected");
    h.press(keys::Enter);
    h.frames(1);
    CHECK(h.findContaining("Choose what happened") != nullptr);
    CHECK(f.events("S100001").size() == 1);
    // The time is a real value, now (14:00 at UTC+0), not a hint.
    const accessibility::Node* time = h.findRole(accessibility::Role::TextField, "Time it happened (HH:MM)");
    REQUIRE(time != nullptr);
    CHECK(time->value == "14:00");

    REQUIRE(h.tabTo("Fire alarm"));
    h.press(keys::Space);
    // An empty description is refused too.
    h.press(keys::Enter);
    h.frames(1);
    CHECK(h.findContaining("Describe what happened") != nullptr);
    CHECK(f.events("S100001").size() == 1);
    REQUIRE(h.tabTo("Description"));
    h.type("Alarm rang at 14:05; room evacuated for 12 minutes");
    h.press(keys::Enter);
    h.frames(1);
    auto events = f.events("S100001");
    REQUIRE(events.size() == 2);
    CHECK(events[1].kind == domain::EventKind::Irregularity);
    CHECK(events[1].circumstance == "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm");
    CHECK(events[1].description == "Alarm rang at 14:05; room evacuated for 12 minutes");
    CHECK(events[1].proctor == "Ms. Rivera");
    CHECK(!events[1].occurredAt.has_value());  // left at "now": the event's own time stands
    // The dialog closed and the record shows the irregularity.
    CHECK(h.findContaining("Irregularity · Fire alarm: Alarm rang") != nullptr);
}

TEST_CASE("an irregularity time left as shown is the time recorded, even when the clock has passed that minute before Save") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.checkInAndOpen("zoe nun");
    f.now += std::chrono::seconds(40);  // 14:00:40: the form shows 14:00
    REQUIRE(h.tabTo("Irregularity"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.tabTo("Fire alarm"));
    h.press(keys::Space);
    REQUIRE(h.tabTo("Description"));
    h.type("Alarm rang");
    f.now += std::chrono::seconds(50);  // 14:01:30 when Enter saves
    h.press(keys::Enter);
    h.frames(1);
    auto events = f.events("S100001");
    REQUIRE(events.size() == 2);
    REQUIRE(events[1].occurredAt.has_value());
    CHECK(*events[1].occurredAt == domain::parseIso8601("2026-11-23T14:00:40Z").value());  // in the minute confirmed
}

TEST_CASE("a roster changed under an open session with a query typed: Enter opens the student shown, by ID") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("zoe nun");
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);

    // A download renames the last student on the list so they sort first, and
    // withdraws another registration while adding one: the roster keeps its
    // size, and everyone from Zoë on moves one place down.
    auto roster = store::rosterForSession(f.store.db(), "RHS-2026-WK-AM-114").value();
    REQUIRE(roster.size() > 3);
    REQUIRE(roster.front().student.lastSurname != "Aaronson");
    domain::Student renamed = roster.back().student;
    const std::string withdrawnId = roster[roster.size() - 2].student.studentUniqueId;
    REQUIRE(withdrawnId != "S100001");
    renamed.firstName = "Abe";
    renamed.lastSurname = "Aaronson";
    REQUIRE(store::upsertStudent(f.store.db(), renamed).ok());
    auto withdraw = f.store.db().prepare("DELETE FROM registration WHERE session_id = ?1 AND student_unique_id = ?2;").value();
    withdraw.bind(1, "RHS-2026-WK-AM-114").bind(2, withdrawnId);
    REQUIRE(withdraw.run().ok());
    REQUIRE(store::upsertRegistration(f.store.db(), domain::Registration{"RHS-2026-WK-AM-114", "S100003", {}, false}).ok());
    auto after = store::rosterForSession(f.store.db(), "RHS-2026-WK-AM-114").value();
    REQUIRE(after.size() == roster.size());
    REQUIRE(after.front().student.studentUniqueId == renamed.studentUniqueId);

    h.ui().refresh();  // what the kiosk does after a sync pass
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Check in");
    CHECK(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
    h.press(keys::Enter);
    h.frames(1);
    CHECK(f.events("S100001").size() == 1);
    CHECK(f.events(renamed.studentUniqueId).empty());
    CHECK(f.events(after[1].student.studentUniqueId).empty());

    // The new name is found; the withdrawn student is not.
    h.type("aaronson");
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);
    CHECK(h.findContaining("Aaronson, Abe") != nullptr);
    h.press(keys::Escape);
    h.type(withdrawnId);
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().empty());
}

TEST_CASE("after saving a dialog or Break out focus returns to the search field with one focus ring and the record stays open") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::Enter);  // checked in; back in the search
    h.frames(2);
    h.type("zoe nun");
    h.press(keys::Enter);  // her record
    h.frames(1);
    REQUIRE(h.tabTo("Seat…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Seat");
    h.type("B4");
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    CHECK(h.focused()->ring);
    int ringed = 0;
    for (const auto& n : h.tree().nodes()) ringed += n.ring ? 1 : 0;
    CHECK(ringed == 1);

    // Her record is still open: its actions are a few Tabs away.
    REQUIRE(h.tabTo("Break out"));
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE(f.events("S100001").back().kind == domain::EventKind::BreakOut);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    REQUIRE(h.tabTo("Back from break"));
    CHECK_FALSE(h.focused()->disabled);
    h.press(keys::Enter);
    h.frames(3);
    CHECK(f.events("S100001").back().kind == domain::EventKind::BreakIn);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
}

TEST_CASE("Escape clears a failed search for good, and a second Escape lands on the session just left") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    const float searchTop = h.find("Find a student (name or ID)")->rect.y;
    h.type("qqqzzz");
    h.frames(1);
    CHECK(h.findContaining("No student matches") != nullptr);
    h.press(keys::Escape);
    h.frames(3);
    CHECK(h.ui().checkInScreen().query().empty());
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    CHECK(h.findContaining("No student matches") == nullptr);
    // Typing again starts from nothing, not from the failed search.
    h.type("zoe");
    h.frames(1);
    CHECK(h.ui().checkInScreen().query() == "zoe");
    h.press(keys::Escape);
    h.frames(3);
    CHECK(h.ui().checkInScreen().query().empty());

    // A refusal is shown in a line that was already there: nothing moves.
    REQUIRE(h.tabTo("Mark no-shows"));
    h.press(keys::Enter);
    h.frames(1);
    REQUIRE_FALSE(h.ui().feedback().ok);
    CHECK(h.find("Find a student (name or ID)")->rect.y == doctest::Approx(searchTop));
    h.press(keys::Escape);  // back to the search
    h.frames(3);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");

    h.press(keys::Escape);  // empty search: back to the sessions
    h.frames(3);
    CHECK_FALSE(h.ui().onCheckInScreen());
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label.rfind("WorkKeys Applied Math", 0) == 0);
    // The refusal stayed with the screen it was said on.
    CHECK(h.ui().feedback().text.empty());
}

TEST_CASE("bulk actions tick every student they touch, one can be left out, and the checklist shows what is missing before sign-off") {
    test::DemoFixture f(9);  // six students in the morning session
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    CHECK(h.findContaining("Before sign-off, still to account for: 6 not arrived · 0 in the room · 0 on a break") != nullptr);
    for (const char* who : {"zoe nun", "lukasz dvo"}) {
        h.type(who);
        h.press(keys::Enter);
        h.frames(2);
        h.press(keys::Enter);
        h.frames(2);
    }
    REQUIRE(f.events("S100001").size() == 1);
    REQUIRE(f.events("S100002").size() == 1);
    CHECK(h.findContaining("still to account for: 4 not arrived · 2 in the room") != nullptr);

    // Check out everyone present: the two are named, one confirmation.
    REQUIRE(h.tabTo("Check out everyone present"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Check out everyone");
    for (const char* who : {"Ñúñez, Zoë · S100001", "Dvořák, Łukasz · S100002"}) {
        CAPTURE(who);
        const accessibility::Node* tick = h.findRole(accessibility::Role::Checkbox, who);
        REQUIRE(tick != nullptr);
        CHECK(tick->checked);
    }
    CHECK(h.findContaining("2 of these 2 students will be checked out now") != nullptr);
    // Unticked and ticked again: the button says how many when not everyone.
    REQUIRE(h.tabToExactly("Dvořák, Łukasz · S100002"));
    h.press(keys::Space);
    h.frames(1);
    CHECK(h.find("Check out the 1 ticked") != nullptr);
    h.press(keys::Space);
    h.frames(1);
    REQUIRE(h.tabToExactly("Check out everyone"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK(f.events("S100001").back().kind == domain::EventKind::CheckedOut);
    CHECK(f.events("S100002").back().kind == domain::EventKind::CheckedOut);

    // No-shows at the cut-off: the four absentees by name.
    f.now += std::chrono::minutes(25);
    REQUIRE(h.tabTo("Mark no-shows"));
    h.press(keys::Enter);
    h.frames(2);
    int listed = 0;
    std::string leftOut;
    for (const auto& n : h.tree().nodes())
        if (n.role == accessibility::Role::Checkbox && n.scope != "main") {
            CHECK(n.checked);
            CHECK(n.label.find("S100001") == std::string::npos);
            if (leftOut.empty()) leftOut = n.label;
            ++listed;
        }
    CHECK(listed == 4);
    CHECK(h.findContaining("4 of these 4 students will be marked as a no-show") != nullptr);
    // One is seen in the corridor: unticked, left out.
    REQUIRE(h.tabToExactly(leftOut));
    h.press(keys::Space);
    h.frames(1);
    CHECK(h.findContaining("3 of these 4 students will be marked as a no-show") != nullptr);
    REQUIRE(h.tabToExactly("Mark no-shows"));
    h.press(keys::Enter);
    h.frames(2);
    auto counted = f.store.db().prepare("SELECT count(*) FROM attendance WHERE session_id = 'RHS-2026-WK-AM-114' AND presence = 'no_show';");
    REQUIRE(counted.value().step().value());
    CHECK(counted->getInt(0) == 3);
    CHECK(h.findContaining("still to account for: 1 not arrived") != nullptr);
}

TEST_CASE("the check-in dialog warns when two students on the roster share a name") {
    Fixture f;
    auto other = store::findStudent(f.store.db(), "S100004").value();
    REQUIRE(other.has_value());
    other->firstName = "Zoe";  // written without the diaeresis: the same name to a proctor's eye
    other->lastSurname = "Nuñez";
    REQUIRE(store::upsertStudent(f.store.db(), *other).ok());
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("S100001");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Check in");
    const auto* warning = h.findContaining("Another student on this roster has the same name");
    REQUIRE(warning != nullptr);
    CHECK(warning->role == accessibility::Role::Alert);
    CHECK(warning->label.find("S100004") != std::string::npos);
    CHECK(warning->label.find("says S100001") != std::string::npos);
    h.press(keys::Escape);
    h.frames(2);
    // A name nobody shares: no warning.
    h.type("S100002");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.findContaining("Another student on this roster has the same name") == nullptr);
}

TEST_CASE("the check-in dialog checks the date of birth a student gives against the roster, without showing it or checking in") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("S100001");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Check in");
    // The roster's date is nowhere on screen: it is the student's sign-in factor.
    CHECK(h.findContaining("04/02/2009") == nullptr);
    // The grade is: beside the name, an ID aid (the demo's Zoë is in grade 11).
    CHECK(h.find("Ñúñez, Zoë · S100001 · Grade 11") != nullptr);
    REQUIRE(h.tabTo("Date of birth the student gives (MM/DD/YYYY)"));
    h.type("04/03/2009");
    h.press(keys::Enter);  // checks the date; the dialog stays open
    h.frames(2);
    const auto* differs = h.findContaining("Does NOT match the date of birth on the roster");
    REQUIRE(differs != nullptr);
    CHECK(differs->role == accessibility::Role::Alert);
    CHECK(f.events("S100001").empty());
    // The ID check is no longer "verified": a reflexive Enter records a refusal, not a check-in.
    const auto* refusedChoice = h.find("Refused or mismatch");
    REQUIRE(refusedChoice != nullptr);
    CHECK(refusedChoice->checked);
    CHECK(h.find("Record refused ID") != nullptr);
    for (const auto& n : h.tree().nodes()) CHECK_FALSE((n.role == accessibility::Role::Button && n.label == "Check in"));

    for (int i = 0; i < 10; ++i) h.press(keys::Backspace);
    h.type("04/02/2009");
    // The language changed before the check (F8 and back): the date typed stays April 2.
    h.press(keys::F8);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->value == "02/04/2009");
    h.press(keys::F8);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->value == "04/02/2009");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.findContaining("Matches the date of birth on the roster") != nullptr);
    CHECK(f.events("S100001").empty());
    CHECK(h.find("Photo ID")->checked);  // a typo put right: the way chosen before is back
    // A proctor's misses do not lock the student out of signing in.
    CHECK(f.count("SELECT failures FROM credential WHERE kind = 'student_birth_date' AND subject_id = 'S100001';") == 0);
    // Both checks are audited, without the date.
    CHECK(f.count("SELECT count(*) FROM audit_log WHERE action = 'student.birth_date_checked';") == 2);
    CHECK(f.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%2009%';") == 0);

    // Then the check-in itself, as before.
    REQUIRE(h.tabToExactly("Check in"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events("S100001").size() == 1);
}

TEST_CASE("Print papers… writes the three papers off the render thread and, with no printer, says so and keeps them") {
    Fixture f;
    test::TempDir exports;
    ::setenv("TMPDIR", exports.path().c_str(), 1);  // the harness exports to the temp directory
    ::setenv("CUPS_SERVER", "127.0.0.1:9", 1);      // nothing listens: no print server
    test::UiHarness h(f.store, f.clock());
    ::unsetenv("TMPDIR");
    h.openFirstSession();
    REQUIRE(h.tabTo("Print papers…"));
    h.press(keys::Enter);
    h.frames(1);
    CHECK(h.ui().feedback().text.find("Preparing the papers") == 0);
    // While its button waits for the job, typing goes on in the search (never to F1).
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Find a student (name or ID)");
    h.type("zoe");
    h.frames(1);
    CHECK(h.ui().checkInScreen().query() == "zoe");
    for (int i = 0; i < 200 && h.ui().feedback().text.find("Preparing") == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));  // the job's thread, not the test's clock
        h.frames(1);
    }
    ::unsetenv("CUPS_SERVER");
    CHECK_FALSE(h.ui().feedback().ok);
    // Plain words for the proctor first; the technician's detail after them.
    CHECK_MESSAGE(h.ui().feedback().text.starts_with("The papers were not printed"), h.ui().feedback().text);
    CHECK(h.ui().feedback().text.find("ask the test coordinator to print them") != std::string::npos);
    CHECK(h.ui().feedback().text.find("For the technician: no printer") != std::string::npos);
    for (const char* kind : {"roster", "seating", "irregularities"})
        CHECK(std::filesystem::exists(exports.path() / (std::string("RHS-2026-WK-AM-114-") + kind + ".pdf")));
}

TEST_CASE("a form refused for an empty field keeps taking keys: Enter, the reason, then the ID typed goes into the field") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    REQUIRE(h.tabTo("Walk-in (not on roster)…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Student ID");
    // Nothing typed: refused, the dialog stays open with the reason.
    CHECK(typedAfterRefusal(h, "Enter the walk-in's student ID.", "X12345", "Student ID") == "X12345");
}

TEST_CASE("Correct an entry… on a walk-in lists the check-in and says the walk-in stays on the record and what to do instead") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    REQUIRE(h.tabTo("Walk-in (not on roster)…"));
    h.press(keys::Enter);
    h.frames(2);
    h.type("X900001");
    REQUIRE(h.tabTo("First name"));
    h.type("Test");
    REQUIRE(h.tabTo("Last name"));
    h.type("Walker");
    h.press(keys::Enter);  // added; the check-in dialog follows
    h.settleActions();
    h.frames(3);
    REQUIRE(h.find("Check in") != nullptr);
    h.press(keys::Enter);  // checked in
    h.settleActions();
    h.frames(2);
    h.type("X900001");
    h.press(keys::Enter);  // present already: Enter opens the record
    h.frames(2);
    REQUIRE(h.tabTo("Correct an entry…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Correct an entry") != nullptr);
    CHECK(h.findContaining("Checked in") != nullptr);
    const accessibility::Node* note = h.findContaining("Added as a walk-in at ");
    REQUIRE(note != nullptr);
    CHECK(note->label.find("by Ms. Rivera: that stays on the record") != std::string::npos);
    CHECK(note->label.find("mark them as a no-show") != std::string::npos);
}

TEST_CASE("a description typed before a refusal is kept: the next keys go on after it and do not replace it") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.checkInAndOpen("zoe nun");
    REQUIRE(h.tabTo("Irregularity"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Description");
    h.type("Phone rang");
    // No category chosen: refused.
    CHECK(typedAfterRefusal(h, "Choose what happened", " in bag", "Description") == "Phone rang in bag");
}

TEST_CASE("a late check-in's dialog fits a 1024x768 screen: the name, the late warning and the buttons in view at once") {
    Fixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    f.now += std::chrono::minutes(20);  // past the late cut-off
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Check in");
    for (const char* shown : {"Ñúñez, Zoë · S100001 · Grade 11", "Arriving after the late cut-off", "Check in", "Cancel"}) {
        CAPTURE(shown);
        const accessibility::Node* node = nullptr;
        for (const auto& n : h.tree().nodes())
            if (n.scope != "main" && n.label.rfind(shown, 0) == 0) node = &n;
        REQUIRE(node != nullptr);
        CHECK(node->rect.inside(node->clip));
    }
}
