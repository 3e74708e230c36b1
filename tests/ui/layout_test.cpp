// Every screen (session picker, check-in with a student selected, the
// settings panel, each dialog, the idle warning) at every theme and at 100,
// 150, 200 and 300% text on a 1280x800 display, checked on the accessibility
// tree: nothing cut off or out of reach, nothing overlapping, nothing
// truncated without a way to read it, 44 px targets, and every control fully
// visible when Tab reaches it.
#include "kiosk/ui/keys.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/layout_checks.hpp"

#include <doctest/doctest.h>
#include <imgui_internal.h>

#include <algorithm>
#include <functional>

using namespace kiosk;
using namespace std::chrono_literals;
namespace keys = kiosk::ui::keys;

namespace {

constexpr float kWidth = 1280, kHeight = 800;
constexpr int kScales[] = {100, 150, 200, 300};



void clearSearch(test::UiHarness& h) {
    if (!h.ui().checkInScreen().query().empty()) h.press(keys::Escape);
    h.frames(1);
}

// Zoë checked in, then found again: her record is open with every action.
void zoeSelected(test::UiHarness& h, test::DemoFixture& f) {
    h.openFirstSession();
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(f.events("S100001").size() == 1);
    clearSearch(h);
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.find("Irregularity…") != nullptr);
}

void pressButton(test::UiHarness& h, std::string_view label) {
    REQUIRE(h.tabTo(label));
    h.press(keys::Enter);
    h.frames(2);
}

void requireDialog(test::UiHarness& h, std::string_view title) {
    const auto* d = h.find(title);
    INFO("dialog " << title);
    REQUIRE(d != nullptr);
    REQUIRE(d->role == accessibility::Role::Dialog);
}

using Setup = std::function<void(test::UiHarness&, test::DemoFixture&)>;

// One screen state, rebuilt at each text size, then checked in every theme.
void checkEverywhere(const Setup& setup, const std::string& what) {
    for (int scale : kScales) {
        test::DemoFixture f;
        test::UiHarness h(f.store, f.clock(), kWidth, kHeight);
        h.ui().setTextScale(scale);
        h.frames(2);
        setup(h, f);
        for (std::size_t t = 0; t < h.ui().themes().size(); ++t) {
            h.ui().setTheme(t);
            h.frames(2);
            auto problems = test::layoutProblems(h.tree(), kWidth, scale);
            INFO(what << " at " << scale << "% in theme " << h.ui().themes()[t].id << ":\n" << test::joined(problems));
            CHECK(problems.empty());
        }
        h.ui().setTheme(0);
        h.frames(2);
        auto walk = test::tabWalkProblems(h, kWidth, kHeight);
        INFO(what << " at " << scale << "%, walking with Tab:\n" << test::joined(walk));
        CHECK(walk.empty());
    }
}

} // namespace

TEST_CASE("layout: session picker") {
    checkEverywhere([](test::UiHarness&, test::DemoFixture&) {}, "session picker");
}

TEST_CASE("layout: display settings panel over the session picker") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture&) {
            h.press(keys::F1);
            h.frames(2);
            REQUIRE(h.ui().settingsOpen());
        },
        "settings panel");
}

TEST_CASE("layout: check-in screen with a student selected") {
    checkEverywhere(zoeSelected, "check-in screen");
}

TEST_CASE("layout: with the panes stacked (large text) the page is the only scroller, never a pane inside a pane") {
    for (int scale : {200, 300}) {
        test::DemoFixture f(60);
        test::UiHarness h(f.store, f.clock(), kWidth, kHeight);
        h.ui().setTextScale(scale);
        h.frames(2);
        zoeSelected(h, f);
        h.frames(2);
        // No pane of its own inside the page (a child window: it would scroll
        // inside the scrolling page); the page itself does scroll.
        std::vector<std::string> panes;
        bool pageScrolls = false;
        for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
            if (!w->Active) continue;
            if (w->Flags & ImGuiWindowFlags_ChildWindow) panes.push_back(w->Name);
            else if (std::string_view(w->Name) == "kiosk") pageScrolls = w->ScrollMax.y > 0.0f;
        }
        INFO("at " << scale << "%: panes inside the page: " << test::joined(panes));
        CHECK(panes.empty());
        CHECK(pageScrolls);  // sixty students do not fit: the page is what scrolls
        // The board is drawn in the page too (the search found Zoë: her row).
        int rows = 0;
        for (const auto& n : h.tree().nodes())
            if (n.role == accessibility::Role::ListItem && n.scope == "main") ++rows;
        CHECK(rows >= 1);
    }
}

