// Accessibility features of the real screens, driven headless: read-aloud
// from the tree (and through espeak-ng), the theme chooser, text size and
// spacing, the language switch, accommodation profiles, the idle warning,
// and truncated labels shown whole.
#include "accessibility/assets.hpp"
#include "accessibility/spoken_text.hpp"
#include "kiosk/domain/descriptors.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "kiosk/ui/text_fit.hpp"
#include "support/temp_dir.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/layout_checks.hpp"

#include <doctest/doctest.h>
#include <imgui.h>

#include <cstdio>

using namespace kiosk;
using namespace std::chrono_literals;
namespace keys = kiosk::ui::keys;
using accessibility::Role;

namespace {

// Keeps what the UI asked to be said, in order.
struct RecordingSpeech final : accessibility::SpeechSink {
    struct Said {
        accessibility::Utterance u;
        accessibility::Interrupt interrupt;
    };
    std::vector<Said> said;
    int stops = 0;
    void speak(accessibility::Utterance u, accessibility::Interrupt i) override { said.push_back({std::move(u), i}); }
    void stop() override { ++stops; }
};

accessibility::Strings strings(const std::string& lang) {
    auto [s, error] = accessibility::Strings::load(accessibility::findAssetsDir() / "strings", lang);
    REQUIRE(error.empty());
    return s;
}


std::vector<std::string> demoDescriptors(std::initializer_list<const char*> codes) {
    std::vector<std::string> out;
    for (const char* c : codes) out.push_back(std::string(store::kDemoAccommodationNs) + c);
    return out;
}

} // namespace

TEST_CASE("read-aloud: each focus change says exactly what the tree says about the focused control") {
    test::DemoFixture f;
    RecordingSpeech speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    auto en = strings("en");
    h.frames(2);
    CHECK(speech.said.empty());  // off by default
    h.press(keys::F5);           // read-aloud on: what has focus now is said
    h.frames(1);
    REQUIRE(speech.said.size() == 1);
    REQUIRE(h.focused() != nullptr);
    CHECK(speech.said.back().u.text == accessibility::describeNode(*h.focused(), en));
    CHECK(speech.said.back().u.text == "Proctor ID, text field, blank");
    h.signInAsProctor();
    // Typing is not a focus change: only Tab to the PIN and the move to the
    // first session after it are spoken.
    CHECK(speech.said.size() == 3);
    for (int i = 0; i < 6; ++i) {
        std::size_t before = speech.said.size();
        h.press(keys::Tab);
        h.frames(2);
        REQUIRE(h.focused() != nullptr);
        INFO("focused: " << h.focused()->label);
        CHECK(speech.said.size() == before + 1);  // once per change, not once per frame
        CHECK(speech.said.back().u.text == accessibility::describeNode(*h.focused(), en));
        CHECK(speech.said.back().u.language == "en");
        CHECK(speech.said.back().u.rate == h.ui().preferences().speechRate);
        CHECK(speech.said.back().interrupt == accessibility::Interrupt::Yes);
    }
    // A button says its role; a disabled one says it is unavailable.
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.frames(1);
    CHECK(speech.said.back().u.text.find(", button") != std::string::npos);

    // The rate is the reader's: "Speak faster" in the settings, by keyboard, and the next words use it.
    int rate = h.ui().preferences().speechRate;
    h.press(keys::F1);
    h.frames(2);
    REQUIRE(h.tabTo("Speak faster"));
    h.press(keys::Enter);
    h.frames(1);
    CHECK(h.ui().preferences().speechRate == rate + 25);
    REQUIRE(h.findContaining("Speech rate: " + std::to_string(rate + 25)) != nullptr);
    h.press(keys::Tab);
    h.frames(2);
    CHECK(speech.said.back().u.rate == rate + 25);
    h.press(keys::Escape);
    h.frames(2);

    // F7 stops speech; F5 again turns it off, and nothing more is said.
    h.press(keys::F7);
    CHECK(speech.stops == 1);
    h.press(keys::F5);
    std::size_t count = speech.said.size();
    h.press(keys::Tab);
    h.frames(2);
    CHECK(speech.said.size() == count);
}

