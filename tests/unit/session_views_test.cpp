// The proctor screens' read model: built off the caller's thread, brought up
// to date by any connection's commit without being asked, and waited for
// after this window's own commit (docs/architecture.md, "Read models").
#include "kiosk/domain/local_date.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/session_views.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/roster_import.hpp"
#include "support/eventually.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"
#include "sync/site/site_store.hpp"

#include <doctest/doctest.h>

#include <algorithm>
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
    REQUIRE(views.outboxTally());
    CHECK(views.outboxTally()->waiting == 1);
    REQUIRE(first->outbox);
    CHECK(first->outbox->waiting == 0);
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

TEST_CASE("a session that does not exist gives a view with the reason, and watching nothing leaves the lists alone") {
    Site site;
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    views.watch(std::string("NO-SUCH-SESSION"));
    REQUIRE(eventually([&] { return views.latest() != nullptr; }));
    REQUIRE(views.latest()->error);
    CHECK(views.latest()->error->find("no such session") != std::string::npos);
    views.watch(std::nullopt);
    REQUIRE(eventually([&] { return !views.pending(); }));
    CHECK(views.latest()->sessionId.empty());
    CHECK_FALSE(views.latest()->error);
    CHECK(views.latest()->snapshot.roster.empty());
    CHECK_FALSE(views.latest()->sessions.empty());
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
    REQUIRE(views.outboxTally());  // the banner's counts come with the view here too
    CHECK(views.outboxTally()->waiting == 0);
}