TEST_CASE("layout: a session opened at any text size shows the search field that has focus") {
    // Typing goes to the search field as the session opens: at large text the
    // page scrolls to it, so the proctor sees what they type and its matches.
    for (int scale : kScales) {
        test::DemoFixture f;
        test::UiHarness h(f.store, f.clock(), kWidth, kHeight);
        h.ui().setTextScale(scale);
        h.frames(2);
        h.openFirstSession();
        h.frames(2);
        const auto* focused = h.focused();
        CAPTURE(scale);
        REQUIRE(focused != nullptr);
        CHECK(focused->role == accessibility::Role::TextField);
        INFO("focused: " << focused->label << " at y " << focused->rect.y << " h " << focused->rect.h);
        CHECK(test::whollyVisible(*focused, kWidth, kHeight));
    }
}

TEST_CASE("layout: check-in screen with the settings panel open") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            zoeSelected(h, f);
            h.press(keys::F1);
            h.frames(2);
        },
        "check-in screen with settings");
}

TEST_CASE("layout: check-in dialog (late arrival, scheduled accommodations)") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            f.now += 10min;  // past the late cut-off: the late reason field shows too
            h.openFirstSession();
            h.type("zoe nun");
            h.press(keys::Enter);
            h.frames(2);
            requireDialog(h, "Check in");
        },
        "check-in dialog");
}

TEST_CASE("layout: no-show dialog") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture&) {
            h.openFirstSession();
            h.type("lukasz dvo");
            h.press(keys::Enter);  // opens check-in for him
            h.frames(2);
            h.press(keys::Escape);
            h.frames(2);
            pressButton(h, "No-show…");
            requireDialog(h, "Mark as no-show");
        },
        "no-show dialog");
}

TEST_CASE("layout: seat, ID check, irregularity and correction dialogs") {
    struct Case {
        const char* button;
        const char* title;
    };
    for (const Case c : {Case{"Seat…", "Assign a seat"}, Case{"ID check…", "ID check"}, Case{"Irregularity…", "Record an irregularity"},
                         Case{"Correct an entry…", "Correct an entry"}}) {
        checkEverywhere(
            [&](test::UiHarness& h, test::DemoFixture& f) {
                zoeSelected(h, f);
                pressButton(h, c.button);
                requireDialog(h, c.title);
            },
            std::string(c.title) + " dialog");
    }
}

TEST_CASE("layout: walk-in, bulk no-show and sign-off dialogs") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture&) {
            h.openFirstSession();
            pressButton(h, "Walk-in (not on roster)…");
            requireDialog(h, "Walk-in not on the roster");
        },
        "walk-in dialog");
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            h.openFirstSession();
            f.now += 25min;  // past the no-show cut-off
            pressButton(h, "Mark no-shows…");
            requireDialog(h, "Mark no-shows at the cut-off");
        },
        "bulk no-show dialog");
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture&) {
            h.openFirstSession();
            pressButton(h, "Sign off session…");
            requireDialog(h, "Sign off the session");
        },
        "sign-off dialog");
}

TEST_CASE("layout: idle warning") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            h.openFirstSession();
            h.ui().watchIdle({.timeout = 2min, .warning = 30s});
            h.frames(1);
            f.now += 100s;
            h.frames(2);
            requireDialog(h, "Are you still there?");
        },
        "idle warning");
}

