// Headless UI tests of a student on a shared machine: sign-in, task logging,
// and that nothing of one student is left for the next.
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/ui/keys.hpp"
#include "kiosk/domain/local_date.hpp"
#include "support/fixed_zone.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <doctest/doctest.h>

using namespace kiosk;
namespace keys = kiosk::ui::keys;

namespace {

struct Lab {
    test::DemoFixture f;
    test::UiHarness h;
    // `at`: the clock's time from the start; `offsetAt`: the zone's offset, as the kiosk sets it.
    explicit Lab(std::optional<domain::Timestamp> at = std::nullopt, std::function<int(domain::Timestamp)> offsetAt = {})
        : f(40, at), h(f.store, f.clock(), 1280, 800, nullptr, "en", std::move(offsetAt)) {
        REQUIRE(h.security().setSecondFactor(service::SecondFactor::Pin).ok());
        REQUIRE(h.security().setStudentPin("S100001", "4321").saved);
        REQUIRE(h.tabTo("Student sign-in"));
        h.press(keys::Enter);
        h.frames(2);
        REQUIRE(h.ui().onStudentScreen());
    }
    // Zoë's entry at `place`, submitted for review (as a lab machine would).
    std::string submitted(const std::string& place, const std::string& reflection = "Helped at the desk") {
        auto draft = h.work().saveDraft("S100001", "", {"comm-customer", "2026-11-22", 60, place, reflection});
        REQUIRE(draft.saved);
        REQUIRE(h.work().submit("S100001", draft.eventId).saved);
        return draft.eventId;
    }
    // From the student station to the review screen, as the proctor walks there.
    void toReview(std::string_view button = "Review work entries") {
        REQUIRE(h.tabTo("Proctor screens"));
        h.press(keys::Enter);
        h.frames(2);
        h.signInAsProctor();
        REQUIRE(h.tabTo(button));
        h.press(keys::Enter);
        h.frames(2);
    }
    void signIn() {
        REQUIRE(h.focused() != nullptr);
        REQUIRE(h.focused()->label == "Student ID");
        h.type("S100001");
        REQUIRE(h.tabTo("PIN"));
        h.type("4321");
        h.press(keys::Enter);
        h.frames(2);
        REQUIRE(h.ui().studentScreen().signedIn());
    }
    // From the student's home to a new task entry, by keyboard.
    void openTaskForm() {
        REQUIRE(h.tabTo("Log a task"));
        h.press(keys::Enter);
        h.frames(2);
    }
    // The task form's fields after the task and date, by Tab and typing; then Submit for review.
    void fillAndSubmit(std::string_view minutes, std::string_view place, std::string_view reflection) {
        REQUIRE(h.tabTo("Minutes"));
        h.type(minutes);
        REQUIRE(h.tabTo("Where (site or employer)"));
        h.type(place);
        REQUIRE(h.tabTo("Short reflection"));
        h.type(reflection);
        REQUIRE(h.tabTo("Submit for review"));
        h.press(keys::Enter);
    }
    std::vector<std::string> auditActions() {
        auto all = store::recentAudit(f.store.db(), 1000).value();
        std::vector<std::string> out;
        for (auto& e : all) out.push_back(e.action);
        return out;
    }
};

bool treeMentions(const accessibility::Tree& tree, const std::vector<std::string>& needles) {
    for (const auto& n : tree.nodes())
        for (const auto& s : needles)
            if (n.label.find(s) != std::string::npos || n.value.find(s) != std::string::npos) return true;
    return false;
}

// From the proctor sign-in page (the demo kiosk's first screen) to the student's, focus in Student ID.
void toStudentSignIn(test::UiHarness& h) {
    REQUIRE(h.tabTo("Student sign-in"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(h.focused()->label == "Student ID");
}

} // namespace

TEST_CASE("a student signs in with ID and PIN, sees the banner and progress, and a wrong PIN is refused") {
    Lab lab;
    lab.h.type("S100001");
    REQUIRE(lab.h.tabTo("PIN"));
    lab.h.type("9999");
    lab.h.press(keys::Enter);
    lab.h.frames(1);
    CHECK_FALSE(lab.h.ui().studentScreen().signedIn());
    CHECK(lab.h.findContaining("do not match") != nullptr);
    // The PIN typed is never in the tree, not even masked in full.
    CHECK_FALSE(treeMentions(lab.h.tree(), {"9999"}));
    REQUIRE(lab.h.tabTo("Student ID"));
    lab.signIn();
    CHECK(lab.h.findContaining("Signed in as Zoë Ñúñez (S100001)") != nullptr);
    CHECK(lab.h.findContaining("Communication: 0 of 10 hours") != nullptr);
    auto actions = lab.auditActions();
    CHECK(std::find(actions.begin(), actions.end(), "student.sign_in") != actions.end());
    CHECK(std::find(actions.begin(), actions.end(), "student.sign_in_failed") != actions.end());
}

TEST_CASE("in Spanish, a refused sign-in says why in Spanish (the service's sentence, translated)") {
    Lab lab;
    lab.h.press(keys::F8);
    lab.h.frames(2);
    REQUIRE(lab.h.ui().language() == "es");
    REQUIRE(lab.h.focused() != nullptr);
    lab.h.type("S100001");
    lab.h.press(keys::Tab);
    lab.h.type("9999");
    lab.h.press(keys::Enter);
    lab.h.frames(1);
    CHECK_FALSE(lab.h.ui().studentScreen().signedIn());
    CHECK(lab.h.findContaining("Ese ID de estudiante y ese PIN no coinciden") != nullptr);
    CHECK(lab.h.findContaining("do not match") == nullptr);
}

TEST_CASE("in Spanish, a lock-out names its end in Spanish: the sentence is translated, then the time filled in") {
    Lab lab;
    lab.h.press(keys::F8);
    lab.h.frames(2);
    REQUIRE(lab.h.ui().language() == "es");
    for (int i = 0; i < store::kFailuresBeforeLockout; ++i) {
        REQUIRE(lab.h.tabTo("ID de estudiante"));
        lab.h.type("S100001");
        lab.h.press(keys::Tab);
        lab.h.type("9999");
        lab.h.press(keys::Enter);
        lab.h.frames(1);
    }
    CHECK_FALSE(lab.h.ui().studentScreen().signedIn());
    const auto* said = lab.h.findContaining("Demasiados intentos");
    REQUIRE(said != nullptr);
    std::string words = said->label + said->value;
    CHECK(words.find("hasta las ") != std::string::npos);
    CHECK(words.find("{time}") == std::string::npos);  // filled in, not shown as a placeholder
    CHECK(lab.h.findContaining("Too many tries") == nullptr);
}

TEST_CASE("a student logs a task by keyboard and submits it, and it waits for review") {
    Lab lab;
    lab.signIn();
    // What the kiosk switched on for her is said (Zoë's roster has colour contrast).
    CHECK(lab.h.find("Your accommodations are on: high contrast.") != nullptr);
    // The banner tells a student the time, not the site's backlog to the state.
    CHECK(lab.h.findContaining("Waiting to go to the state") == nullptr);
    CHECK(lab.h.findContaining("not enrolled") == nullptr);
    lab.openTaskForm();
    // The task list is one Tab stop: focus starts on the first task, none
    // chosen for the student; Down chooses the next, and one Tab leaves the list.
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label.rfind("Helped a customer", 0) == 0);
    CHECK_FALSE(lab.h.focused()->checked);
    for (const auto& n : lab.h.tree().nodes())
        if (n.role == accessibility::Role::RadioButton) CHECK_MESSAGE(!n.checked, n.label << " is chosen for the student");
    lab.h.press(keys::Down);
    lab.h.frames(1);
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label.rfind("Wrote a work email", 0) == 0);
    CHECK(lab.h.focused()->checked);
    lab.h.press(keys::Tab);
    lab.h.frames(1);
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Date (MM/DD/YYYY)");
    CHECK(lab.h.focused()->value == "11/23/2026");  // one date format everywhere: the language's
    lab.fillAndSubmit("45", "Riverbend Hardware", "Wrote the weekly stock report for the manager.");
    lab.h.frames(2);
    INFO(lab.h.ui().feedback().text);
    auto waiting = lab.h.work().awaitingReview().value();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].studentId == "S100001");
    CHECK(waiting[0].taskId == "comm-written");
    CHECK(waiting[0].minutes == 45);
    CHECK(waiting[0].date == "2026-11-23");
    CHECK(treeMentions(lab.h.tree(), {"Waiting for review"}));  // the entry's state, read with it
}