TEST_CASE("read-aloud: a dialog is introduced by its title, and a saved action is announced after the focus") {
    test::DemoFixture f;
    RecordingSpeech speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    h.openFirstSession();
    h.press(keys::F5);
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE_FALSE(speech.said.empty());
    CHECK(speech.said.back().u.text == "Check in, dialog. Check in, button");
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(speech.said.size() >= 2);
    const auto& last = speech.said.back();
    CHECK(last.u.text.rfind("Saved: Zoë Ñúñez checked in at 14:00", 0) == 0);
    CHECK(last.interrupt == accessibility::Interrupt::No);  // it waits for the focus announcement
    CHECK(speech.said[speech.said.size() - 2].u.text == "Find a student (name or ID), text field, blank");
}

TEST_CASE("read-aloud: F6 reads the whole screen in reading order, even with read-aloud of focus off") {
    test::DemoFixture f;
    RecordingSpeech speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    h.openFirstSession();
    h.press(keys::F6);
    REQUIRE(speech.said.size() == 1);
    const std::string& all = speech.said.back().u.text;
    CHECK(all == accessibility::describeScreen(h.tree(), strings("en")));
    auto at = [&](const std::string& s) { return all.find(s); };
    REQUIRE(at("TestSite Kiosk, Riverbend High School") != std::string::npos);
    REQUIRE(at("WorkKeys Applied Math, Room 114, heading") != std::string::npos);
    REQUIRE(at("Find a student (name or ID), text field") != std::string::npos);
    REQUIRE(at("Sessions, button") != std::string::npos);
    CHECK(at("TestSite Kiosk") < at("WorkKeys Applied Math, Room 114"));
    CHECK(at("WorkKeys Applied Math, Room 114") < at("Find a student"));
    CHECK(at("Find a student") < at("Sessions, button"));
    // With a dialog open, only the dialog is read.
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::F6);
    const std::string& dialog = speech.said.back().u.text;
    CHECK(dialog.rfind("Check in, dialog.", 0) == 0);
    CHECK(dialog.find("Sessions, button") == std::string::npos);
}

TEST_CASE("read-aloud through espeak-ng: a focus change in the UI becomes speech, not silence") {
    test::DemoFixture f;
    accessibility::Speaker speaker(accessibility::SpeechOutput::Capture);
    REQUIRE(speaker.waitUntilIdle());
    INFO(speaker.error());
    REQUIRE(speaker.available());
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speaker);
    h.signInAsProctor();
    h.press(keys::F5);
    REQUIRE(speaker.waitUntilIdle());
    speaker.takeCaptured();
    h.press(keys::Tab);  // to the first session's button
    h.frames(2);
    REQUIRE(h.focused() != nullptr);
    REQUIRE(speaker.waitUntilIdle());
    auto samples = speaker.takeCaptured();
    int rate = speaker.sampleRate();
    auto level = accessibility::measure(samples, rate);
    CHECK(samples.size() > static_cast<std::size_t>(rate));  // a long label: more than a second
    CHECK(level.peak > 0.1);
    CHECK(level.voicedShare > 0.3);
    test::TempDir dir;
    REQUIRE(accessibility::writeWav(dir / "focus.wav", samples, rate));
    std::string cmd = "sox '" + (dir / "focus.wav").string() + "' -n stat 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    CHECK(pclose(p) == 0);
    CHECK(out.find("Maximum amplitude") != std::string::npos);
    CHECK(out.find("Maximum amplitude:     0.000000") == std::string::npos);
    // The Spanish interface speaks with a Spanish voice.
    h.press(keys::F8);
    h.frames(2);
    h.press(keys::Tab);
    h.frames(2);
    REQUIRE(speaker.waitUntilIdle());
    CHECK(speaker.lastVoiceLanguage().rfind("es", 0) == 0);
    CHECK(accessibility::measure(speaker.takeCaptured(), rate).peak > 0.1);
}

