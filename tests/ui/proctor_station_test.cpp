// The proctor's station: signing in by keyboard, and screens left alone
// that lock (the roster, the records and the sign-off are behind them):
// warned first, opened again with the same proctor's PIN where they were,
// or signed out for another proctor.
#include "kiosk/ui/keys.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>
#include <imgui.h>

using namespace kiosk;
using namespace std::chrono_literals;
namespace keys = kiosk::ui::keys;

namespace {

std::string focusedLabel(const test::UiHarness& h) { return h.focused() ? h.focused()->label : std::string("(nothing)"); }

// Up to the warning: no input for the whole time-out but its last 10 s.
void leaveUntilWarned(test::UiHarness& h, test::DemoFixture& f) {
    f.now += test::UiHarness::kProctorIdle - 10s;
    h.frames(2);
}

// The walk-in dialog open from the session screen, "X9" typed as its student ID.
void walkInHalfTyped(test::UiHarness& h) {
    REQUIRE(h.tabTo("Walk-in (not on roster)…"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Walk-in not on the roster") != nullptr);
    REQUIRE(focusedLabel(h) == "Student ID");
    h.type("X9");
}

} // namespace

TEST_CASE("a proctor's screen left alone locks after a warning, hides the room, and opens again with the PIN where it was") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("zoe");
    h.frames(2);
    REQUIRE(h.findContaining("Ñúñez") != nullptr);
    walkInHalfTyped(h);

    leaveUntilWarned(h, f);
    CHECK_FALSE(h.ui().locked());
    h.frames(2);  // drawn over the dialog, which waits out of sight
    CHECK(h.findContaining("locks in 10 seconds") != nullptr);
    CHECK(h.find("Walk-in not on the roster") == nullptr);
    CHECK(focusedLabel(h) == "Keep working");
    CHECK(ImGui::GetStyle().Colors[ImGuiCol_ModalWindowDimBg].w == 1.0f);  // the room behind is covered

    f.now += 20s;
    h.frames(3);
    REQUIRE(h.ui().locked());
    CHECK(h.ui().windowTitle().rfind("This screen is locked", 0) == 0);
    CHECK(h.findContaining("Ms. Rivera (P001) left the proctor's screens") != nullptr);
    // Nothing of the room stays readable: no student, no dialog, no board.
    CHECK(h.findContaining("Ñúñez") == nullptr);
    CHECK(h.find("Walk-in not on the roster") == nullptr);
    CHECK(h.find("Sign off session…") == nullptr);
    CHECK(focusedLabel(h) == "PIN of Ms. Rivera");

    // Room-view and other screen keys do nothing behind the lock.
    h.press(keys::F10);
    h.frames(2);
    CHECK_FALSE(h.ui().checkInScreen().roomView());

    h.type("1111");
    h.press(keys::Enter);
    h.frames(3);
    CHECK(h.ui().locked());
    CHECK(h.findContaining("Proctor ID or PIN not recognised") != nullptr);
    CHECK(focusedLabel(h) == "PIN of Ms. Rivera");

    h.type("2468");
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE_FALSE(h.ui().locked());
    CHECK(h.ui().onCheckInScreen());
    h.frames(2);
    CHECK(h.ui().checkInScreen().query() == "zoe");  // where it was
    // The half-typed dialog is back as it was, focus in the field typed in.
    CHECK(h.find("Walk-in not on the roster") != nullptr);
    REQUIRE(focusedLabel(h) == "Student ID");
    CHECK(h.focused()->value == "X9");
    h.press(keys::Escape);
    h.frames(2);
    CHECK(h.find("Walk-in not on the roster") == nullptr);
    CHECK(h.findContaining("Ñúñez") != nullptr);

    // The watch starts again: left alone again, it locks again.
    leaveUntilWarned(h, f);
    f.now += 20s;
    h.frames(3);
    CHECK(h.ui().locked());
}

TEST_CASE("the lock warning's Keep working, by keyboard, keeps the proctor's screen open for a whole new time-out") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    leaveUntilWarned(h, f);
    REQUIRE(focusedLabel(h) == "Keep working");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.find("Keep working") == nullptr);
    f.now += 20s;  // past where the old time-out ran out
    h.frames(3);
    CHECK_FALSE(h.ui().locked());
    CHECK(h.ui().onCheckInScreen());
}