TEST_CASE("a student deletes a draft from its form: asked first, Keep it focused, then gone from the list") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    // A new entry has nothing to delete: Cancel leaves it.
    CHECK(lab.h.find("Delete entry…") == nullptr);
    REQUIRE(lab.h.tabTo("Where (site or employer)"));
    lab.h.type("Library");
    REQUIRE(lab.h.tabTo("Save draft"));
    lab.h.press(keys::Enter);
    lab.h.settleActions();
    lab.h.frames(2);
    CHECK(lab.h.ui().feedback().text == "Saved as a draft: open it under Your entries to finish it.");
    REQUIRE(lab.h.tabTo("11/23/2026 · "));  // the entry in the list
    CHECK(lab.h.focused()->value == "Draft");
    lab.h.press(keys::Enter);
    lab.h.frames(2);
    REQUIRE(lab.h.tabTo("Delete entry…"));
    lab.h.press(keys::Enter);
    lab.h.frames(2);
    CHECK(lab.h.find("Delete this entry? It cannot be brought back.") != nullptr);
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Keep it");  // a reflexive second Enter deletes nothing
    lab.h.press(keys::Enter);
    lab.h.frames(2);
    CHECK(lab.h.find("Delete this entry? It cannot be brought back.") == nullptr);
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Delete entry…");
    lab.h.press(keys::Enter);
    lab.h.frames(2);
    REQUIRE(lab.h.tabTo("Delete it"));
    lab.h.press(keys::Enter);
    lab.h.settleActions();
    lab.h.frames(2);
    INFO(lab.h.ui().feedback().text);
    CHECK(lab.h.ui().feedback().text == "Entry deleted.");
    CHECK_FALSE(lab.h.ui().studentScreen().editing());
    CHECK(lab.h.find("No entries yet.") != nullptr);
    CHECK_FALSE(treeMentions(lab.h.tree(), {"Draft"}));
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Log a task");
    auto actions = lab.auditActions();
    CHECK(std::find(actions.begin(), actions.end(), "work.discarded") != actions.end());
}