TEST_CASE("the theme chooser lists every theme, is reached with Tab, and applies at once everywhere") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    REQUIRE(h.tabTo("Display, speech and language"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().settingsOpen());
    // Focus lands on the current theme; every theme is offered by name.
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "Standard");
    CHECK(h.focused()->role == Role::RadioButton);
    CHECK(h.focused()->checked);
    for (const char* name : {"Standard", "High contrast, light on dark", "High contrast, dark on light", "Black on rose", "Yellow on blue",
                             "Grey on grey", "Reverse contrast"}) {
        const auto* n = h.find(name);
        INFO(name);
        REQUIRE(n != nullptr);
        CHECK(n->role == Role::RadioButton);
    }
    REQUIRE(h.tabTo("Yellow on blue"));
    h.press(keys::Space);
    h.frames(1);
    CHECK(h.ui().preferences().themeId == "yellow-on-blue");
    CHECK(h.find("Yellow on blue")->checked);
    CHECK_FALSE(h.find("Standard")->checked);
    ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    auto expected = h.ui().themes()[h.ui().themeIndex()].colour("background");
    CHECK(bg.x == doctest::Approx(expected.r / 255.0));
    CHECK(bg.z == doctest::Approx(expected.b / 255.0));
    // Escape closes the panel and puts focus back on the button that opened it.
    h.press(keys::Escape);
    h.frames(2);
    CHECK_FALSE(h.ui().settingsOpen());
    CHECK(h.focused() != nullptr);
    CHECK(h.focused()->label == "Display, speech and language… (F1)");
    // The choice holds on the next screen; F2 cycles from it.
    REQUIRE(h.tabTo("Proctor ID"));
    h.openFirstSession();
    CHECK(h.ui().preferences().themeId == "yellow-on-blue");
    h.press(keys::F2);
    CHECK(h.ui().preferences().themeId != "yellow-on-blue");
}

TEST_CASE("text size and spacing: chosen by keyboard, fonts rebuilt at the new size, layout follows") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    auto buttonHeight = [&] {
        const auto* b = h.find("Display, speech and language… (F1)");
        REQUIRE(b != nullptr);
        return b->rect.h;
    };
    CHECK(buttonHeight() == doctest::Approx(44.0f));  // 20 px text + 2 x 12 px padding
    CHECK(ImGui::GetFontSize() == doctest::Approx(20.0f));
    h.press(keys::F1);
    h.frames(2);
    REQUIRE(h.tabTo("Text 200%"));
    h.press(keys::Space);
    h.frames(2);
    CHECK(h.ui().textSettings().scalePercent == 200);
    CHECK_FALSE(h.ui().fontsDirty());  // rebuilt between frames...
    CHECK(ImGui::GetFontSize() == doctest::Approx(40.0f));  // ...at the new pixel size, not stretched
    CHECK(ImGui::GetIO().FontGlobalScale == 1.0f);
    CHECK(buttonHeight() == doctest::Approx(88.0f));

    // Line spacing 2: every line is twice as tall, glyphs unchanged.
    REQUIRE(h.tabTo("Line spacing 2"));
    h.press(keys::Space);
    h.frames(2);
    CHECK(h.ui().textSettings().lineSpacing == 2.0f);
    CHECK(ImGui::GetFontSize() == doctest::Approx(80.0f));
    CHECK(buttonHeight() == doctest::Approx(128.0f));
    // Letter spacing: the same words take more room.
    const auto* label = h.find("Letter spacing wide (0.12 em)");
    REQUIRE(label != nullptr);
    float before = label->rect.w;
    REQUIRE(h.tabTo("Letter spacing wide (0.12 em)"));
    h.press(keys::Space);
    h.frames(2);
    CHECK(h.ui().textSettings().letterSpacing == doctest::Approx(0.12f));
    CHECK(h.find("Letter spacing wide (0.12 em)")->rect.w > before * 1.05f);
    // OpenDyslexic on request: the atlas is rebuilt from that face.
    CHECK(std::string(ImGui::GetIO().Fonts->Fonts[0]->GetDebugName()).find("AtkinsonHyperlegible") != std::string::npos);
    REQUIRE(h.tabTo("OpenDyslexic"));
    h.press(keys::Space);
    h.frames(2);
    CHECK(h.ui().textSettings().face == accessibility::FontFace::OpenDyslexic);
    CHECK(std::string(ImGui::GetIO().Fonts->Fonts[0]->GetDebugName()).find("OpenDyslexic") != std::string::npos);
    // F3/F4 step the size on any screen, and stop at 100% and 300%.
    for (int i = 0; i < 10; ++i) h.press(keys::F4);
    CHECK(h.ui().textSettings().scalePercent == 300);
    for (int i = 0; i < 10; ++i) h.press(keys::F3);
    CHECK(h.ui().textSettings().scalePercent == 100);
    const auto* smaller = h.find("Text smaller (F3)");
    REQUIRE(smaller != nullptr);
    CHECK(smaller->disabled);
}