TEST_CASE("a 1024x768 screen at 100 %: the whole session screen fits, every footer button in view without scrolling the page") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    h.frames(2);
    for (const char* label : {"Sessions", "Print papers…", "Sign off session…", "Whole room (F10)", "Walk-in (not on roster)…"}) {
        CAPTURE(std::string(label));
        const auto* node = h.find(label);
        REQUIRE(node != nullptr);
        CHECK(test::whollyVisible(*node, 1024, 768));
    }
}

TEST_CASE("a 1024x768 screen at 100 %: the irregularity and no-show dialogs open with their buttons in view, no scrolling") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1024, 768);
    h.openFirstSession();
    h.checkInAndOpen("zoe nun");
    h.frames(1);
    auto buttonInView = [&](const char* opener, const char* button) {
        INFO(std::string(opener));
        REQUIRE(h.tabTo(opener));
        h.press(keys::Enter);
        h.frames(3);
        const auto* save = h.find(button);
        REQUIRE(save != nullptr);
        auto shown = test::visiblePart(save->rect, save->clip);
        CHECK(shown.h == doctest::Approx(save->rect.h));  // whole, where the dialog opened
        CHECK(save->rect.y + save->rect.h <= 768.0f);
        h.press(keys::Escape);
        h.frames(2);
    };
    buttonInView("Irregularity…", "Record irregularity");
    h.press(keys::Escape);  // back to the search, emptied
    h.frames(2);
    REQUIRE(h.ui().checkInScreen().query().empty());
    h.type("dvo");
    h.press(keys::Enter);  // the check-in dialog: not now
    h.frames(2);
    h.press(keys::Escape);
    h.frames(2);
    buttonInView("No-show…", "Mark no-show");
}

TEST_CASE("layout: the proctor's lock warning and the locked screen") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            h.openFirstSession();
            f.now += test::UiHarness::kProctorIdle - 10s;
            h.frames(2);
            requireDialog(h, "Are you still there?");
        },
        "proctor's lock warning");
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture& f) {
            h.openFirstSession();
            f.now += test::UiHarness::kProctorIdle + 1s;
            h.frames(3);
            REQUIRE(h.ui().locked());
            REQUIRE(h.find("Unlock") != nullptr);
        },
        "locked screen");
}

TEST_CASE("layout: the damaged-database notice over an open session") {
    checkEverywhere(
        [](test::UiHarness& h, test::DemoFixture&) {
            h.openFirstSession();
            h.ui().showStoreDamaged("/var/lib/testsite-kiosk/kiosk.db");
            h.frames(2);
            REQUIRE(h.find("This machine cannot record anything more") != nullptr);
            // Every screen is put away: nothing left to record with.
            CHECK(h.find("Find a student (name or ID)") == nullptr);
            CHECK(h.find("Mark no-shows…") == nullptr);
            CHECK(h.ui().windowTitle().starts_with("This machine cannot record anything more"));
        },
        "damaged-database notice");
}

TEST_CASE("layout: the notice after a database file was removed, while saving and once saved") {
    for (bool inPlace : {true, false}) {
        checkEverywhere(
            [inPlace](test::UiHarness& h, test::DemoFixture&) {
                h.openFirstSession();
                h.ui().showStoreFileChanged("/var/lib/testsite-kiosk/kiosk.db-wal");
                h.frames(2);
                REQUIRE(h.find("This machine must start again before it records anything more") != nullptr);
                REQUIRE(h.find("Saving everything recorded on this machine…") != nullptr);
                CHECK(h.find("Find a student (name or ID)") == nullptr);
                CHECK(h.ui().windowTitle().starts_with("This machine must start again"));
                h.ui().storeSaved(inPlace ? "/var/lib/testsite-kiosk/kiosk.db" : "/var/lib/testsite-kiosk/kiosk-saved-2026-12-06T13-30-00.db",
                                  inPlace);
                h.frames(2);
                CHECK(h.find("Saving everything recorded on this machine…") == nullptr);
                if (inPlace) CHECK(h.find("Everything recorded on this machine is saved in the kiosk's database.") != nullptr);
                else CHECK(h.find("Everything recorded on this machine is saved in /var/lib/testsite-kiosk/kiosk-saved-2026-12-06T13-30-00.db.") != nullptr);
            },
            inPlace ? "file-removed notice, saved in place" : "file-removed notice, saved beside");
    }
}