TEST_CASE("switching to Spanish with the task form open writes its date day first: the same day is saved") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    REQUIRE(lab.h.tabTo("Date (MM/DD/YYYY)"));
    CHECK(lab.h.focused()->value == "11/23/2026");
    lab.h.press(keys::F8);
    lab.h.frames(3);
    REQUIRE(lab.h.ui().language() == "es");
    REQUIRE(lab.h.tabTo("Fecha (DD/MM/AAAA)"));
    CHECK(lab.h.focused()->value == "23/11/2026");
    REQUIRE(lab.h.tabTo("Guardar borrador"));
    lab.h.press(keys::Enter);
    lab.h.settleActions();
    lab.h.frames(2);
    auto entries = lab.h.work().entries("S100001").value();
    REQUIRE(entries.size() == 1);
    CHECK(entries.front().date == "2026-11-23");
}

TEST_CASE("a task submitted without its minutes: the reason beside the buttons, focus in Minutes, and the minutes typed go in") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    lab.h.press(keys::Space);  // the task focused is chosen
    lab.h.frames(1);
    REQUIRE(lab.h.tabTo("Submit for review"));
    lab.h.press(keys::Enter);
    lab.h.settleActions();
    lab.h.frames(3);
    CHECK_FALSE(lab.h.ui().feedback().ok);
    const std::string why = lab.h.ui().feedback().text;
    REQUIRE_FALSE(why.empty());
    int alerts = 0;  // at the top and above the buttons
    for (const auto& n : lab.h.tree().nodes())
        if (n.role == accessibility::Role::Alert && n.label == why) ++alerts;
    CHECK(alerts == 2);
    CHECK(lab.h.findContaining("Submit for review") != nullptr);
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Minutes");
    lab.h.type("30");
    lab.h.frames(1);
    CHECK(lab.h.focused()->value == "30");
}