TEST_CASE("the language switch changes every word at once and keeps focus in its place") {
    test::DemoFixture f;
    RecordingSpeech speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    h.signInAsProctor();
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    REQUIRE(h.find("Choose a testing session") != nullptr);
    h.press(keys::F8);
    h.frames(3);
    CHECK(h.ui().language() == "es");
    CHECK(h.find("Choose a testing session") == nullptr);
    CHECK(h.find("Elija una sesión de examen") != nullptr);
    CHECK(h.find("Cerrar sesión de supervisor") != nullptr);
    CHECK(h.findContaining("Por enviar al estado") != nullptr);
    CHECK(h.find("English (F8)") != nullptr);  // the way back, in its own language
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label.rfind("WorkKeys Applied Math", 0) == 0);
    CHECK(h.focused()->label.find("empieza") != std::string::npos);
    // Spoken words follow: role names in Spanish, a Spanish voice asked for.
    h.press(keys::F5);
    h.press(keys::Tab);
    h.frames(2);
    REQUIRE_FALSE(speech.said.empty());
    CHECK(speech.said.back().u.language == "es");
    CHECK(speech.said.back().u.text.find("botón") != std::string::npos);
    // The dialogs too, on the next screen.
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onCheckInScreen());
    CHECK(h.find("Buscar estudiante (nombre o ID)") != nullptr);
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.find("Registrar entrada") != nullptr);
    // Switching while the dialog is open renames it in place.
    h.press(keys::F8);
    h.frames(3);
    const auto* title = h.find("Check in");
    REQUIRE(title != nullptr);
    CHECK(h.findContaining("How was the student's ID verified?") != nullptr);
}

TEST_CASE("a student's accommodations apply at sign-in and are removed at sign-out") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    auto site = h.ui().siteDefault();
    CHECK(site.themeId == "default");
    CHECK(site.text.scalePercent == 100);
    CHECK(site.language == "en");
    auto profile = accessibility::profileFromDescriptors(
        demoDescriptors({"Large print", "Color contrast", "Read aloud", "Spanish directions", "Extended time 1.5x", "Breaks as needed"}));
    h.ui().applyProfile(profile);
    h.frames(2);
    const auto& p = h.ui().preferences();
    CHECK(p.text.scalePercent == 200);
    CHECK(p.themeId == "high-contrast-dark");
    CHECK(p.readAloud);
    CHECK(p.language == "es");
    CHECK(h.ui().timeStretch() == 1.5);
    CHECK(ImGui::GetFontSize() == doctest::Approx(40.0f));
    CHECK(h.find("Inicio de sesión del supervisor") != nullptr);
    CHECK(h.ui().themes()[h.ui().themeIndex()].id == "high-contrast-dark");

    h.ui().resetToSiteDefault();
    h.frames(2);
    CHECK(h.ui().preferences() == site);
    CHECK(h.ui().timeStretch() == 1.0);
    CHECK(ImGui::GetFontSize() == doctest::Approx(20.0f));
    CHECK(h.find("Proctor sign-in") != nullptr);

    // A site whose default is already large keeps it: a profile never shrinks text.
    auto bigSite = site;
    bigSite.text.scalePercent = 250;
    bigSite.themeId = "yellow-on-blue";
    h.ui().setSiteDefault(bigSite);
    h.ui().applyProfile(accessibility::profileFromDescriptors(demoDescriptors({"Large print"})));
    CHECK(h.ui().preferences().text.scalePercent == 250);
    CHECK(h.ui().preferences().themeId == "yellow-on-blue");
    h.ui().resetToSiteDefault();
    CHECK(h.ui().preferences() == bigSite);
}

