// Headless UI tests of the proctor's check-in screen: input is injected, and
// assertions read the accessibility tree and the store.
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/ui/keys.hpp"
#include "sync/outbox/outbox.hpp"
#include "ui/ui_harness.hpp"

#include <doctest/doctest.h>

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
    store::Clock clock() {
        return [this] { return now; };
    }
    std::vector<domain::AttendanceEvent> events(const std::string& student) {
        return store::eventsFor(store.db(), "RHS-2026-WK-AM-114", student).value();
    }
};

// Proctor name, then the first session, by keyboard alone.
void openFirstSession(test::UiHarness& h) {
    h.type("Ms. Rivera");
    REQUIRE(h.tabTo("WorkKeys Applied Math"));
    h.press(keys::Enter);
    h.frames(2);
    REQUIRE(h.ui().onCheckInScreen());
}

} // namespace

TEST_CASE("typing a name and pressing Enter checks the right student in") {
    Fixture f;
    test::UiHarness h(f.store, f.clock());
    openFirstSession(h);
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