TEST_CASE("the minutes typed are shown in hours beside the field, as progress counts them") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    CHECK(lab.h.findContaining("hour") == nullptr);  // nothing typed, nothing said
    REQUIRE(lab.h.tabTo("Minutes"));
    lab.h.type("90");
    lab.h.frames(1);
    CHECK(lab.h.find("= 1.5 hours") != nullptr);
    lab.h.press(keys::Backspace);
    lab.h.press(keys::Backspace);
    lab.h.type("60");
    lab.h.frames(1);
    CHECK(lab.h.find("= 1 hour") != nullptr);
    lab.h.press(keys::Backspace);
    lab.h.press(keys::Backspace);
    lab.h.type("45");
    lab.h.frames(1);
    CHECK(lab.h.find("= 0.75 hours") != nullptr);  // a quarter hour said as it is, not 0.8
    lab.h.press(keys::Backspace);
    lab.h.type("0");
    lab.h.frames(1);
    // The catalogue counts whole 15 minutes (rounded down): 40 minutes count 0.5 hours.
    CHECK(lab.h.find("= 0.67 hours; 0.5 count (in steps of 15 minutes)") != nullptr);
    lab.h.press(keys::Backspace);
    lab.h.type("x");
    lab.h.frames(1);
    CHECK(lab.h.findContaining("hour") == nullptr);  // not a number: no sum
}

TEST_CASE("a task submitted with no task chosen is refused, focus goes to the list, and Space chooses the task focused") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    lab.fillAndSubmit("30", "Riverbend Hardware", "Stocked shelves.");
    lab.h.settleActions();
    lab.h.frames(3);
    CHECK(lab.h.ui().feedback().text == "Choose which task you did.");
    CHECK(lab.h.work().awaitingReview().value().empty());
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label.rfind("Helped a customer", 0) == 0);
    lab.h.press(keys::Space);
    lab.h.frames(1);
    CHECK(lab.h.focused()->checked);
    REQUIRE(lab.h.tabTo("Submit for review"));
    lab.h.press(keys::Enter);
    lab.h.settleActions();
    lab.h.frames(2);
    auto waiting = lab.h.work().awaitingReview().value();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].taskId == "comm-customer");
}

TEST_CASE("a new entry is dated today in the kiosk's zone at that instant, not the UTC date") {
    // 03:30 UTC on the 24th is 21:30 on the 23rd in Chicago (CST since the
    // change of 1 November); the kiosk gives the offset of each instant.
    test::FixedZone zone("America/Chicago");
    Lab lab(*domain::parseIso8601("2026-11-24T03:30:00Z"), [](domain::Timestamp t) { return store::localUtcOffsetMinutes(t); });
    lab.signIn();
    lab.openTaskForm();
    REQUIRE(lab.h.tabTo("Date (MM/DD/YYYY)"));
    CHECK(lab.h.focused()->value == "11/23/2026");
}