TEST_CASE("idle warning: shown at least 20 s ahead, extended by keyboard, stretched by the student's multiplier") {
    test::DemoFixture f;
    RecordingSpeech speech;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speech);
    h.ui().applyProfile(accessibility::profileFromDescriptors(demoDescriptors({"Extended time 2x", "Read aloud"})));
    int expired = 0;
    h.ui().watchIdle({.timeout = 1min, .warning = 20s}, [&] { ++expired; });
    h.frames(1);
    const auto* timer = h.ui().idleTimer();
    REQUIRE(timer != nullptr);
    CHECK(timer->timeout() == accessibility::Millis(2min));  // stretched by 2
    CHECK(timer->warningLead() == accessibility::Millis(40s));

    // Input before the warning restarts the time-out.
    f.now += 70s;
    h.type("M");
    f.now += 75s;  // 75 s since the input: 45 s left, no warning yet
    h.frames(2);
    CHECK(h.find("Are you still there?") == nullptr);
    f.now += 10s;  // 35 s left
    h.frames(2);

    const auto* title = h.find("Are you still there?");
    REQUIRE(title != nullptr);
    CHECK(title->role == Role::Dialog);
    CHECK(h.findContaining("ends in 35 seconds") != nullptr);
    REQUIRE(h.focused() != nullptr);
    CHECK(h.focused()->label == "I need more time");
    // The warning is heard too: its title and its alert, then the focused button.
    CHECK(speech.said.back().u.text ==
          "Are you still there?, dialog. For your privacy, this session ends in 35 seconds unless you continue., alert. I need more time, button");
    // The rest of the screen is out of Tab's reach while the warning is up.
    h.press(keys::Tab);
    h.frames(1);
    CHECK(h.focused()->label == "I need more time");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.find("Are you still there?") == nullptr);
    CHECK(h.ui().idleTimer()->extensionsUsed() == 1);
    CHECK(h.ui().idleTimer()->remaining(accessibility::Millis(std::chrono::duration_cast<std::chrono::milliseconds>(f.now.time_since_epoch()))) ==
          accessibility::Millis(2min));
    CHECK(expired == 0);

    // Ignored, it runs out: the student's settings go, and the screen is told.
    f.now += 100s;
    h.frames(2);
    REQUIRE(h.find("Are you still there?") != nullptr);
    f.now += 21s;
    h.frames(2);
    CHECK(expired == 1);
    CHECK(h.ui().idleTimer() == nullptr);
    CHECK(h.find("Are you still there?") == nullptr);
    CHECK(h.ui().preferences() == h.ui().siteDefault());
}