TEST_CASE("every view carries what the other proctor screens list: the sessions, submitted tasks by name, the hub's line") {
    Site site;
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    REQUIRE(eventually([&] { return views.latest() != nullptr && !views.pending(); }));  // no session watched: the lists alone
    auto first = views.latest();
    CHECK(first->listError.empty());
    auto math = std::find_if(first->sessions.begin(), first->sessions.end(),
                             [](const service::SessionSummary& s) { return s.info.sessionId == kMathSession; });
    REQUIRE(math != first->sessions.end());
    CHECK(math->info.openedAt.has_value());
    CHECK(first->awaitingReview.empty());
    CHECK_FALSE(first->siteHub);

    // A lab machine's submission and the site link's report, each committed on another connection.
    auto other = store::Store::open(site.dir.path() / "kiosk.db");
    REQUIRE(other.ok());
    service::SecurityService security(*other, site.clock.clock());
    service::WorkService work(*other, site.clock.clock(), security);
    REQUIRE_FALSE(work.loadCatalogue(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json").has_value());
    auto draft = work.saveDraft("S100001", "", {"comm-customer", "2026-11-20", 45, "Riverbend Hardware", "Helped customers at the counter."});
    REQUIRE(draft.saved);
    REQUIRE(work.submit("S100001", draft.eventId).saved);
    edsync::site::LinkReport report;
    report.connected = true;
    report.updatedUnixMs = domain::systemNow().time_since_epoch().count();  // the worker dates it by the real clock
    REQUIRE(edsync::site::saveLinkReport(other->db(), report).ok());

    REQUIRE(eventually([&] { return views.latest()->awaitingReview.size() == 1 && views.latest()->siteHub.has_value(); }));
    auto second = views.latest();
    CHECK(second->awaitingReview[0].name == "Zoë Ñúñez");
    CHECK(second->awaitingReview[0].entry.studentId == "S100001");
    CHECK(second->siteHub->linked);
    CHECK(second->siteHub->connected);
    CHECK(first->awaitingReview.empty());  // the first view is unchanged
}

TEST_CASE("with nothing committed the hub's line still goes stale, and the rest of the view is kept, not read again") {
    Site site;
    edsync::site::LinkReport report;
    report.connected = true;
    // Fresh for one more second by the real clock (the worker's).
    report.updatedUnixMs = domain::systemNow().time_since_epoch().count() - edsync::site::kLinkReportStaleMs + 1000;
    REQUIRE(edsync::site::saveLinkReport(site.store.db(), report).ok());
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    views.watch(std::string(kMathSession));
    REQUIRE(eventually([&] { return views.latest() != nullptr && !views.pending(); }));
    auto first = views.latest();
    REQUIRE(first->siteHub);
    REQUIRE(first->snapshot.roster.size() == 5);

    // No commit anywhere: the report ages out by the clock alone.
    REQUIRE(eventually([&] { return views.latest()->siteHub && !views.latest()->siteHub->linked; }));
    auto later = views.latest();
    CHECK(later->version > first->version);
    CHECK_FALSE(later->siteHub->connected);
    CHECK(later->sessionId == first->sessionId);
    CHECK(later->snapshot.roster.size() == first->snapshot.roster.size());
    CHECK(later->sessions.size() == first->sessions.size());
    CHECK(first->siteHub->linked);  // the first view is unchanged
}

TEST_CASE("the link's report is a commit only when what it says changes, or at the heartbeat that keeps it fresh") {
    using edsync::site::kLinkReportHeartbeatMs;
    using edsync::site::linkReportWorthWriting;
    edsync::site::LinkReport last;
    last.connected = true;
    last.lastContactUnixMs = 1'795'000'000'000;
    last.leaseHolder = "kiosk-a";
    last.consumerPending = 3;
    last.updatedUnixMs = 1'795'000'000'000;
    CHECK(linkReportWorthWriting(std::nullopt, last, 0));  // the first

    auto next = last;
    next.lastContactUnixMs += 2'000;  // only the contact moved: every window would read its whole view for nothing
    next.updatedUnixMs += 2'000;
    CHECK_FALSE(linkReportWorthWriting(last, next, 2'000));
    CHECK(linkReportWorthWriting(last, next, kLinkReportHeartbeatMs));  // before a reader could call it stale
    CHECK(kLinkReportHeartbeatMs * 2 < edsync::site::kLinkReportStaleMs);
    CHECK(linkReportWorthWriting(last, next, -5));  // the clock went back: write

    auto changed = next;
    changed.connected = false;
    CHECK(linkReportWorthWriting(last, changed, 2'000));
    changed = next;
    changed.leaseHolder = "kiosk-b";
    CHECK(linkReportWorthWriting(last, changed, 2'000));
    changed = next;
    changed.holdsLease = true;
    CHECK(linkReportWorthWriting(last, changed, 2'000));
    changed = next;
    changed.consumerPending = 0;
    CHECK(linkReportWorthWriting(last, changed, 2'000));
    changed = next;
    changed.secondsBehind = 40;
    CHECK(linkReportWorthWriting(last, changed, 2'000));
    changed = next;
    changed.updatedUnixMs = 0;  // the link stopping: readers see it gone at once
    changed.connected = true;
    CHECK(linkReportWorthWriting(last, changed, 10));
}

TEST_CASE("a store the worker cannot open: nobody waits for a view that cannot come, and nothing is pending") {
    TempDir dir;
    service::SessionViews views(dir.path() / "missing" / "kiosk.db", std::nullopt, [] {});
    views.watch(std::string(kMathSession));
    REQUIRE(eventually([&] { return !views.pending(); }));
    // Were the wait not cut short, this would outlast the test's own time-out (300 s) and fail it.
    views.invalidate(std::chrono::minutes(10));
    CHECK(views.latest() == nullptr);
    CHECK_FALSE(views.pending());
}

TEST_CASE("while the State-sync screen is open its lists come with every view, dated the language's way, and once it is closed they are not read") {
    Site site;
    REQUIRE(site.door.checkIn(kMathSession, "S100001", kProctor, {}).saved);  // one record to go to the state
    service::SessionViews views(site.dir.path() / "kiosk.db", site.store.db().sealingKey(), [] {});
    REQUIRE(eventually([&] { return views.latest() != nullptr && !views.pending(); }));
    CHECK_FALSE(views.latest()->syncDateOrder);
    CHECK(views.latest()->waiting.empty());  // not read while the screen is closed

    views.watchSync(std::string("dmy"));
    REQUIRE(eventually([&] { return !views.pending() && views.latest()->syncDateOrder == std::optional<std::string>("dmy"); }));
    auto open = views.latest();
    REQUIRE(open->waiting.size() == 1);
    const std::string& who = open->waiting[0].who;
    CHECK(who.find("Ñúñez, Zoë (S100001)") != std::string::npos);
    const std::string isoDay = domain::formatUtc(site.clock.clock()()).substr(0, 10);
    CHECK(who.find(domain::formatLocalDate(isoDay, "dmy")) != std::string::npos);
    CHECK(who.find(isoDay) == std::string::npos);
    CHECK(open->failed.empty());

    views.watchSync(std::nullopt);
    REQUIRE(eventually([&] { return !views.pending() && !views.latest()->syncDateOrder; }));
    CHECK(views.latest()->waiting.empty());
}