TEST_CASE("session isolation: after a time-out no field, buffer or tree node keeps student A's input") {
    Lab lab;
    lab.signIn();
    lab.openTaskForm();
    const std::vector<std::string> secrets{"ZZPLACE-OF-A", "ZZREFLECTION-OF-A", "S100001", "Ñúñez"};
    REQUIRE(lab.h.tabTo("Minutes"));
    lab.h.type("30");
    REQUIRE(lab.h.tabTo("Where (site or employer)"));
    lab.h.type("ZZPLACE-OF-A");
    REQUIRE(lab.h.tabTo("Short reflection"));
    lab.h.type("ZZREFLECTION-OF-A");  // still being edited when the time-out comes
    CHECK(treeMentions(lab.h.tree(), {"ZZREFLECTION-OF-A"}));

    // Nobody touches the kiosk: past the warning and the time-out. Behind
    // the warning the screen is covered, not dimmed (the next person may read it).
    bool warned = false;
    for (int i = 0; i < 12; ++i) {
        lab.f.now += std::chrono::seconds(30);
        lab.h.frames(2);
        if (lab.h.find("Are you still there?") != nullptr) {
            warned = true;
            CHECK(ImGui::GetStyle().Colors[ImGuiCol_ModalWindowDimBg].w == 1.0f);
        }
    }
    CHECK(warned);
    CHECK_FALSE(lab.h.ui().studentScreen().signedIn());
    for (const std::string* buffer : lab.h.ui().studentScreen().buffers()) CHECK(buffer->empty());
    CHECK_FALSE(treeMentions(lab.h.tree(), secrets));
    // ImGui's own copy of the text being edited is gone too.
    const auto& state = GImGui->InputTextState;
    std::string edited;
    for (int i = 0; i < state.TextW.Size; ++i)
        if (state.TextW[i] < 128) edited.push_back(static_cast<char>(state.TextW[i]));
    CHECK(edited.find("ZZREFLECTION") == std::string::npos);
    CHECK(std::string(state.InitialTextA.Data ? state.InitialTextA.Data : "").find("ZZ") == std::string::npos);
    // The next student starts at a clean sign-in.
    REQUIRE(lab.h.focused() != nullptr);
    CHECK(lab.h.focused()->label == "Student ID");
    CHECK(lab.h.focused()->value.empty());
    // The unfinished entry was kept as a draft, never lost to the time-out.
    auto entries = lab.h.work().entries("S100001").value();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].status == domain::EntryStatus::Draft);
    CHECK(entries[0].reflection == "ZZREFLECTION-OF-A");
    auto actions = lab.auditActions();
    CHECK(std::find(actions.begin(), actions.end(), "student.timed_out") != actions.end());
    // The next person is told nothing of it (nor that there was one).
    CHECK(lab.h.ui().feedback().text == "The session ended after a time with no activity. Nothing of it is left on this screen.");
}

TEST_CASE("a time-out with nothing being written says so, and no draft appears") {
    Lab lab;
    lab.signIn();
    for (int i = 0; i < 12; ++i) {
        lab.f.now += std::chrono::seconds(30);
        lab.h.frames(2);
    }
    REQUIRE_FALSE(lab.h.ui().studentScreen().signedIn());
    CHECK(lab.h.work().entries("S100001").value().empty());
    CHECK(lab.h.ui().feedback().text == "The session ended after a time with no activity. Nothing of it is left on this screen.");
}

TEST_CASE("a proctor verifies a submitted entry with their PIN, and only then does it count") {
    Lab lab;
    lab.submitted("Library");
    lab.toReview("Review work entries (1 waiting)");
    // Said before approving: the demo proctor has no state staff ID, so the record will name no evaluator.
    CHECK(lab.h.findContaining("The state does not yet know you as a staff member") != nullptr);
    REQUIRE(lab.h.tabTo("PIN of Ms. Rivera"));
    lab.h.type("0000");
    REQUIRE(lab.h.tabTo("Approve"));
    lab.h.press(keys::Enter);
    lab.h.frames(1);
    CHECK(lab.h.work().awaitingReview().value().size() == 1);  // wrong PIN: nothing changed
    REQUIRE(lab.h.tabTo("PIN of Ms. Rivera"));
    lab.h.type("2468");
    REQUIRE(lab.h.tabTo("Approve"));
    lab.h.press(keys::Enter);
    lab.h.frames(1);
    CHECK(lab.h.work().awaitingReview().value().empty());
    auto progress = lab.h.work().progress("S100001").value();
    CHECK(progress.areas[0].approvedMinutes == 60);
}