TEST_CASE("a row cut to its column keeps the ID whole and shows where the name was cut") {
    // One unit per code point: what a monospaced font would measure.
    ui::MeasureText perCodePoint = [](std::string_view t) {
        float n = 0;
        for (unsigned char c : t) n += (c & 0xC0) != 0x80 ? 1.0f : 0.0f;
        return n;
    };
    const std::string row = "Ashworth-P\u00e9rez, Chlo\u00e9 \u00b7 S100245";  // 31 code points
    CHECK(ui::fitToWidth(row, 31, perCodePoint) == row);
    CHECK(ui::fitToWidth(row, 30, perCodePoint) == "Ashworth-P\u00e9rez, Chl\u2026 \u00b7 S100245");
    CHECK(ui::fitToWidth(row, 20, perCodePoint) == "Ashworth-\u2026 \u00b7 S100245");
    // Never a space before the mark: "Ashworth-Pérez, " is cut to the comma.
    CHECK(ui::fitToWidth(row, 27, perCodePoint) == "Ashworth-P\u00e9rez,\u2026 \u00b7 S100245");
    CHECK(ui::fitToWidth(row, 11, perCodePoint) == "\u2026 \u00b7 S100245");
    // Too narrow even for the ID: left as it is (clipped, read whole on focus).
    CHECK(ui::fitToWidth(row, 5, perCodePoint) == row);
    // Without " · " the end is cut; never inside a code point.
    CHECK(ui::fitToWidth("\u00d1\u00fa\u00f1ez Zo\u00eb", 5, perCodePoint) == "\u00d1\u00fa\u00f1e\u2026");
    CHECK(ui::fitToWidth("", 0, perCodePoint).empty());
    // Bytes that are not UTF-8 (never from an import, which refuses them) still end up within the room.
    CHECK(perCodePoint(ui::fitToWidth("\x80\x80\x80" "abcdef \u00b7 S1", 8, perCodePoint)) <= 8);
}

TEST_CASE("a label too long to fit is marked truncated and shown whole while it has focus") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.ui().setTextScale(300);
    h.frames(2);
    h.openFirstSession();
    // A walk-in whose surname is one unbreakable 70-letter word.
    const std::string surname = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswe";
    REQUIRE(h.tabTo("Walk-in (not on roster)…"));
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.focused()->label == "Student ID");
    h.type("W900001");
    REQUIRE(h.tabTo("First name"));
    h.type("Hubert");
    REQUIRE(h.tabTo("Last name"));
    h.type(surname);
    h.press(keys::Enter);  // added; the check-in dialog follows
    h.frames(2);
    h.press(keys::Escape);
    h.frames(2);
    if (!h.ui().checkInScreen().query().empty()) h.press(keys::Escape);
    h.type("W900001");
    h.frames(1);
    REQUIRE(h.tabTo(surname));
    h.frames(1);
    const auto* row = h.focused();
    REQUIRE(row != nullptr);
    CHECK(row->role == Role::ListItem);
    CHECK(row->truncated);
    CHECK(row->fullTextOnFocus);
    // The tooltip holds the whole label, inside the screen.
    const accessibility::Node* tip = nullptr;
    for (const auto& n : h.tree().nodes())
        if (n.scope == "tooltip") tip = &n;
    REQUIRE(tip != nullptr);
    CHECK(tip->label.find(surname) != std::string::npos);
    CHECK(tip->rect.x >= 0);
    CHECK(tip->rect.x + tip->rect.w <= 1280);
    // And the layout rules accept it: truncated, but with a way to read it.
    auto problems = test::layoutProblems(h.tree(), 1280, 300);
    INFO(test::joined(problems));
    for (const auto& p : problems) CHECK(p.find("truncated") == std::string::npos);
}

TEST_CASE("the proctor sees which scheduled accommodations the kiosk applies by itself") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    h.openFirstSession();
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    h.press(keys::Escape);  // close the check-in dialog: her record stays open
    h.frames(2);
    auto registration = store::findRegistration(f.store.db(), test::kMathSession, "S100001").value();
    REQUIRE(registration.has_value());
    auto profile = accessibility::profileFromDescriptors(registration->scheduledAccommodations);
    auto en = strings("en");
    bool anyAutomatic = false;
    for (const auto& term : profile.pnpTerms) {
        if (term == "environment" || term == "keyword-translation") continue;
        anyAutomatic = true;
        const auto* line = h.findContaining("The kiosk applies these by itself when the student signs in:");
        REQUIRE(line != nullptr);
        CHECK(line->label.find(en.get("pnp." + term)) != std::string::npos);
    }
    CHECK(anyAutomatic == (h.findContaining("The kiosk applies these by itself") != nullptr));
}

