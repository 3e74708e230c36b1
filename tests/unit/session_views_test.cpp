// The check-in screen's read model: built off the caller's thread, brought up
// to date by any connection's commit without being asked, and waited for
// after this window's own commit (docs/architecture.md, "Read models").
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/session_views.hpp"
#include "kiosk/store/roster_import.hpp"
#include "support/eventually.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>

using namespace kiosk;
using namespace kiosk::test;

namespace {

domain::Presence presenceOf(const service::SessionView& view, const std::string& studentId) {
    for (const auto& row : view.snapshot.roster)
        if (row.student.studentUniqueId == studentId) return row.presence;
    FAIL("no such student in the view: " << studentId);
    return domain::Presence::Expected;
}

struct Site {
    TempDir dir;
    store::Store store = std::move(store::Store::open(dir.path() / "kiosk.db").value());
    ManualClock clock{atMinute(-10)};
    service::AttendanceService door{store, clock.clock()};
    Site() {
        REQUIRE(store::writeRoster(store.db(), smallRoster()).ok());
        REQUIRE(door.openSession(kMathSession, kProctor).saved);
        clock.setMinute(5);
    }
};

} // namespace

TEST_CASE("a session view is built on its own thread, and another connection's commit brings a new one unasked") {
    Site site;
    std::atomic<int> woken{0};
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [&] { ++woken; });
    CHECK(views.latest() == nullptr);
    views.watch(std::string(kMathSession));
    REQUIRE(eventually([&] { return views.latest() != nullptr; }));
    auto first = views.latest();
    CHECK_FALSE(first->error);
    CHECK(first->snapshot.roster.size() == 5);
    CHECK(first->stateCopies.size() == 5);
    CHECK(presenceOf(*first, "S100001") == domain::Presence::Expected);
    CHECK(woken.load() >= 1);

    // Another station's check-in, applied on another connection (the site link's, serve's): no one asks.
    auto other = store::Store::open(site.dir.path() / "kiosk.db");
    REQUIRE(other.ok());
    service::AttendanceService elsewhere(*other, site.clock.clock());
    REQUIRE(elsewhere.checkIn(kMathSession, "S100001", kProctor, {}).saved);
    REQUIRE(eventually([&] { return presenceOf(*views.latest(), "S100001") == domain::Presence::Present; }));
    auto second = views.latest();
    CHECK(second->version > first->version);
    CHECK(second->snapshot.counts.present == 1);
    // The banner's count comes with it, read off the caller's thread too.
    REQUIRE(views.outboxCounts());
    CHECK(views.outboxCounts()->pending == 1);
    REQUIRE(first->outbox);
    CHECK(first->outbox->pending == 0);
    // Immutable: the first view still says what it said.
    CHECK(presenceOf(*first, "S100001") == domain::Presence::Expected);
    // The roster's order and revision did not move with a status.
    CHECK(second->snapshot.rosterRevision == first->snapshot.rosterRevision);
    for (std::size_t i = 0; i < first->snapshot.roster.size(); ++i)
        CHECK(second->snapshot.roster[i].student.studentUniqueId == first->snapshot.roster[i].student.studentUniqueId);
}

TEST_CASE("after this window's own commit, invalidate waits for the view that shows it") {
    Site site;
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    views.watch(std::string(kMathSession));
    REQUIRE(eventually([&] { return views.latest() != nullptr && !views.pending(); }));
    REQUIRE(site.door.checkIn(kMathSession, "S100002", kProctor, {}).saved);
    views.invalidate(std::chrono::seconds(20));
    REQUIRE(views.latest());
    CHECK(presenceOf(*views.latest(), "S100002") == domain::Presence::Present);
}

TEST_CASE("a session that does not exist gives a view with the reason, and watching nothing stops the views") {
    Site site;
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    views.watch(std::string("NO-SUCH-SESSION"));
    REQUIRE(eventually([&] { return views.latest() != nullptr; }));
    REQUIRE(views.latest()->error);
    CHECK(views.latest()->error->find("no such session") != std::string::npos);
    views.watch(std::nullopt);
    CHECK_FALSE(views.pending());
}

TEST_CASE("built inline (a store in memory, the headless tests): the view is there as soon as it is asked for") {
    auto opened = store::Store::openInMemory();
    REQUIRE(opened.ok());
    REQUIRE(store::writeRoster(opened->db(), smallRoster()).ok());
    service::SessionQueries queries(*opened);
    service::SessionViews views(queries);
    views.watch(std::string(kMathSession));
    REQUIRE(views.latest());
    CHECK(views.latest()->snapshot.roster.size() == 5);
    CHECK_FALSE(views.pending());
    CHECK_FALSE(views.outboxCounts());  // counted by the caller, as before
}