TEST_CASE("switching to the student station signs the proctor out: proctor screens need ID and PIN again") {
    test::DemoFixture f{40};
    test::UiHarness h{f.store, f.clock()};
    h.signInAsProctor();
    REQUIRE(h.findContaining("Signed in as") != nullptr);
    REQUIRE(h.tabTo("Student sign-in"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onStudentScreen());
    auto audit = store::recentAudit(f.store.db(), 50).value();
    REQUIRE(!audit.empty());
    CHECK(audit.front().action == "proctor.sign_out");  // newest first
    CHECK(audit.front().detail.find("student_station") != std::string::npos);

    // A student presses "Proctor screens…": the sign-in asks for both again.
    REQUIRE(h.tabTo("Proctor screens"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.ui().windowTitle().rfind("Proctor sign-in", 0) == 0);
    CHECK(h.findContaining("Signed in as") == nullptr);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Proctor ID");
    CHECK(h.focused()->value.empty());
    const auto* review = h.findContaining("Review work entries");
    REQUIRE(review != nullptr);
    CHECK(review->disabled);
    // A session cannot be opened without a PIN.
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK_FALSE(h.ui().onCheckInScreen());
    CHECK(h.ui().feedback().text.find("proctor") != std::string::npos);
}

TEST_CASE("a student who types no date is told the format and loses no try and a lower-case ID with a one-digit day still signs in") {
    test::DemoFixture f{40};
    test::UiHarness h{f.store, f.clock()};
    toStudentSignIn(h);
    h.type("s100001");
    REQUIRE(h.tabTo("Date of birth (MM/DD/YYYY)"));
    h.type("April 2");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE_FALSE(h.ui().studentScreen().signedIn());
    CHECK(h.ui().feedback().text == "That is not a date: type your date of birth as MM/DD/YYYY, for example 07/31/2010.");
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Date of birth (MM/DD/YYYY)");  // retyped at once, the ID kept
    auto audit = store::recentAudit(f.store.db(), 1000).value();
    CHECK(std::none_of(audit.begin(), audit.end(), [](const auto& e) { return e.action == "student.sign_in_failed"; }));
    h.type("4/2/2009");
    h.press(keys::Enter);
    h.frames(2);
    INFO(h.ui().feedback().text);
    REQUIRE(h.ui().studentScreen().signedIn());
    CHECK(h.findContaining("(S100001)") != nullptr);  // the ID as the roster spells it
}

TEST_CASE("the README's demo pair signs in on the demo data, typed in the screen's date format") {
    test::DemoFixture f{40};
    test::UiHarness h{f.store, f.clock()};
    toStudentSignIn(h);
    h.type(std::string(store::kDemoStudentId));
    REQUIRE(h.tabTo("Date of birth (MM/DD/YYYY)"));
    h.type("04/02/2009");
    h.press(keys::Enter);
    h.frames(2);
    INFO(h.ui().feedback().text);
    REQUIRE(h.ui().studentScreen().signedIn());
    CHECK(h.findContaining("Zoë Ñúñez") != nullptr);
    REQUIRE(h.tabTo("Sign out"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE_FALSE(h.ui().studentScreen().signedIn());

    // In Spanish the same date is written day first.
    REQUIRE(h.ui().setLanguage("es"));
    h.frames(3);
    REQUIRE(h.tabTo("ID de estudiante"));
    h.type(std::string(store::kDemoStudentId));
    REQUIRE(h.tabTo("Fecha de nacimiento (DD/MM/AAAA)"));
    h.type("02/04/2009");
    h.press(keys::Enter);
    h.frames(2);
    INFO(h.ui().feedback().text);
    REQUIRE(h.ui().studentScreen().signedIn());

    // The catalogue's own words in Spanish too: the certificate and its areas.
    if (h.ui().language() != "es") REQUIRE(h.ui().setLanguage("es"));
    h.frames(2);
    CHECK(h.findContaining("Certificado de preparación para el trabajo") != nullptr);
    CHECK(h.findContaining("Comunicación") != nullptr);
    CHECK(h.findContaining("Work Readiness Certificate") == nullptr);

    // The student reads in Spanish; signed out, the next person meets the
    // site's language, the goodbye in it, and focus in the Student ID field.
    if (h.ui().language() != "es") REQUIRE(h.ui().setLanguage("es"));
    h.frames(2);
    REQUIRE(h.tabTo("Cerrar sesión"));
    h.press(keys::Enter);
    h.frames(3);
    REQUIRE_FALSE(h.ui().studentScreen().signedIn());
    CHECK(h.ui().language() == "en");
    CHECK(h.ui().feedback().text.rfind("Signed out.", 0) == 0);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Student ID");
}

TEST_CASE("the review list names the student, with the ID beside the minutes") {
    Lab lab;
    lab.submitted("Library");
    lab.toReview();
    const auto* row = lab.h.findContaining("Zoë Ñúñez · 11/22/2026");
    REQUIRE(row != nullptr);
    CHECK(row->role == accessibility::Role::ListItem);
    CHECK(row->value.find("S100001") != std::string::npos);
}

TEST_CASE("the entry under review stays selected when another station reviews one ahead of it in the list") {
    Lab lab;
    for (const char* place : {"Library", "Cafeteria", "Front office"}) lab.submitted(place);
    lab.toReview();
    // The second entry (Cafeteria) chosen with the arrows.
    REQUIRE(lab.h.findContaining("at Library") != nullptr);
    const auto* first = lab.h.findContaining("Zoë Ñúñez · 11/22/2026");
    REQUIRE(first != nullptr);
    const std::string firstLabel = first->label;  // a copy: the tree is rebuilt by every frame tabTo draws
    REQUIRE(lab.h.tabTo(firstLabel));
    lab.h.press(keys::Down);
    lab.h.frames(1);
    lab.h.press(keys::Enter);
    lab.h.frames(2);
    REQUIRE(lab.h.findContaining("at Cafeteria") != nullptr);

    // Another station approves the first one (Library): the list moves up by one.
    auto entries = lab.h.work().awaitingReview();
    REQUIRE(entries.ok());
    REQUIRE(entries->size() == 3);
    REQUIRE(lab.h.work().review((*entries)[0].entryId, service::Review::Approve, "P001", "2468", "").saved);
    lab.h.ui().refresh();
    lab.h.frames(2);
    // Still Cafeteria, not the Front office entry that moved into its place.
    CHECK(lab.h.findContaining("at Cafeteria") != nullptr);
    CHECK(lab.h.findContaining("at Front office") == nullptr);
}

TEST_CASE("dates are shown and read in the language's order, and only real dates are accepted") {
    using domain::formatLocalDate;
    using domain::parseLocalDate;
    CHECK(formatLocalDate("2009-04-02", "mdy") == "04/02/2009");
    CHECK(formatLocalDate("2009-04-02", "dmy") == "02/04/2009");
    CHECK(formatLocalDate("not a date", "mdy") == "not a date");
    CHECK(parseLocalDate("04/02/2009", "mdy") == std::optional<std::string>("2009-04-02"));
    CHECK(parseLocalDate("4/2/2009", "mdy") == std::optional<std::string>("2009-04-02"));
    CHECK(parseLocalDate("04022009", "mdy") == std::optional<std::string>("2009-04-02"));
    CHECK(parseLocalDate("02/04/2009", "dmy") == std::optional<std::string>("2009-04-02"));
    CHECK(parseLocalDate(" 2009-04-02 ", "dmy") == std::optional<std::string>("2009-04-02"));
    CHECK_FALSE(parseLocalDate("02/30/2009", "mdy").has_value());
    CHECK_FALSE(parseLocalDate("13/01/2009", "mdy").has_value());
    CHECK_FALSE(parseLocalDate("1/2/09", "mdy").has_value());
    CHECK_FALSE(parseLocalDate("2009-02-30", "mdy").has_value());
    CHECK_FALSE(parseLocalDate("", "mdy").has_value());

    // A field's date when the language changes under it: a whole date is
    // written again in the new order; what is half typed is left as it is.
    std::string text = "12/05/2026", order = "mdy";
    domain::reorderLocalDate(text, order, "dmy");
    CHECK(text == "05/12/2026");
    CHECK(order == "dmy");
    domain::reorderLocalDate(text, order, "dmy");
    CHECK(text == "05/12/2026");  // the same order: nothing moves
    std::string half = "12/05", halfOrder = "mdy";
    domain::reorderLocalDate(half, halfOrder, "dmy");
    CHECK(half == "12/05");
    CHECK(halfOrder == "dmy");
    std::string fresh = "04/02/2009", unknown;
    domain::reorderLocalDate(fresh, unknown, "mdy");  // nothing known of how it was typed: taken as it is
    CHECK(fresh == "04/02/2009");
    CHECK(unknown == "mdy");
}

TEST_CASE("a proctor with the state's staff ID on file reviews without the warning") {
    Lab lab;
    REQUIRE(lab.h.security().setProctor("P001", "Ms. Rivera", "2468", "20001").saved);
    lab.submitted("Library");
    lab.toReview("Review work entries (1 waiting)");
    REQUIRE(lab.h.tabTo("PIN of Ms. Rivera"));
    CHECK(lab.h.findContaining("does not yet know you as a staff member") == nullptr);
}

TEST_CASE("the demo kiosk names its documented sign-ins on both sign-in pages, dates in the page's order, until a technician sets one") {
    test::DemoFixture f(40);
    {
        test::UiHarness h(f.store, f.clock());
        CHECK(h.find("Demo data (see the README): proctor ID P001, PIN 2468") != nullptr);
        toStudentSignIn(h);
        CHECK(h.find("Demo data (see the README): student ID S100001, date of birth 04/02/2009") != nullptr);
        // What it names signs in.
        h.type("S100001");
        REQUIRE(h.tabTo("Date of birth (MM/DD/YYYY)"));
        h.type("04/02/2009");
        h.press(keys::Enter);
        h.frames(2);
        CHECK(h.ui().studentScreen().signedIn());
    }
    {
        test::UiHarness h(f.store, f.clock(), 1280, 800, nullptr, "es");
        CHECK(h.find("Datos de demostración (vea el README): supervisor P001, PIN 2468") != nullptr);
        REQUIRE(h.tabTo("Inicio de sesión de estudiantes"));
        h.press(keys::Enter);
        h.frames(2);
        CHECK(h.find("Datos de demostración (vea el README): estudiante S100001, fecha de nacimiento 02/04/2009") != nullptr);
    }
    // A technician gives the demo proctor a PIN of the site's own: the README's no longer holds, and no page names it.
    REQUIRE(service::SecurityService(f.store, f.clock()).setProctor("P001", "Ms. Rivera", "9753").saved);
    {
        test::UiHarness h(f.store, f.clock());
        CHECK(h.findContaining("Demo data") == nullptr);
        toStudentSignIn(h);
        CHECK(h.findContaining("Demo data") == nullptr);
    }
}