TEST_CASE("the window title names the open dialog and the screen, never a student (WCAG 2.4.2)") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    CHECK(h.ui().windowTitle() == "Proctor sign-in — TestSite Kiosk");
    h.signInAsProctor();
    CHECK(h.ui().windowTitle() == "Choose a testing session — TestSite Kiosk");
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onCheckInScreen());
    std::string screen = "Check-in: WorkKeys Applied Math — TestSite Kiosk";
    CHECK(h.ui().windowTitle() == screen);
    h.type("zoe nun");
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.ui().windowTitle() == "Check in — " + screen);
    CHECK(h.ui().windowTitle().find("Zo") == std::string::npos);
    h.press(keys::Escape);
    h.frames(2);
    CHECK(h.ui().windowTitle() == screen);
    h.press(keys::F8);  // the title follows the language
    h.frames(2);
    CHECK(h.ui().windowTitle() == "Registro de entrada: WorkKeys Applied Math — TestSite Kiosk");
}

TEST_CASE("read-aloud without a sound device says so on the student's screen and on the proctor's") {
    // The speaker a machine without /dev/snd has: it reports instead of playing.
    struct NoDevice final : accessibility::SpeechSink {
        int spoken = 0;
        void speak(accessibility::Utterance, accessibility::Interrupt) override { ++spoken; }
        void stop() override {}
        accessibility::SpeechStatus status() const override {
            return {accessibility::SpeechProblem::NoDevice, "no sound device: no ALSA playback device, and no PulseAudio or PipeWire"};
        }
    } speaker;
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1280, 800, &speaker);
    REQUIRE(h.tabTo("Student sign-in"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onStudentScreen());
    CHECK(h.findContaining("Read-aloud is on, but nothing can be heard") == nullptr);  // off: nothing to say
    h.press(keys::F5);  // the student turns read-aloud on
    h.frames(2);
    const auto* alert = h.findContaining("Read-aloud is on, but nothing can be heard: the machine has no sound device");
    REQUIRE(alert != nullptr);
    CHECK(alert->role == Role::Alert);
    h.press(keys::F5);
    h.frames(2);
    REQUIRE(h.tabTo("Proctor screens"));
    h.press(keys::Enter);
    h.frames(2);
    // The proctor sees it too, read-aloud on or not.
    const auto* proctor = h.findContaining("Read-aloud does not work on this machine: the machine has no sound device");
    REQUIRE(proctor != nullptr);
    CHECK(proctor->role == Role::Alert);
    h.ui().setLanguage("es");
    h.frames(2);
    CHECK(h.findContaining("La lectura en voz alta no funciona en este equipo: el equipo no tiene dispositivo de sonido") != nullptr);
}

TEST_CASE("in Spanish, a student's scheduled accommodations are named in Spanish at check-in") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock(), 1280, 800);
    h.openFirstSession();
    auto roster = store::rosterForSession(f.store.db(), test::kMathSession).value();
    auto withAccommodation = std::find_if(roster.begin(), roster.end(), [](const domain::RosterRow& r) { return !r.scheduledAccommodations.empty(); });
    REQUIRE(withAccommodation != roster.end());
    const std::string code(domain::descriptorCodeValue(withAccommodation->scheduledAccommodations.front()));
    auto es = accessibility::Strings::load(accessibility::findAssetsDir() / "strings", "es").first;
    REQUIRE(es.has("accommodation." + code));
    const std::string spanish = es.get("accommodation." + code);
    REQUIRE(spanish != code);
    h.press(keys::F8);
    h.frames(2);
    REQUIRE(h.ui().language() == "es");
    // The check-in dialog lists what is scheduled for the student.
    h.type(withAccommodation->student.studentUniqueId);
    h.press(keys::Enter);
    h.frames(2);
    CHECK(h.findContaining(spanish) != nullptr);
}
