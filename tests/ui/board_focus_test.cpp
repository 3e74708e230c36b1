// Headless UI tests of where focus and the record pane go on the proctor's
// session screen as a first-time proctor meets them: the actions in the
// record are always about the student named there, focus comes back to the
// search after a save, the board's header and the match count say what the
// board shows.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/ui/keys.hpp"
#include "ui/demo_fixture.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

using namespace kiosk;
namespace keys = kiosk::ui::keys;
using domain::EventKind;

namespace {

constexpr const char* kSearch = "Find a student (name or ID)";
constexpr const char* kZoe = "S100001";  // Zoë Ñúñez, on the math session's roster

std::string focusedLabel(const test::UiHarness& h) { return h.focused() ? h.focused()->label : std::string("(nothing)"); }

// Ms. Rivera checks a student of the math session in, outside the window.
void checkIn(test::DemoFixture& f, const std::string& studentId) {
    service::AttendanceService attendance(f.store, f.clock());
    service::CheckInDetails details;
    details.idVerifiedBy = "Ms. Rivera";
    REQUIRE(attendance.checkIn(test::kMathSession, studentId, "Ms. Rivera", details).saved);
}

// The session open with Zoë present and her record open beside the board.
void openZoesRecord(test::DemoFixture& f, test::UiHarness& h) {
    h.openFirstSession();  // opens the session: check-ins are taken from then on
    checkIn(f, kZoe);
    h.ui().refresh();
    h.frames(1);
    h.type("zoe nun");
    h.press(keys::Enter);  // present already: Enter opens her record
    h.frames(2);
    REQUIRE(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
    REQUIRE(h.find("Break out") != nullptr);
}

} // namespace

TEST_CASE("a search that no longer matches the open student closes the record: Tab and Enter from the field act on nobody unseen") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);
    h.press(keys::Escape);  // the search cleared: her record stays (nothing typed hides her)
    h.frames(2);
    REQUIRE(focusedLabel(h) == kSearch);
    CHECK(h.find("Break out") != nullptr);

    // An ID of a student who is not in this session: nothing matches.
    h.type("S100003");
    h.frames(1);
    CHECK(h.ui().checkInScreen().results().empty());
    CHECK(h.findContaining("Ñúñez, Zoë") == nullptr);
    CHECK(h.find("Break out") == nullptr);
    h.press(keys::Tab);
    h.frames(1);
    h.press(keys::Enter);
    h.frames(2);
    CHECK(f.events(kZoe).size() == 1);  // still only her check-in

    // Another student typed: her record is gone, his not yet opened.
    h.press(keys::Escape);
    h.frames(2);
    h.type("lukasz dvo");
    h.frames(1);
    REQUIRE(h.ui().checkInScreen().results().size() == 1);
    CHECK(h.findContaining("Ñúñez, Zoë") == nullptr);
}

TEST_CASE("typing more of the open student's own name keeps the record open") {
    test::DemoFixture f;
    test::UiHarness h(f.store, f.clock());
    openZoesRecord(f, h);
    h.press(keys::Escape);
    h.frames(2);
    h.type("ñú");
    h.frames(1);
    CHECK(h.find("Break out") != nullptr);
    CHECK(h.findContaining("Ñúñez, Zoë · S100001") != nullptr);
}
