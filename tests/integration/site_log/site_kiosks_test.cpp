// Two door stations of one site joined by a real nats-server (TLS, the
// password derived from the site key), through the kiosk's own wiring:
// facts committed on one station reach the other, "Mark no-shows" never
// marks a student checked in elsewhere, and both end with the same records
// for the state; once with the hub up, once with the hub down all session.
#include "kiosk/app/site_wiring.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/nats_hub.hpp"
#include "support/temp_dir.hpp"

#include "site_test_util.hpp"

#include <sodium.h>

#include <fstream>
#include <map>

using namespace kiosk;
using kiosk::test::kMathSession;

namespace {

constexpr const char* kSite = "255901001";

app::SiteKey siteKey() { return app::deriveSiteKey(kSite, "client-key", "client-secret"); }

struct Station {
    std::filesystem::path file;
    test::ManualClock clock;
    store::Store store;
    service::AttendanceService attendance{store, clock.clock()};
    app::SiteSetup site;

    Station(const std::filesystem::path& dir, const app::KioskConfig& config)
        : file(dir / "kiosk.db"), store(std::move(store::Store::open(dir / "kiosk.db").value())) {
        REQUIRE(store.setSite(kSite, "Riverbend High School").ok());
        REQUIRE(store::writeRoster(store.db(), test::smallRoster()).ok());
        app::publishToSite(store);
        site = app::makeSiteLink(config, file, store.kioskId());
        REQUIRE_MESSAGE(site.link, site.error);
        attendance.setOnCommitted([this] { site.link->notify(); });
        site.link->setWantLease(true);
        site.link->start();
        clock.setMinute(-10);
    }
    std::string presenceOf(const std::string& student) {
        auto stmt = store.db().prepare("SELECT presence FROM attendance WHERE session_id = ?1 AND student_unique_id = ?2;");
        REQUIRE(stmt.ok());
        stmt->bind(1, kMathSession).bind(2, student);
        auto row = stmt->step();
        REQUIRE(row.ok());
        return *row ? stmt->getText(0) : std::string("expected");
    }
    std::map<std::string, std::string> outboxBodies() {
        std::map<std::string, std::string> out;
        auto stmt = store.db().prepare("SELECT natural_key, body FROM outbox;");
        REQUIRE(stmt.ok());
        while (stmt->step().value_or(false)) out[stmt->getText(0)] = stmt->getText(1);
        return out;
    }
};

struct Site {
    kiosk::test::TempDir dir;
    test::NatsHub hub;
    app::KioskConfig config;

    Site() : hub(dir.path() / "hub", {true, app::kHubUser, app::hubPassword(siteKey())}) {
        REQUIRE(sodium_init() >= 0);
        std::filesystem::path keyFile = dir.path() / "site.key";
        {
            std::ofstream out(keyFile);
            out << app::formatSiteKey(siteKey()) << "\n";
        }
        std::filesystem::permissions(keyFile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        config.site = app::SiteConfig{kSite, "Riverbend High School", keyFile};
        config.source = dir.path() / "kiosk.toml";
    }
    void configureHub() { config.hub = app::HubConfig{{hub.url()}, hub.caFile()}; }
};

bool converged(Station& x, Station& y) {
    auto a = x.outboxBodies();
    return a.size() == 5 && a == y.outboxBodies();
}

// Both stations open the session; X checks in A and B, Y checks in C.
void openAndCheckIn(Station& x, Station& y) {
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(y.attendance.openSession(kMathSession, "Mr. Okafor").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100002", "Ms. Rivera", {}).saved);
    REQUIRE(y.attendance.checkIn(kMathSession, "S100003", "Mr. Okafor", {}).saved);
}

void checkRoom(Station& s) {
    CHECK(s.presenceOf("S100001") == "present");
    CHECK(s.presenceOf("S100002") == "present");
    CHECK(s.presenceOf("S100003") == "present");
    CHECK(s.presenceOf("S100004") == "no_show");
    CHECK(s.presenceOf("S100005") == "no_show");
}

} // namespace

TEST_CASE("two door stations with the hub up: each sees the other's check-ins and no-shows spare them") {
    if (test::natsServerPath().empty()) FAIL("nats-server is not installed (packaging/install-deps.sh installs it)");
    Site site;
    REQUIRE_MESSAGE(site.hub.start(), site.hub.error());
    site.configureHub();
    std::filesystem::create_directories(site.dir.path() / "x");
    std::filesystem::create_directories(site.dir.path() / "y");
    Station x(site.dir.path() / "x", site.config);
    Station y(site.dir.path() / "y", site.config);

    openAndCheckIn(x, y);
    REQUIRE(site_test::waitUntil([&] { return y.presenceOf("S100002") == "present"; }));
    y.clock.setMinute(31);
    CHECK(y.attendance.markNoShowsAtCutoff(kMathSession, "Mr. Okafor").saved == 2);
    REQUIRE(site_test::waitUntil([&] { return converged(x, y); }));
    checkRoom(x);
    checkRoom(y);
    // One uploader for the site.
    REQUIRE(site_test::waitUntil([&] { return x.site.link->holdsLease() != y.site.link->holdsLease(); }));
}

TEST_CASE("two door stations with the hub down all session: the logs meet afterwards and settle the same way") {
    if (test::natsServerPath().empty()) FAIL("nats-server is not installed (packaging/install-deps.sh installs it)");
    Site site;
    REQUIRE_MESSAGE(site.hub.start(), site.hub.error());  // to learn its port and certificate
    site.configureHub();
    site.hub.kill();
    std::filesystem::create_directories(site.dir.path() / "x");
    std::filesystem::create_directories(site.dir.path() / "y");
    Station x(site.dir.path() / "x", site.config);
    Station y(site.dir.path() / "y", site.config);

    openAndCheckIn(x, y);
    y.clock.setMinute(31);
    CHECK(y.attendance.markNoShowsAtCutoff(kMathSession, "Mr. Okafor").saved == 4);  // Y never saw A and B arrive
    auto unpublished = edsync::site::outboxStatus(y.store.db());
    REQUIRE(unpublished.ok());
    CHECK(unpublished->unpublished == 6);  // opened, one check-in, four no-shows: kept on the kiosk until the hub takes them

    REQUIRE_MESSAGE(site.hub.start(), site.hub.error());
    REQUIRE(site_test::waitUntil([&] { return converged(x, y); }));
    checkRoom(x);
    checkRoom(y);
}
