// Two door stations of one site, a real hub and the Ed-Fi double over TLS,
// through the kiosk's own sync wiring: one station uploads at a time; what
// reached the state travels back on the site log as acknowledgements, so the
// other station's records are synced without being sent; after a handover
// the new uploader sends only what changed, guarded by the site's ETags.
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/service/work_service.hpp"
#include "support/child_process.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/nats_hub.hpp"
#include "support/temp_dir.hpp"
#include "sync/transport/curl_transport.hpp"

#include "site_test_util.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

using namespace kiosk;
using kiosk::test::kMathSession;

namespace {

constexpr const char* kSite = "255901001";

app::SiteKey siteKey() { return app::deriveSiteKey(kSite, "kiosk", "kiosk-secret"); }

void writePrivate(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file) << text;
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// The state: the Ed-Fi double on a free port with throwaway certificates.
struct State {
    std::filesystem::path certs;
    std::unique_ptr<test::ChildProcess> process;
    int port = -1;
    std::unique_ptr<edsync::transport::CurlTransport> control;

    explicit State(const std::filesystem::path& dir) : certs(dir / "certs") {
        REQUIRE(std::system((std::string("sh '") + MAKE_TEST_CERTS + "' '" + certs.string() + "'").c_str()) == 0);
        nlohmann::json seed;
        seed["students"] = nlohmann::json::array();
        for (int i = 1; i <= 5; ++i)
            seed["students"].push_back({{"studentUniqueId", "S10000" + std::to_string(i)}, {"firstName", "Zoë"},
                                        {"lastSurname", "Ñúñez"}, {"birthDate", "2009-04-12"}});
        std::ofstream(dir / "seed.json") << seed.dump();
        process = std::make_unique<test::ChildProcess>(std::vector<std::string>{
            EDFI_DOUBLE_EXE, "--port", "0", "--cert", (certs / "server.pem").string(), "--key", (certs / "server.key").string(),
            "--client-id", "kiosk", "--client-secret", "kiosk-secret", "--seed", (dir / "seed.json").string(), "--quiet"});
        port = process->port();
        REQUIRE(port > 0);
        edsync::transport::TransportOptions options;
        options.caBundle = certs / "ca.pem";
        options.stallTimeout = std::chrono::seconds(120);  // the test's own questions: no stall detection
        auto t = edsync::transport::CurlTransport::create(options);
        REQUIRE(t.ok());
        control = std::make_unique<edsync::transport::CurlTransport>(std::move(*t));
    }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
    nlohmann::json tokens() {
        auto r = control->performOne({edsync::transport::Method::Get, url() + "/_test/tokens", {}, {}});
        REQUIRE(r.ok());
        REQUIRE(r->status == 200);
        return nlohmann::json::parse(r->body);
    }
    nlohmann::json received(const std::string& resource = "studentAssessments") {
        auto r = control->performOne({edsync::transport::Method::Get, url() + "/_test/received?resource=" + resource, {}, {}});
        REQUIRE(r.ok());
        REQUIRE(r->status == 200);
        return nlohmann::json::parse(r->body);
    }
};

struct Station {
    std::filesystem::path file;
    test::ManualClock clock;
    store::Store store;
    service::AttendanceService attendance{store, clock.clock()};
    service::SecurityService security{store, clock.clock()};
    service::WorkService work{store, clock.clock(), security};
    app::SyncSetup sync;

