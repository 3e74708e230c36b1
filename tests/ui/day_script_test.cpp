// The key scripts the real-window end-to-end test types (tests/e2e/day/*.keys)
// replayed headless against the same screens: every `focus` line is checked
// against the accessibility tree and every `title` line against the window
// title, so the scripts stay true as the screens change, and a wrong Tab count
// is reported with its line and step here rather than as a stuck window there.
// The store is then checked the way the real-window test checks it.
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "ui/day_script.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace kiosk;
using namespace std::chrono_literals;
using domain::EventKind;

namespace {

const std::filesystem::path kDayDir = KIOSK_E2E_DAY_DIR;
constexpr const char* kSession = "E2E-WK-AM-114";

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The site the e2e test sets up with testsite-kioskctl: the roster (its
// session started 45 minutes ago), proctor P001, student PINs.
struct Site {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    store::Store store = std::move(store::Store::openInMemory().value());
    Site() {
        std::string roster = readFile(kDayDir / "roster.json");
        test::fillRosterTemplate(roster, now - 45min);
        auto report = store::importRosterText(store, roster);
        REQUIRE_MESSAGE(report.ok(), report.fileError);
        REQUIRE_MESSAGE(report.problems.empty(), report.problems.front().where << ": " << report.problems.front().message);
        REQUIRE(report.registrations == 30);
        service::SecurityService security(store, clock());
        REQUIRE(security.setProctor("P001", "Ms. Rivera", "2468").saved);
        REQUIRE(security.setSecondFactor(service::SecondFactor::Pin).ok());
        REQUIRE(security.setStudentPin("S100001", "4321").saved);
    }
    domain::Clock clock() {
        return [this] { return now; };
    }
};

std::string focusedLabel(const test::UiHarness& h) { return h.focused() ? h.focused()->label : std::string("(nothing)"); }

int keyCode(const std::string& name) {
    namespace keys = ui::keys;
    if (name == "Return") return keys::Enter;
    if (name == "Tab") return keys::Tab;
    if (name == "Escape") return keys::Escape;
    if (name == "space") return keys::Space;
    if (name == "Down") return keys::Down;
    if (name == "Up") return keys::Up;
    if (name == "F10") return keys::F10;
    return -1;
}

// Replays one script; a mismatch fails with the line, its step, and what the
// screen showed instead (and the next few Tab stops, to fix a count).
void replay(test::UiHarness& h, const std::filesystem::path& file) {
    auto script = test::parseDayScript(readFile(file));
    REQUIRE_MESSAGE(script.error.empty(), file.filename().string() << ": " << script.error);
    REQUIRE(!script.lines.empty());
    std::string step = "(before the first step)";
    for (const auto& line : script.lines) {
        std::string where = file.filename().string() + ":" + std::to_string(line.number) + " (step: " + step + ")";
        switch (line.op) {
        case test::DayOp::Step: step = line.text; break;
        case test::DayOp::Type:
            h.type(line.text);
            h.frames(3);
            break;
        case test::DayOp::Key: {
            bool shift = line.text.rfind("shift+", 0) == 0;
            int code = keyCode(shift ? line.text.substr(6) : line.text);
            REQUIRE_MESSAGE(code >= 0, where << ": unknown key " << line.text);
            for (int i = 0; i < line.count; ++i) {
                h.press(code, shift);
                h.frames(3);  // the real kiosk draws settle frames after each key
            }
            break;
        }
        case test::DayOp::Title: {
            std::string title = h.ui().windowTitle();
            REQUIRE_MESSAGE(title.rfind(line.text, 0) == 0, where << ": the window title is \"" << title << "\", expected \"" << line.text << "…\"");
            break;
        }
        case test::DayOp::Focus: {
            std::string label = focusedLabel(h);
            if (label.rfind(line.text, 0) != 0) {
                std::string next = "\n  (every control now:";
                for (const auto& n : h.tree().nodes())
                    if (n.focusable) next += " [" + n.label + (n.disabled ? " (disabled)" : "") + (n.tabStop ? "" : " (no tab stop)") + "]";
                next += ")";
                for (int i = 0; i < 8; ++i) {
                    h.press(ui::keys::Tab);
                    h.frames(1);
                    next += "\n  Tab " + std::to_string(i + 1) + ": " + focusedLabel(h);
                }
                FAIL(where << ": focus is on \"" << label << "\", expected \"" << line.text << "\"; the next Tab stops:" << next);
            }
            break;
        }
        case test::DayOp::Shot: break;  // screenshots belong to the real window
        }
    }
}

std::vector<EventKind> kinds(store::Store& s, const std::string& student) {
    std::vector<EventKind> out;
    auto events = store::eventsFor(s.db(), kSession, student).value();  // a copy: the Result is a temporary
    for (const auto& e : events) out.push_back(e.kind);
    return out;
}

bool audited(store::Store& s, const std::string& action) {
    auto all = store::recentAudit(s.db(), 1000).value();
    return std::any_of(all.begin(), all.end(), [&](const auto& e) { return e.action == action; });
}

} // namespace

TEST_CASE("the end-to-end key scripts do what they say, control by control") {
    Site site;
    test::UiHarness h(site.store, site.clock());

    replay(h, kDayDir / "proctor.keys");
    CHECK(kinds(site.store, "S100001") == std::vector<EventKind>{EventKind::CheckedIn, EventKind::Irregularity, EventKind::CheckedOut});
    auto zoe = store::eventsFor(site.store.db(), kSession, "S100001").value();
    REQUIRE(zoe.size() == 3);
    auto late = site.store.db().prepare("SELECT late FROM attendance WHERE session_id = ?1 AND student_unique_id = ?2;").value();
    late.bind(1, kSession).bind(2, "S100001");
    REQUIRE(late.step().value());
    CHECK(late.getInt(0) == 1);  // 45 minutes after the start
    CHECK(zoe[1].description == "Fire drill at 9:10; testing paused eleven minutes");
    CHECK(kinds(site.store, "S100002") == std::vector<EventKind>{EventKind::NoShow});
    CHECK(kinds(site.store, "S100003") == std::vector<EventKind>{EventKind::NoShow});
    // The 27 others typed by name came in and left with "Check out everyone present…".
    for (int i = 4; i <= 30; ++i) {
        std::string id = "S1000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
        const std::vector<EventKind> cameAndLeft{EventKind::CheckedIn, EventKind::CheckedOut};
        CHECK_MESSAGE(kinds(site.store, id) == cameAndLeft, id);
    }
    auto session = store::findSession(site.store.db(), kSession).value();
    REQUIRE(session.has_value());
    CHECK(session->signedOffBy == "Ms. Rivera");
    CHECK(audited(site.store, "proctor.sign_out"));

    replay(h, kDayDir / "student.keys");
    service::SecurityService security(site.store, site.clock());
    service::WorkService work(site.store, site.clock(), security);
    auto entries = work.entries("S100001").value();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].status == domain::EntryStatus::Submitted);
    CHECK(entries[0].minutes == 45);
    CHECK(entries[0].place == "Riverbend Hardware");
    CHECK(audited(site.store, "student.sign_in"));
    CHECK(audited(site.store, "work.submitted"));
    CHECK(audited(site.store, "student.sign_out"));
    CHECK(h.findContaining("Riverbend") == nullptr);  // nothing of her is left on the screen
    CHECK(h.ui().preferences().themeId == h.ui().siteDefault().themeId);
}

TEST_CASE("a day script with an unknown instruction or a bad count is refused with its line") {
    auto bad = test::parseDayScript("step one\nclick 10 20\n");
    CHECK(bad.error == "line 2: unknown instruction \"click\"");
    auto count = test::parseDayScript("key Tab x0\n");
    CHECK(count.error == "line 1: a key is pressed 1 to 50 times, not \"x0\"");
    auto ok = test::parseDayScript("# comment\n\nkey Tab x3\ntype a b  c\n");
    REQUIRE(ok.error.empty());
    REQUIRE(ok.lines.size() == 2);
    CHECK(ok.lines[0].count == 3);
    CHECK(ok.lines[0].number == 3);
    CHECK(ok.lines[1].text == "a b  c");
}