TEST_CASE("layout holds in Spanish, and with the widest text spacing at 200% (WCAG 1.4.12)") {
    struct Case {
        int scale;
        std::string lang;
        float line, letter;
    };
    for (const Case& c : {Case{200, "es", 1.0f, 0.0f}, Case{300, "es", 1.0f, 0.0f}, Case{200, "en", 2.0f, 0.2f}, Case{200, "es", 2.0f, 0.2f},
                          Case{100, "en", 2.0f, 0.2f}}) {
        {
            const int scale = c.scale;
            const std::string& lang = c.lang;
            test::DemoFixture f;
            test::UiHarness h(f.store, f.clock(), kWidth, kHeight, nullptr, lang);
            h.ui().setTextScale(scale);
            h.ui().setTextSpacing(c.line, c.letter);
            h.frames(2);
            h.signInAsProctor();
            h.frames(1);
            auto check = [&](const std::string& what) {
                auto problems = test::layoutProblems(h.tree(), kWidth, scale);
                INFO(what << " in " << lang << " at " << scale << "% with line spacing " << c.line << " and letter spacing " << c.letter
                          << " em:\n" << test::joined(problems));
                CHECK(problems.empty());
                auto walk = test::tabWalkProblems(h, kWidth, kHeight);
                INFO(test::joined(walk));
                CHECK(walk.empty());
            };
            check("session picker");
            h.press(keys::F1);
            h.frames(2);
            check("settings panel");
            h.press(keys::F1);
            h.frames(2);
            REQUIRE(h.tabTo("WorkKeys Applied Math"));
            h.press(keys::Enter);
            h.frames(2);
            REQUIRE(h.ui().onCheckInScreen());
            h.type("zoe nun");
            h.press(keys::Enter);
            h.frames(2);
            check("check-in dialog");
            h.press(keys::Escape);
            h.frames(2);
            check("check-in screen");
        }
    }
}

TEST_CASE("a dialog taller than the screen scrolls to its focused button, and the student it is about is named beside it") {
    struct Case {
        int scale;
        bool late;  // the dialog's longest form: with the late reason
        bool scrolls;
    };
    for (Case c : {Case{100, false, false}, Case{300, true, true}}) {
        INFO("at " << c.scale << "%" << (c.late ? ", late" : ""));
        test::DemoFixture f;
        test::UiHarness h(f.store, f.clock(), kWidth, kHeight);
        h.ui().setTextScale(c.scale);
        h.frames(2);
        if (c.late) f.now += 10min;
        h.openFirstSession();
        h.type("zoe nun");
        h.press(keys::Enter);
        h.frames(3);
        requireDialog(h, "Check in");
        const auto* focused = h.focused();
        REQUIRE(focused != nullptr);
        CHECK(focused->label == "Check in");
        CHECK(test::whollyVisible(*focused, kWidth, kHeight));
        // Where the name can be read: a line of the dialog, wholly on the screen.
        int named = 0;
        for (const auto& n : h.tree().nodes()) {
            if (n.scope != focused->scope || n.label.find("S100001") == std::string::npos) continue;
            auto seen = test::visiblePart(n.rect, n.clip);
            if (seen.h >= n.rect.h - 1 && seen.w > 0 && seen.y >= 0 && seen.y + seen.h <= kHeight) ++named;
        }
        CHECK(named >= 1);
        // Said again beside the buttons only when the heading scrolled away.
        const bool reminder = std::any_of(h.tree().nodes().begin(), h.tree().nodes().end(),
                                          [](const accessibility::Node& n) { return n.label.starts_with("Student: "); });
        CHECK(reminder == c.scrolls);
        // Whole, wrapped if need be, never cut: it is compared with an ID card.
        if (c.scrolls) CHECK(h.find("Student: Ñúñez, Zoë · S100001") != nullptr);
    }
}