    Station(const std::filesystem::path& dir, const app::KioskConfig& config)
        : file(dir / "kiosk.db"), store(std::move(store::Store::open(dir / "kiosk.db").value())) {
        REQUIRE(store.setSite(kSite, "Riverbend High School").ok());
        REQUIRE(store::writeRoster(store.db(), test::smallRoster()).ok());
        REQUIRE_FALSE(work.loadCatalogue(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json").has_value());
        app::publishToSite(store, config);
        sync = app::makeSyncEngine(config, file, store.kioskId());
        REQUIRE_MESSAGE(sync.engine, sync.error);
        attendance.setOnCommitted([this] { sync.wake(); });
        work.setOnCommitted([this] { sync.wake(); });
        clock.setMinute(-10);
    }
    void start() { REQUIRE_MESSAGE(sync.start(), sync.error); }
    void stop() {
        sync.engine->stop();
        sync.site.link->stop();
    }
    std::string presenceOf(const std::string& student) {
        auto stmt = store.db().prepare("SELECT presence FROM attendance WHERE session_id = ?1 AND student_unique_id = ?2;");
        REQUIRE(stmt.ok());
        stmt->bind(1, kMathSession).bind(2, student);
        auto row = stmt->step();
        REQUIRE(row.ok());
        return *row ? stmt->getText(0) : std::string("expected");
    }
    edsync::outbox::Counts counts() { return edsync::outbox::counts(store.db()).value(); }
    std::map<std::string, std::string> outboxBodies() {
        std::map<std::string, std::string> out;
        auto stmt = store.db().prepare("SELECT natural_key, body FROM outbox;");
        REQUIRE(stmt.ok());
        while (stmt->step().value_or(false)) out[stmt->getText(0)] = stmt->getText(1);
        return out;
    }
};

// One site: a hub, the state, and the configuration every station shares.
struct Site {
    kiosk::test::TempDir dir;
    State state{dir.path()};
    test::NatsHub hub{dir.path() / "hub", {true, app::kHubUser, app::hubPassword(siteKey())}};
    app::KioskConfig config;

    Site() {
        REQUIRE_MESSAGE(hub.start(), hub.error());
        writePrivate(dir.path() / "site.key", app::formatSiteKey(siteKey()) + "\n");
        writePrivate(dir.path() / "credentials", "key=kiosk\nsecret=kiosk-secret\n");
        config.site = app::SiteConfig{kSite, "Riverbend High School", dir.path() / "site.key"};
        config.source = dir.path() / "kiosk.toml";
        config.hub = app::HubConfig{{hub.url()}, hub.caFile()};
        config.state = app::StateConfig{state.url(), dir.path() / "credentials", state.certs / "ca.pem", "", 24, std::nullopt};
    }
    std::unique_ptr<Station> station(const std::string& name) {
        std::filesystem::create_directories(dir.path() / name);
        return std::make_unique<Station>(dir.path() / name, config);
    }
};

int postsOf(const nlohmann::json& received, const std::string& student) {
    for (const auto& r : received.at("records"))
        if (r.at("body").at("studentReference").at("studentUniqueId") == student) return r.at("posts").get<int>();
    return 0;
}

} // namespace

TEST_CASE("two stations and the state: one uploads, the other learns what reached the state, a handover sends only what changed") {
    if (test::natsServerPath().empty()) FAIL("nats-server is not installed (packaging/install-deps.sh installs it)");
    REQUIRE(sodium_init() >= 0);
    Site site;
    State& state = site.state;
    auto stationX = site.station("x");
    auto stationY = site.station("y");
    Station& x = *stationX;
    Station& y = *stationY;
    x.start();
    REQUIRE(site_test::waitUntil([&] { return x.sync.site.link->holdsLease(); }));
    y.start();

    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(y.attendance.openSession(kMathSession, "Mr. Okafor").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100002", "Ms. Rivera", {}).saved);
    REQUIRE(y.attendance.checkIn(kMathSession, "S100003", "Mr. Okafor", {}).saved);
    REQUIRE(site_test::waitUntil([&] { return y.presenceOf("S100002") == "present"; }));
    y.clock.setMinute(31);
    CHECK(y.attendance.markNoShowsAtCutoff(kMathSession, "Mr. Okafor").saved == 2);

    // X holds the lease and uploads the site's picture; Y sends nothing and
    // still ends with nothing waiting: the acknowledgements reached it.
    REQUIRE(site_test::waitUntil([&] {
        auto a = x.outboxBodies();
        return a.size() == 5 && a == y.outboxBodies() && x.counts().waiting() == 0 && y.counts().waiting() == 0;
    }));
    // Both stations see the hub, and who uploads, in what `status` and the window read.
    auto hubOf = [](Station& s) {
        const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto h = service::SyncQueries(s.store).siteHub(now);
        REQUIRE(h.ok());
        return *h;
    };
    REQUIRE(site_test::waitUntil([&] {
        auto hx = hubOf(x), hy = hubOf(y);
        return hx && hy && hx->connected && hy->connected && hy->uploader == x.store.kioskId() && hx->thisKioskUploads;
    }));
    CHECK_FALSE(hubOf(y)->thisKioskUploads);
    CHECK(hubOf(y)->unshared == 0);

    auto received = state.received();
    INFO(received.dump());
    CHECK(received.at("records").size() == 5);
    for (const char* s : {"S100001", "S100002", "S100003", "S100004", "S100005"}) CHECK(postsOf(received, s) >= 1);

    // X goes away; Y takes the lease and sends only what changes from now on,
    // each write guarded by the ETag X's upload got (no 412, no lookup needed).
    std::map<std::string, int> postsBefore;
    for (const char* s : {"S100001", "S100002", "S100003", "S100004", "S100005"}) postsBefore[s] = postsOf(received, s);
    x.stop();
    CHECK_FALSE(hubOf(x)->linked);  // nothing runs X's link now: its status says so at once
    REQUIRE(site_test::waitUntil([&] { return y.sync.site.link->holdsLease(); }));
    REQUIRE(site_test::waitUntil([&] { return hubOf(y)->thisKioskUploads; }));
    y.clock.setMinute(50);
    REQUIRE(y.attendance.checkOut(kMathSession, "S100001", "Mr. Okafor").saved);
    REQUIRE(site_test::waitUntil([&] { return y.counts().waiting() == 0; }));
    CHECK(y.counts().needsAttention == 0);
    auto after = state.received();
    INFO(after.dump());
    CHECK(after.at("records").size() == 5);
    CHECK(postsOf(after, "S100001") == postsBefore["S100001"] + 1);
    for (const char* s : {"S100002", "S100003", "S100004", "S100005"}) CHECK(postsOf(after, s) == postsBefore[s]);
    // Two kiosks wrote, one after the other, never both at once.
    auto tokens = state.tokens();
    INFO(tokens.dump());
    CHECK(tokens.at("writers") == 2);
    CHECK(tokens.at("maxConcurrentWriters") == 1);
}

TEST_CASE("three stations online at once: exactly one uploads, the others' records reach the state through it") {
    if (test::natsServerPath().empty()) FAIL("nats-server is not installed (packaging/install-deps.sh installs it)");
    REQUIRE(sodium_init() >= 0);
    Site site;
    State& state = site.state;
    std::vector<std::unique_ptr<Station>> stations;
    for (const char* name : {"a", "b", "c"}) stations.push_back(site.station(name));
    for (auto& s : stations) s->start();  // all at once: the lease decides
    REQUIRE(site_test::waitUntil([&] {
        return std::count_if(stations.begin(), stations.end(), [](const auto& s) { return s->sync.site.link->holdsLease(); }) == 1;
    }));
    Station& a = *stations[0];
    Station& b = *stations[1];
    Station& c = *stations[2];
    REQUIRE(a.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(b.attendance.openSession(kMathSession, "Mr. Okafor").saved);
    REQUIRE(c.attendance.openSession(kMathSession, "Ms. Ito").saved);
    REQUIRE(a.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(b.attendance.checkIn(kMathSession, "S100002", "Mr. Okafor", {}).saved);
    REQUIRE(c.attendance.checkIn(kMathSession, "S100003", "Ms. Ito", {}).saved);
    REQUIRE(b.attendance.checkIn(kMathSession, "S100004", "Mr. Okafor", {}).saved);
    REQUIRE(site_test::waitUntil([&] {
        auto bodies = a.outboxBodies();
        for (auto& s : stations)
            if (s->outboxBodies() != bodies || s->counts().waiting() != 0) return false;
        return bodies.size() == 4;
    }));
    auto received = state.received();
    INFO(received.dump());
    CHECK(received.at("records").size() == 4);
    auto tokens = state.tokens();
    INFO(tokens.dump());
    CHECK(tokens.at("writers") == 1);  // one kiosk wrote everything
    CHECK(tokens.at("maxConcurrentWriters") == 1);
    CHECK(std::count_if(stations.begin(), stations.end(), [](const auto& s) { return s->sync.site.link->holdsLease(); }) == 1);
    for (auto& s : stations) s->stop();
}

TEST_CASE("a student on two lab machines with the hub down all day: at night the state holds one record of the day with every task") {
    if (test::natsServerPath().empty()) FAIL("nats-server is not installed (packaging/install-deps.sh installs it)");
    REQUIRE(sodium_init() >= 0);
    Site site;
    auto lab3 = site.station("lab-3");
    auto lab7 = site.station("lab-7");
    lab3->start();
    lab7->start();
    REQUIRE(site_test::waitUntil([&] { return lab3->sync.site.link->holdsLease() != lab7->sync.site.link->holdsLease(); }));
    REQUIRE(lab3->security.setProctor("P1", "Mr. Okafor", "2468", "").saved);
    REQUIRE(lab7->security.setProctor("P1", "Mr. Okafor", "2468", "").saved);

    // The hub is down for the whole school day.
    site.hub.kill();
    lab3->clock.set(*domain::parseIso8601("2026-11-23T15:00:00Z"));
    lab7->clock.set(*domain::parseIso8601("2026-11-23T19:00:00Z"));
    auto morning = lab3->work.saveDraft("S100001", "", {"comm-customer", "2026-11-23", 50, "Riverbend Hardware", "Helped customers."});
    REQUIRE(morning.saved);
    REQUIRE(lab3->work.submit("S100001", morning.eventId).saved);
    REQUIRE(lab3->work.review(morning.eventId, service::Review::Approve, "P1", "2468", "").saved);
    auto afternoon = lab7->work.saveDraft("S100001", "", {"ps-measure", "2026-11-23", 40, "Riverbend Hardware", "Measured stock."});
    REQUIRE(afternoon.saved);
    REQUIRE(lab7->work.submit("S100001", afternoon.eventId).saved);
    REQUIRE(lab7->work.review(afternoon.eventId, service::Review::Approve, "P1", "2468", "").saved);
    // Each machine knows only its own task; neither may upload a partial day.
    CHECK(lab3->work.entries("S100001").value().size() == 1);
    CHECK(lab7->work.entries("S100001").value().size() == 1);

    // Back at night: the logs meet, and the site's uploader sends the merged day once.
    REQUIRE_MESSAGE(site.hub.start(), site.hub.error());
    REQUIRE(site_test::waitUntil([&] {
        return lab3->work.entries("S100001").value().size() == 2 && lab7->work.entries("S100001").value().size() == 2 &&
               lab3->counts().waiting() == 0 && lab7->counts().waiting() == 0;
    }, std::chrono::seconds(60)));
    CHECK(lab3->outboxBodies() == lab7->outboxBodies());
    CHECK(lab3->work.progress("S100001").value().totalHours == lab7->work.progress("S100001").value().totalHours);
    auto evaluations = site.state.received("studentProgramEvaluations");
    INFO(evaluations.dump());
    REQUIRE(evaluations.at("records").size() == 1);
    const auto& record = evaluations.at("records").at(0);
    CHECK(record.at("body").at("studentEvaluationElements").size() == 2);
    CHECK(lab3->counts().needsAttention == 0);
    CHECK(lab7->counts().needsAttention == 0);
}