TEST_CASE("the lock warning over an open dialog: the warning is drawn and takes the keys, and Keep working brings the dialog back as it was") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    walkInHalfTyped(h);
    REQUIRE(h.tabTo("First name"));
    h.type("Ana");
    leaveUntilWarned(h, f);
    for (int i = 0; i < 5; ++i) {  // frame after frame: the warning stays, the dialog stays away
        h.frames(1);
        CHECK(h.findContaining("locks in") != nullptr);
        CHECK(h.find("Walk-in not on the roster") == nullptr);
    }
    REQUIRE(focusedLabel(h) == "Keep working");
    h.press(keys::Enter);
    h.frames(3);
    CHECK(h.find("Keep working") == nullptr);
    CHECK(h.find("Walk-in not on the roster") != nullptr);
    REQUIRE(focusedLabel(h) == "First name");
    CHECK(h.focused()->value == "Ana");
    h.type("X");
    h.frames(1);
    CHECK(h.focused()->value == "AnaX");  // typing goes on where it was, after the text
}

TEST_CASE("locked: another proctor signs the first one out and signs in with their own ID") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    walkInHalfTyped(h);  // never shown to the next proctor
    leaveUntilWarned(h, f);
    f.now += 20s;
    h.frames(3);
    REQUIRE(h.ui().locked());
    REQUIRE(h.tabTo("Sign out Ms. Rivera"));
    h.press(keys::Enter);
    h.frames(3);
    CHECK_FALSE(h.ui().locked());
    CHECK_FALSE(h.ui().onCheckInScreen());
    CHECK(h.ui().windowTitle().rfind("Proctor sign-in", 0) == 0);
    CHECK(focusedLabel(h) == "Proctor ID");  // the first proctor's ID is not left in the field
    // No one signed in: nothing is watched, nothing locks.
    f.now += test::UiHarness::kProctorIdle + 1min;
    h.frames(3);
    CHECK_FALSE(h.ui().locked());
    h.signInAsProctor();
    CHECK(h.ui().windowTitle().rfind("Choose a testing session", 0) == 0);
    h.press(keys::Enter);  // the same session again: no dialog waits in it
    h.frames(3);
    REQUIRE(h.ui().onCheckInScreen());
    CHECK_FALSE(h.ui().checkInScreen().dialogOpen());
    CHECK(h.find("Walk-in not on the roster") == nullptr);
}

TEST_CASE("a student's sign-in at a proctor's station ends the proctor's watch: the student's own time-out runs, no lock") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.signInAsProctor();
    REQUIRE(h.tabTo("Student sign-in"));
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE(h.ui().onStudentScreen());
    f.now += test::UiHarness::kProctorIdle + 1min;
    h.frames(3);
    CHECK_FALSE(h.ui().locked());
    CHECK(h.ui().onStudentScreen());
}

TEST_CASE("proctor sign-in by keyboard: Enter in the ID goes on to the PIN, an empty field is named and keeps the typing") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    REQUIRE(h.find("Proctor sign-in") != nullptr);  // the heading says what comes first
    CHECK(h.find("Choose a testing session") == nullptr);
    REQUIRE(focusedLabel(h) == "Proctor ID");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.ui().feedback().text == "Type your proctor ID.");
    CHECK(focusedLabel(h) == "Proctor ID");
    h.type("P001");
    h.frames(1);
    CHECK(h.focused()->value == "P001");  // the keys after the refusal went in
    h.press(keys::Enter);
    h.frames(2);
    CHECK(focusedLabel(h) == "PIN");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.ui().feedback().text == "Type your PIN.");
    CHECK(focusedLabel(h) == "PIN");
    h.type("2468");
    h.press(keys::Enter);
    h.frames(3);
    CHECK(h.ui().windowTitle().rfind("Choose a testing session", 0) == 0);
    // Signed in, the way to the student screens says it signs the proctor out.
    CHECK(h.findContaining("Student sign-in (signs you out)") != nullptr);
}

TEST_CASE("at 300 % on a 1024x768 screen the focused Proctor ID field is in view, and typing goes into it") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.ui().setTextScale(300);
    h.frames(4);
    REQUIRE(focusedLabel(h) == "Proctor ID");
    const auto* field = h.focused();
    CHECK(field->rect.y >= 0.0f);
    CHECK(field->rect.y + field->rect.h <= 768.0f);
    h.type("P001");
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->value == "P001");
    CHECK(h.focused()->rect.y + h.focused()->rect.h <= 768.0f);
}
