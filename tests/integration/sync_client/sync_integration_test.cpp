// The sync client against the Ed-Fi double over real TLS, through the fault
// proxy. Each case starts its own double and proxy (child processes on free
// ports) with throwaway certificates, and stops them at the end.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "sync_doctest.hpp"

#include "sync/edfi/engine.hpp"
#include "sync/edfi/store.hpp"
#include "sync/edfi/token_file.hpp"
#include "sync/transport/curl_transport.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"

#include <nlohmann/json.hpp>


#include <chrono>
#include <fstream>
#include <random>
#include <thread>

using namespace edsync;
using namespace edsync::edfi;
using namespace std::chrono_literals;

namespace {

constexpr const char* kNamespace = "uri://testsite.example.org/assessment/workkeys";
constexpr int kStudents = 50;

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sync-integration-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

using Child = kiosk::test::ChildProcess;

// Polled every 20 ms: each look reads the kiosk's database beside a drain.
template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
    return kiosk::test::eventually(pred, limit, 20ms);
}

std::string studentId(int i) { return "S" + std::to_string(100000 + i); }

// Certificates, a seeded double and a fault proxy in front of it.
struct Site {
    TempDir dir;
    std::filesystem::path ca = dir.path / "certs" / "ca.pem";
    std::unique_ptr<Child> edfiDouble;
    std::unique_ptr<Child> proxy;
    int doublePort = -1;
    int proxyPort = -1;
    std::unique_ptr<transport::CurlTransport> control;

    Site() {
        std::string certs = (dir.path / "certs").string();
        REQUIRE(std::system((std::string("sh '") + MAKE_TEST_CERTS + "' '" + certs + "'").c_str()) == 0);
        nlohmann::json seed;
        seed["students"] = nlohmann::json::array();
        for (int i = 0; i < kStudents; ++i)
            seed["students"].push_back({{"studentUniqueId", studentId(i)},
                                        {"firstName", "Zoë"},
                                        {"lastSurname", "Test" + std::to_string(i)},
                                        {"birthDate", "2008-01-01"}});
        std::ofstream(dir.path / "seed.json") << seed.dump();

        edfiDouble = std::make_unique<Child>(std::vector<std::string>{
            EDFI_DOUBLE_EXE, "--port", "0", "--cert", certs + "/server.pem", "--key", certs + "/server.key", "--client-id",
            "kiosk", "--client-secret", "kiosk-secret", "--seed", (dir.path / "seed.json").string(), "--quiet"});
        doublePort = edfiDouble->port();
        REQUIRE(doublePort > 0);
        proxy = std::make_unique<Child>(std::vector<std::string>{
            FAULT_PROXY_EXE, "--port", "0", "--cert", certs + "/server.pem", "--key", certs + "/server.key", "--upstream",
            "https://127.0.0.1:" + std::to_string(doublePort), "--ca", ca.string(), "--quiet"});
        proxyPort = proxy->port();
        REQUIRE(proxyPort > 0);

        transport::TransportOptions options;
        options.caBundle = ca;
        // The test's own questions to the double: answering /_test/received
        // for 10,000 records takes a sanitized double on a loaded machine
        // longer than the kiosk's 3 s stall limit. No stall detection here.
        options.stallTimeout = 120s;
        options.totalTimeout = 180s;
        auto t = transport::CurlTransport::create(options);
        REQUIRE(t.ok());
        control = std::make_unique<transport::CurlTransport>(std::move(*t));
    }

    std::string doubleUrl() const { return "https://127.0.0.1:" + std::to_string(doublePort); }
    std::string proxyUrl() const { return "https://127.0.0.1:" + std::to_string(proxyPort); }

    void proxyMode(const nlohmann::json& mode) {
        auto r = control->performOne({transport::Method::Post, proxyUrl() + "/_proxy/mode",
                                      {{"Content-Type", "application/json"}}, mode.dump()});
        REQUIRE(r.ok());
        REQUIRE(r->status == 200);
    }
    nlohmann::json proxyStats() {
        auto r = control->performOne({transport::Method::Get, proxyUrl() + "/_proxy/stats", {}, {}});
        REQUIRE(r.ok());
        return nlohmann::json::parse(r->body);
    }
    nlohmann::json received(const std::string& resource) {
        auto r = control->performOne({transport::Method::Get, doubleUrl() + "/_test/received?resource=" + resource, {}, {}});
        INFO((r.ok() ? std::string() : r.error().describe()));
        REQUIRE(r.ok());
        REQUIRE(r->status == 200);
        return nlohmann::json::parse(r->body);
    }

    SyncConfig config(const std::string& base) const {
        SyncConfig c;
        c.baseUrl = base;
        c.clientKey = "kiosk";
        c.clientSecret = "kiosk-secret";
        c.caBundle = ca;
        c.concurrency = 8;
        c.connectTimeout = 2'000ms;
        c.requestTimeout = 2'000ms;  // below the proxy's stall, so stalls become timeouts
        c.backoff = BackoffPolicy{200ms, 5'000ms, 50ms};
        c.probeBackoff = BackoffPolicy{100ms, 1'000ms, 50ms};
        c.durability = sqlite::Durability::Normal;  // throwaway data; spares the shared disk
        return c;
    }
};

struct Kiosk {
    sqlite::Database db;
    std::int64_t seq = 0;
    explicit Kiosk(const std::filesystem::path& file) : db(sqlite::Database::open(file, sqlite::Durability::Normal).value()) {
        REQUIRE(outbox::migrate(db).ok());
    }
    static std::string body(int i, int version) {
        nlohmann::json doc{{"studentAssessmentIdentifier", "SA-" + std::to_string(i)},
                           {"assessmentReference", {{"assessmentIdentifier", "WK-APPLIED-MATH"}, {"namespace", kNamespace}}},
                           {"studentReference", {{"studentUniqueId", studentId(i % kStudents)}}},
                           {"administrationDate", "2025-03-04T09:00:00-05:00"},
                           {"serialNumber", "v" + std::to_string(version)}};
        return doc.dump();
    }
    void write(int i, int version) {
        auto tx = sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        REQUIRE(outbox::put(db, "studentAssessments", "SA-" + std::to_string(i), body(i, version), ++seq).ok());
        REQUIRE(tx->commit().ok());
    }
    outbox::Counts counts() { return outbox::counts(db).value(); }
};

// The double's entry for SA-i (its body, posts, deletes and write history).
const nlohmann::json& receivedRecord(const nlohmann::json& received, int i) {
    for (const auto& r : received.at("records"))
        if (r.at("body").at("studentAssessmentIdentifier") == "SA-" + std::to_string(i)) return r;
    FAIL("no record SA-" << i);
    throw std::logic_error("unreachable");
}

// Every key exactly once on the double, each at the version the kiosk wrote last.
void checkReceived(const nlohmann::json& received, const std::map<int, int>& latest) {
    const auto& records = received.at("records");
    CHECK(records.size() == latest.size());
    std::set<std::string> seen;
    int wrongVersion = 0;
    for (const auto& r : records) {
        const auto& body = r.at("body");
        std::string id = body.at("studentAssessmentIdentifier");
        CHECK_MESSAGE(seen.insert(id).second, "duplicate " << id);
        int i = std::stoi(id.substr(3));
        auto it = latest.find(i);
        REQUIRE(it != latest.end());
        if (body.at("serialNumber") != "v" + std::to_string(it->second)) ++wrongVersion;
    }
    CHECK(wrongVersion == 0);
}

} // namespace

TEST_CASE("TLS is verified: the site CA is trusted, nothing else is") {
    Site site;
    // With the site's CA bundle: discovery over real TLS.
    auto ok = site.control->performOne({transport::Method::Get, site.doubleUrl() + "/", {}, {}});
    REQUIRE(ok.ok());
    CHECK(ok->status == 200);
    CHECK(ok->header("date").has_value());

    // The system store does not know the throwaway CA: refused, as a value.
    auto plain = transport::CurlTransport::create({});
    REQUIRE(plain.ok());
    auto refused = plain->performOne({transport::Method::Get, site.doubleUrl() + "/", {}, {}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == transport::FailureKind::Tls);

    // Another CA (another site's) is refused too.
    TempDir other;
    REQUIRE(std::system((std::string("sh '") + MAKE_TEST_CERTS + "' '" + other.path.string() + "'").c_str()) == 0);
    transport::TransportOptions o;
    o.caBundle = other.path / "ca.pem";
    auto wrong = transport::CurlTransport::create(o);
    REQUIRE(wrong.ok());
    auto refusedToo = wrong->performOne({transport::Method::Get, site.doubleUrl() + "/", {}, {}});
    REQUIRE_FALSE(refusedToo.ok());
    CHECK(refusedToo.error().kind == transport::FailureKind::Tls);

    // The certificate names localhost as well as 127.0.0.1: hostname checks pass for both.
    auto byName = site.control->performOne({transport::Method::Get, "https://localhost:" + std::to_string(site.doublePort) + "/", {}, {}});
    CHECK(byName.ok());
}

TEST_CASE("one handle reused request after request carries each request's own method, headers and body") {
    // The transport keeps the options every request shares on its handles and
    // rebuilds the header list only when the headers change: one slot, so each
    // request below reuses the same handle after a different one.
    Site site;
    transport::TransportOptions options;
    options.caBundle = site.ca;
    options.maxInFlight = 1;
    auto t = transport::CurlTransport::create(options);
    REQUIRE(t.ok());
    const std::string tokenUrl = site.doubleUrl() + "/oauth/token";
    const transport::Header basic{"Authorization", "Basic a2lvc2s6a2lvc2stc2VjcmV0"};  // kiosk:kiosk-secret
    const transport::Header form{"Content-Type", "application/x-www-form-urlencoded"};

    auto granted = t->performOne({transport::Method::Post, tokenUrl, {basic, form}, "grant_type=client_credentials"});
    REQUIRE(granted.ok());
    REQUIRE(granted->status == 200);
    const std::string token = nlohmann::json::parse(granted->body).at("access_token").get<std::string>();
    const std::string students = site.doubleUrl() + "/data/v3/ed-fi/students";

    // A GET after a POST, with another Authorization header: refused for that header.
    auto wrong = t->performOne({transport::Method::Get, students, {{"Authorization", "Bearer not-" + token}}, {}});
    REQUIRE(wrong.ok());
    CHECK(wrong->status == 401);
    // The right token: a GET (a list comes back, not a refused POST).
    auto listed = t->performOne({transport::Method::Get, students, {{"Authorization", "Bearer " + token}}, {}});
    REQUIRE(listed.ok());
    CHECK(listed->status == 200);
    CHECK(nlohmann::json::parse(listed->body).is_array());
    // A POST after the GETs sends its own body, not the first POST's.
    auto badGrant = t->performOne({transport::Method::Post, tokenUrl, {basic, form}, "grant_type=password"});
    REQUIRE(badGrant.ok());
    CHECK(badGrant->status == 400);
    CHECK(badGrant->body.find("unsupported_grant_type") != std::string::npos);
    // The same headers again: the kept list still carries them.
    auto again = t->performOne({transport::Method::Post, tokenUrl, {basic, form}, "grant_type=client_credentials"});
    REQUIRE(again.ok());
    CHECK(again->status == 200);
}

TEST_CASE("a write's answer is kept to maxWriteAnswerBytes with its status and a GET's body whole") {
    // A server that answers every POST of a drain with megabytes would
    // otherwise hold that much per request in flight (64 MiB each before).
    Site site;
    transport::TransportOptions options;
    options.caBundle = site.ca;
    options.maxWriteAnswerBytes = 16;
    auto t = transport::CurlTransport::create(options);
    REQUIRE(t.ok());
    const std::string tokenUrl = site.doubleUrl() + "/oauth/token";
    const transport::Header basic{"Authorization", "Basic a2lvc2s6a2lvc2stc2VjcmV0"};  // kiosk:kiosk-secret
    const transport::Header form{"Content-Type", "application/x-www-form-urlencoded"};

    auto refused = t->performOne({transport::Method::Post, tokenUrl, {basic, form}, "grant_type=password"});
    REQUIRE(refused.ok());  // an answer, not a failure: its status is what counts
    CHECK(refused->status == 400);
    CHECK(refused->body.size() == 16);
    CHECK(refused->body == std::string(R"({"error":"unsupported_grant_type")").substr(0, 16));

    auto discovery = t->performOne({transport::Method::Get, site.doubleUrl() + "/", {}, {}});
    REQUIRE(discovery.ok());
    CHECK(discovery->body.size() > 16);
    CHECK(nlohmann::json::parse(discovery->body).is_object());
}

TEST_CASE("an answer cut off inside its headers is no answer - the write goes again and its id is kept") {
    // The proxy forwards the POST (the double stores it), then sends half of
    // the 201's header block and closes: the ETag came, the Location did not.
    // libcurl itself reports that as a complete answer.
    Site site;
    transport::TransportOptions options;
    options.caBundle = site.ca;
    auto t = transport::CurlTransport::create(options);
    REQUIRE(t.ok());
    auto granted = t->performOne({transport::Method::Post, site.doubleUrl() + "/oauth/token",
                                  {{"Authorization", "Basic a2lvc2s6a2lvc2stc2VjcmV0"}, {"Content-Type", "application/x-www-form-urlencoded"}},
                                  "grant_type=client_credentials"});
    REQUIRE(granted.ok());
    const transport::Header bearer{"Authorization", "Bearer " + nlohmann::json::parse(granted->body).at("access_token").get<std::string>()};
    const transport::Header json{"Content-Type", "application/json"};
    const std::string url = site.proxyUrl() + "/data/v3/ed-fi/studentAssessments";

    site.proxyMode({{"mode", "fault"}, {"fault", "truncate"}, {"count", 1}});
    auto cut = t->performOne({transport::Method::Post, url, {bearer, json}, Kiosk::body(1, 1)});
    REQUIRE_FALSE(cut.ok());
    CHECK(cut.error().kind == transport::FailureKind::Truncated);
    CHECK(site.proxyStats().at("injectedTotal") == 1);
    CHECK(receivedRecord(site.received("studentAssessments"), 1).at("posts") == 1);  // stored all the same

    // Through the engine: the record is sent again, and the row keeps the
    // state's id and ETag, so a later 412 can be looked into.
    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    auto engine = SyncEngine::create(site.config(site.proxyUrl()), file, nullptr);
    REQUIRE(engine.ok());
    // Discovery and the token go through; then the POST's answer is cut.
    site.proxyMode({{"mode", "pass"}});
    REQUIRE((*engine)->start().ok());
    REQUIRE(eventually([&] { return (*engine)->status().connection == SyncStatus::Connection::Online; }, 60s));
    // Only a POST: a look or a lookup still on its way must not take the fault.
    site.proxyMode({{"mode", "fault"}, {"fault", "truncate"}, {"count", 1}, {"method", "POST"}});
    kiosk.write(2, 1);
    (*engine)->wake();
    REQUIRE(eventually([&] { return kiosk.counts().synced == 1; }, 120s));
    (*engine)->stop();
    auto st = outbox::status(kiosk.db, "studentAssessments", "SA-2");
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->resourceId.has_value());
    const auto received = site.received("studentAssessments");
    CHECK(receivedRecord(received, 2).at("posts") == 2);
}

TEST_CASE("one pass uploads and pulls the roster over TLS, through a clean proxy") {
    Site site;
    Kiosk kiosk(site.dir.path / "kiosk.db");
    std::map<int, int> latest;
    for (int i = 0; i < 20; ++i) {
        kiosk.write(i, 1);
        latest[i] = 1;
    }
    struct Roster final : PullSink {
        std::set<std::string> students;
        sqlite::Status apply(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>& items) override {
            for (const auto& s : items) students.insert(s.at("studentUniqueId").get<std::string>());
            return {};
        }
        sqlite::Status applyDeletes(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>&) override { return {}; }
    } roster;
    SyncConfig config = site.config(site.proxyUrl());
    config.pullResources = {{"students"}};
    auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
    REQUIRE(engine.ok());
    auto report = (*engine)->runOnePass();
    INFO(report.message);
    CHECK(report.result == PassResult::AllSynced);
    CHECK(report.synced == 20);
    CHECK(roster.students.size() == kStudents);
    checkReceived(site.received("studentAssessments"), latest);
}

TEST_CASE("1,000 records drain through random faults: each arrives once, at its latest version") {
    Site site;
    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    site.proxyMode({{"mode", "random"}, {"rate", 0.3}, {"seed", 7}, {"stallSeconds", 3}, {"retryAfter", 1}});

    auto engine = SyncEngine::create(site.config(site.proxyUrl()), file, nullptr);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->start().ok());

    std::map<int, int> latest;
    std::mt19937 rng(99);
    for (int i = 0; i < 1000; ++i) {
        kiosk.write(i, 1);
        latest[i] = 1;
        (*engine)->wake();
    }
    // Newer versions of some records while the first ones are on the wire.
    for (int n = 0; n < 200; ++n) {
        int i = static_cast<int>(rng() % 1000);
        kiosk.write(i, ++latest[i]);
        (*engine)->wake();
        if (n % 20 == 0) std::this_thread::sleep_for(10ms);
    }
    // Settled: nothing left to send (a record refused for good settles too,
    // and is reported below with its reason rather than waited on).
    bool drained = eventually([&] { return kiosk.counts().pending == 0; }, 600s);
    auto status = (*engine)->status();
    INFO("last error: " << status.lastError);
    CHECK(drained);
    (*engine)->stop();

    auto c = kiosk.counts();
    auto refused = outbox::failedRecords(kiosk.db, 10);
    REQUIRE(refused.ok());
    const auto received = site.received("studentAssessments");
    for (const auto& r : *refused) {
        if (r.state != outbox::State::NeedsAttention) continue;
        MESSAGE("needs attention: " << r.naturalKey << " after " << r.attempts << " attempt(s): " << r.cause << " [" << r.reply.words << "]");
        // What a failure here needs to be traced: the state's copy with its
        // last client writes in the order the double decided them (stored or
        // 412, the If-Match each carried), and what the row remembers.
        for (const auto& rec : received.at("records"))
            if (rec.at("body").at("studentAssessmentIdentifier") == r.naturalKey) MESSAGE("  at the double: " << rec.dump());
        auto row = kiosk.db.prepare("SELECT local_version, synced_version, coalesce(unanswered_bodies, ''), maybe_sent, coalesce(etag, '')"
                                    " FROM outbox WHERE natural_key = ?1;");
        REQUIRE(row.ok());
        row->bind(1, r.naturalKey);
        if (auto found = row->step(); found.ok() && *found)
            MESSAGE("  outbox: local " << row->getInt(0) << " synced " << row->getInt(1) << " maybe_sent " << row->getInt(3) << " etag "
                                       << row->getText(4) << " may land late " << row->getText(2));
    }
    CHECK(c.synced == 1000);
    CHECK(c.pending == 0);
    CHECK(c.needsAttention == 0);
    checkReceived(received, latest);
    auto stats = site.proxyStats();
    MESSAGE("proxy: " << stats.dump());
    CHECK(stats.at("injectedTotal").get<int>() > 50);  // faults really were injected
}

TEST_CASE("a 10,000-record backlog written offline drains without a restart") {
    Site site;
    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    // The network is gone: every request through the proxy is reset.
    site.proxyMode({{"mode", "fault"}, {"fault", "reset"}, {"count", 1000000}});
    auto engine = SyncEngine::create(site.config(site.proxyUrl()), file, nullptr);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->start().ok());
    REQUIRE(eventually([&] { return (*engine)->status().connection == SyncStatus::Connection::Offline; }, 60s));

    std::map<int, int> latest;
    {
        auto tx = sqlite::Transaction::begin(kiosk.db);
        REQUIRE(tx.ok());
        for (int i = 0; i < 10'000; ++i) {
            REQUIRE(outbox::put(kiosk.db, "studentAssessments", "SA-" + std::to_string(i), Kiosk::body(i, 1), ++kiosk.seq).ok());
            latest[i] = 1;
        }
        REQUIRE(tx->commit().ok());
    }
    (*engine)->wake();
    std::this_thread::sleep_for(1s);  // a few offline probes
    CHECK((*engine)->status().connection == SyncStatus::Connection::Offline);

    site.proxyMode({{"mode", "pass"}});
    auto started = std::chrono::steady_clock::now();
    bool drained = eventually([&] { return kiosk.counts().synced == 10'000; }, 600s);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO("last error: " << (*engine)->status().lastError);
    CHECK(drained);
    MESSAGE("10,000 records drained in " << seconds << " s (" << 10'000 / seconds << " records/s)");
    CHECK((*engine)->status().connection == SyncStatus::Connection::Online);
    (*engine)->stop();
    CHECK(kiosk.counts().pending == 0);
    checkReceived(site.received("studentAssessments"), latest);
}

// --- Ed-Fi as states run it: routes, tokens, servers without change queries ---

namespace {

// Switches how the double plays its deployment (POST /_test/behaviour).
void behave(Site& site, const nlohmann::json& behaviour) {
    auto r = site.control->performOne({transport::Method::Post, site.doubleUrl() + "/_test/behaviour",
                                       {{"Content-Type", "application/json"}}, behaviour.dump()});
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 200);
}

int tokensIssued(Site& site) {
    auto r = site.control->performOne({transport::Method::Get, site.doubleUrl() + "/_test/tokens", {}, {}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return nlohmann::json::parse(r->body).at("issued").get<int>();
}

void removeStudent(Site& site, int i) {
    auto r = site.control->performOne({transport::Method::Post, site.doubleUrl() + "/_test/delete", {{"Content-Type", "application/json"}},
                                       nlohmann::json{{"resource", "students"}, {"key", {{"studentUniqueId", studentId(i)}}}}.dump()});
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
}

// The roster as a set of student IDs; deletions by id, inferred ones included.
struct RosterSet final : PullSink {
    std::map<std::string, std::string> byId;  // id -> studentUniqueId
    std::set<std::string> students() const {
        std::set<std::string> out;
        for (const auto& entry : byId) out.insert(entry.second);
        return out;
    }
    sqlite::Status apply(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>& items) override {
        for (const auto& s : items) byId[s.at("id").get<std::string>()] = s.at("studentUniqueId").get<std::string>();
        return {};
    }
    sqlite::Status applyDeletes(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>& items) override {
        for (const auto& s : items) byId.erase(s.at("id").get<std::string>());
        return {};
    }
};

std::set<std::string> allStudentsBut(std::set<int> gone) {
    std::set<std::string> out;
    for (int i = 0; i < kStudents; ++i)
        if (!gone.count(i)) out.insert(studentId(i));
    return out;
}

// runOnePass until the download is complete (faults cut some passes short).
PassReport passUntilDownloaded(SyncEngine& engine, int tries = 30) {
    PassReport report;
    for (int i = 0; i < tries; ++i) {
        report = engine.runOnePass();
        if (report.pull && report.pull->complete()) break;
    }
    return report;
}

} // namespace

TEST_CASE("no change queries (500, then 404): full reads over TLS, deletions inferred after a whole pass, through faults") {
    for (const char* route : {"direct", "faults"}) {
        CAPTURE(route);
        Site site;
        const bool faults = std::string(route) == "faults";
        behave(site, {{"changeQueries", 500}});
        if (faults) site.proxyMode({{"mode", "random"}, {"rate", 0.25}, {"seed", 11}, {"stallSeconds", 3}, {"retryAfter", 1}});
        RosterSet roster;
        SyncConfig config = site.config(faults ? site.proxyUrl() : site.doubleUrl());
        config.pullResources = {{"students"}};
        config.pull.pageSize = 20;
        auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
        REQUIRE(engine.ok());
        auto first = passUntilDownloaded(**engine);
        INFO(first.message);
        REQUIRE(first.pull);
        CHECK(first.pull->complete());
        CHECK_FALSE(first.pull->changeQueries);
        CHECK(roster.students() == allStudentsBut({}));

        removeStudent(site, 3);
        removeStudent(site, 41);
        behave(site, {{"changeQueries", 404}});
        auto second = passUntilDownloaded(**engine);
        INFO(second.message);
        REQUIRE(second.pull);
        CHECK(second.pull->complete());
        CHECK(second.pull->mode() == "full");
        CHECK(roster.students() == allStudentsBut({3, 41}));
        if (!faults) {
            CHECK(second.result == PassResult::AllSynced);
            CHECK(second.pull->resources.at(0).removed == 2);
        }
        auto db = sqlite::Database::open(site.dir.path / "kiosk.db", sqlite::Durability::Normal);
        REQUIRE(db.ok());
        auto download = loadDownload(*db);
        REQUIRE(download.ok());
        REQUIRE(download->has_value());
        CHECK((*download)->complete);
        CHECK((*download)->mode.starts_with("full"));
    }
}

TEST_CASE("snapshots over TLS: Use-Snapshot honoured, 410 mid-pass starts the pass over, 404 falls back") {
    Site site;
    behave(site, {{"snapshots", true}, {"snapshotGoneAfter", 2}});
    RosterSet roster;
    SyncConfig config = site.config(site.proxyUrl());
    config.pullResources = {{"students"}};
    config.pull.pageSize = 20;
    auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
    REQUIRE(engine.ok());
    auto gone = (*engine)->runOnePass();
    INFO(gone.message);
    REQUIRE(gone.pull);
    CHECK(gone.pull->complete());
    CHECK(gone.pull->snapshot);
    CHECK(gone.pull->restarts == 1);
    CHECK(roster.students() == allStudentsBut({}));

    // Read from the snapshot: a student removed after it was taken is still there.
    removeStudent(site, 7);
    SyncConfig full = config;
    full.pull.fullResyncIntervalMs = 1;  // read whole every pass
    auto fullEngine = SyncEngine::create(full, site.dir.path / "kiosk.db", &roster);
    REQUIRE(fullEngine.ok());
    auto fromSnapshot = (*fullEngine)->runOnePass();
    REQUIRE(fromSnapshot.pull);
    CHECK(fromSnapshot.pull->snapshot);
    CHECK(roster.students().count(studentId(7)) == 1);

    // The host drops snapshots: 404 to Use-Snapshot, read without; the removal shows.
    behave(site, {{"snapshots", false}});
    auto plain = (*fullEngine)->runOnePass();
    INFO(plain.message);
    REQUIRE(plain.pull);
    CHECK(plain.pull->complete());
    CHECK_FALSE(plain.pull->snapshot);
    CHECK(roster.students() == allStudentsBut({7}));
}

TEST_CASE("a lower limit (400 above it) and Next-Page-Token paging over TLS, through a clean and a faulty proxy") {
    for (bool faults : {false, true}) {
        CAPTURE(faults);
        Site site;
        behave(site, {{"maxLimit", 7}, {"pageTokens", true}, {"changeQueries", 404}});
        if (faults) site.proxyMode({{"mode", "random"}, {"rate", 0.2}, {"seed", 5}, {"stallSeconds", 3}, {"retryAfter", 1}});
        RosterSet roster;
        SyncConfig config = site.config(site.proxyUrl());
        config.pullResources = {{"students"}};
        auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
        REQUIRE(engine.ok());
        auto report = passUntilDownloaded(**engine);
        INFO(report.message);
        REQUIRE(report.pull);
        CHECK(report.pull->complete());
        CHECK(roster.students() == allStudentsBut({}));
    }
}

TEST_CASE("tenant/year and ODS/API 8 routes come from discovery, and uploads and the roster go through them") {
    for (const nlohmann::json& play : {nlohmann::json{{"routePrefix", "district-a/2026"}}, nlohmann::json{{"routePrefix", "2026"}, {"v8", true}}}) {
        CAPTURE(play.dump());
        Site site;
        behave(site, play);
        Kiosk kiosk(site.dir.path / "kiosk.db");
        std::map<int, int> latest;
        for (int i = 0; i < 5; ++i) {
            kiosk.write(i, 1);
            latest[i] = 1;
        }
        RosterSet roster;
        SyncConfig config = site.config(site.proxyUrl());
        config.pullResources = {{"students"}};
        auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
        REQUIRE(engine.ok());
        auto report = (*engine)->runOnePass();
        INFO(report.message);
        CHECK(report.result == PassResult::AllSynced);
        CHECK(report.synced == 5);
        CHECK(roster.students() == allStudentsBut({}));
        checkReceived(site.received("studentAssessments"), latest);
    }
    // The route in the configuration when discovery lists routeless URLs is
    // covered by unit tests; a route the server does not serve fails the
    // download and names the request.
    Site site;
    behave(site, {{"routePrefix", "district-a/2026"}});
    RosterSet roster;
    SyncConfig config = site.config(site.doubleUrl());
    config.route = "elsewhere";
    config.pullResources = {{"students"}};
    auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", &roster);
    REQUIRE(engine.ok());
    auto report = (*engine)->runOnePass();
    CHECK(report.result == PassResult::DownloadFailed);
    CHECK(report.result == PassResult::DownloadFailed);
    CHECK(report.message.find("GET /elsewhere/district-a/2026/data/v3/ed-fi/students?") != std::string::npos);
}

TEST_CASE("one token per kiosk across passes over TLS, an absolute expires_in, and the 16th live token is refused with 429") {
    Site site;
    auto tokens = std::make_shared<FileTokenStore>(site.dir.path / "state-token.json");
    behave(site, {{"expiresAs", "iso"}});
    const int before = tokensIssued(site);
    for (int i = 0; i < 20; ++i) {
        // The file holds the kiosk's one token: the direct URL for 10 passes, then the proxy's.
        SyncConfig config = site.config(i < 10 ? site.doubleUrl() : site.proxyUrl());
        config.tokenStore = tokens;
        auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", nullptr);
        REQUIRE(engine.ok());
        auto report = (*engine)->runOnePass();
        INFO(report.message);
        REQUIRE(report.result == PassResult::AllSynced);
    }
    // Direct and through the proxy are different token URLs: one token each.
    CHECK(tokensIssued(site) - before == 2);
    auto stored = tokens->load(site.proxyUrl() + "/oauth/token", "kiosk");  // the last one kept
    REQUIRE(stored);
    const std::int64_t life = stored->reuseUntilUnixMs - stored->issuedAtUnixMs;
    CHECK(life >= 1600'000);
    CHECK(life <= 1625'000);

    // Without a shared token, each process asks for its own: the server's limit shows.
    behave(site, {{"maxLiveTokens", 3}, {"expiresAs", ""}});
    std::optional<PassReport> refused;
    for (int i = 0; i < 3 && !refused; ++i) {
        auto engine = SyncEngine::create(site.config(site.proxyUrl()), site.dir.path / "kiosk.db", nullptr);
        REQUIRE(engine.ok());
        auto report = (*engine)->runOnePass();
        if (report.result != PassResult::AllSynced) refused = report;
    }
    REQUIRE(refused);
    CHECK(refused->result == PassResult::TokensRefused);
    CHECK(refused->result == PassResult::TokensRefused);
    CHECK(refused->message.find("the state's server refuses more tokens for this client") != std::string::npos);
}

// --- A rural link: stalls, outages and HTTP/2 (docs/architecture.md, the upload stream) ---

namespace {

// The proxy's request log ("METHOD /path outcome", in arrival order).
std::vector<std::string> proxyLog(Site& site) {
    auto r = site.control->performOne({transport::Method::Get, site.proxyUrl() + "/_proxy/log", {}, {}});
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return nlohmann::json::parse(r->body).get<std::vector<std::string>>();
}

// The first entry at or after `from` that starts with `prefix` and ends with `suffix`; -1 if none.
long findEntry(const std::vector<std::string>& log, std::string_view prefix, std::string_view suffix, long from = 0) {
    for (auto i = static_cast<std::size_t>(std::max(0L, from)); i < log.size(); ++i)
        if (log[i].starts_with(prefix) && log[i].ends_with(suffix)) return static_cast<long>(i);
    return -1;
}

long countEntries(const std::vector<std::string>& log, std::string_view prefix, std::string_view suffix) {
    return std::count_if(log.begin(), log.end(), [&](const std::string& e) { return e.starts_with(prefix) && e.ends_with(suffix); });
}

// A transport whose stall detector fires quickly (loopback answers in ms).
std::unique_ptr<transport::CurlTransport> quickTransport(const Site& site) {
    transport::TransportOptions o;
    o.caBundle = site.ca;
    o.stallTimeout = 400ms;
    o.probeTimeout = 600ms;
    o.totalTimeout = 60s;  // only the stall detector may end a held request
    o.probeUrl = site.proxyUrl() + "/";
    auto t = transport::CurlTransport::create(o);
    REQUIRE(t.ok());
    return std::make_unique<transport::CurlTransport>(std::move(*t));
}

std::vector<transport::Request> upserts(Session& session, const std::string& token, int from, int count) {
    std::vector<transport::Request> batch;
    for (int i = from; i < from + count; ++i) batch.push_back(session.upsertRequest("studentAssessments", Kiosk::body(i, 1), token));
    return batch;
}

} // namespace

TEST_CASE("a stall on a live link: the probe answers on a new connection and the stalled requests go once more") {
    Site site;
    auto http = quickTransport(site);
    SystemClock clock;
    Session session(site.proxyUrl(), Credentials{"kiosk", "kiosk-secret"}, *http, clock);
    auto token = session.token();
    REQUIRE(token.ok());

    // The next four requests get no answer (a connection that died quietly); the rest pass.
    site.proxyMode({{"mode", "fault"}, {"fault", "stall"}, {"count", 4}, {"stallSeconds", 60}});
    auto outcomes = http->performAll(upserts(session, *token, 0, 4));
    for (const auto& o : outcomes) {
        REQUIRE(o.ok());
        CHECK(o->status == 201);
    }
    auto stats = http->stats();
    CHECK(stats.stalls == 1);
    CHECK(stats.probes == 1);
    CHECK(stats.probesAnswered == 1);
    CHECK(stats.resent == 4);
    CHECK(stats.linkDowns == 0);

    // Order on the wire: four stalled POSTs, then the probe, then the four again.
    auto log = proxyLog(site);
    const long probe = findEntry(log, "HEAD / ", "");  // any answer (the double says 405) proves the link
    INFO("proxy log: " << nlohmann::json(log).dump());
    REQUIRE(probe >= 0);
    CHECK(countEntries(log, "POST /data/v3/ed-fi/studentAssessments", "fault stall") == 4);
    CHECK(findEntry(log, "POST /data/v3/ed-fi/studentAssessments", "fault stall", probe) == -1);
    CHECK(countEntries(log, "POST /data/v3/ed-fi/studentAssessments", " 201") == 4);
    CHECK(findEntry(log, "POST /data/v3/ed-fi/studentAssessments", " 201") > probe);
    // The stalled requests never reached the double: each record stored once.
    auto received = site.received("studentAssessments");
    CHECK(received.at("records").size() == 4);
    CHECK(received.at("totalPosts") == 4);
}

TEST_CASE("a dead link: the stalled requests fail as LinkDown after an unanswered probe, and the next batch goes through") {
    Site site;
    auto http = quickTransport(site);
    SystemClock clock;
    Session session(site.proxyUrl(), Credentials{"kiosk", "kiosk-secret"}, *http, clock);
    auto token = session.token();
    REQUIRE(token.ok());

    site.proxyMode({{"mode", "blackhole"}});
    auto outcomes = http->performAll(upserts(session, *token, 0, 3));
    for (const auto& o : outcomes) {
        REQUIRE_FALSE(o.ok());
        CHECK(o.error().kind == transport::FailureKind::LinkDown);
    }
    auto stats = http->stats();
    CHECK(stats.stalls == 1);
    CHECK(stats.probes == 1);
    CHECK(stats.probesAnswered == 0);
    CHECK(stats.linkDowns == 1);
    auto log = proxyLog(site);
    const long firstHeld = findEntry(log, "POST /data/v3/ed-fi/studentAssessments", " held");
    REQUIRE(firstHeld >= 0);
    CHECK(findEntry(log, "HEAD /", " held", firstHeld) > firstHeld);

    // The link is back: the same transport (its dead connections gone) delivers.
    site.proxyMode({{"mode", "pass"}});
    auto again = http->performAll(upserts(session, *token, 0, 3));
    for (const auto& o : again) {
        REQUIRE(o.ok());
        CHECK(o->status == 201);
    }
    CHECK(site.received("studentAssessments").at("totalPosts") == 3);
}

TEST_CASE("an outage mid-drain: offline after a stall and an unanswered probe - after the return every record is stored once") {
    Site site;
    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    SyncConfig config = site.config(site.proxyUrl());
    config.requestTimeout = 60s;  // only the stall detector may notice the outage
    config.stallTimeout = 400ms;
    config.probeTimeout = 600ms;
    config.linkProbeInterval = 200ms;
    config.probeBackoff = BackoffPolicy{5'000ms, 60'000ms, 5'000ms};  // a refusal would wait long: silence must not
    auto engine = SyncEngine::create(config, file, nullptr);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->start().ok());

    std::map<int, int> latest;
    for (int i = 0; i < 60; ++i) {
        kiosk.write(i, 1);
        latest[i] = 1;
    }
    (*engine)->wake();
    REQUIRE(eventually([&] { return kiosk.counts().synced == 60; }, 120s));
    REQUIRE((*engine)->status().connection == SyncStatus::Connection::Online);

    // The link dies, then the kiosk writes more.
    site.proxyMode({{"mode", "blackhole"}});
    for (int i = 60; i < 120; ++i) {
        kiosk.write(i, 1);
        latest[i] = 1;
    }
    (*engine)->wake();
    REQUIRE(eventually([&] { return (*engine)->status().connection == SyncStatus::Connection::Offline; }, 120s));
    auto cut = proxyLog(site);
    const long firstHeld = findEntry(cut, "POST /data/v3/ed-fi/studentAssessments", " held");
    REQUIRE(firstHeld >= 0);
    CHECK(findEntry(cut, "HEAD /", " held", firstHeld) > firstHeld);  // the probe, after the stall
    CHECK(findEntry(cut, "POST /data/v3/ed-fi/studentAssessments", " 201", firstHeld) == -1);
    // While offline the kiosk keeps looking for the link, and sends no record.
    REQUIRE(eventually([&] { return countEntries(proxyLog(site), "", " held") >= countEntries(cut, "", " held") + 2; }, 120s));
    CHECK(kiosk.counts().synced == 60);

    const std::size_t before = proxyLog(site).size();
    site.proxyMode({{"mode", "pass"}});
    REQUIRE(eventually([&] { return kiosk.counts().synced == 120; }, 120s));
    CHECK((*engine)->status().connection == SyncStatus::Connection::Online);
    (*engine)->stop();

    // After the return: a look for the server (discovery) before the first record.
    auto after = proxyLog(site);
    const long look = findEntry(after, "", " 200", static_cast<long>(before));
    const long firstStored = findEntry(after, "POST /data/v3/ed-fi/studentAssessments", " 201", static_cast<long>(before));
    REQUIRE(look >= 0);
    REQUIRE(firstStored >= 0);
    CHECK(look < firstStored);
    // Held requests never reached the double (the proxy never forwards them):
    // every record stored once, at its version. On a loaded machine an answer
    // after the return can take longer than this test's 400 ms stall limit,
    // and the stalled request goes once more (harmless: an upsert on the
    // natural key), so POSTs are counted as at least one per record.
    auto received = site.received("studentAssessments");
    CHECK(received.at("totalPosts").get<int>() >= 120);
    checkReceived(received, latest);
}

TEST_CASE("through an HTTP/2 front (nginx) the kiosk negotiates h2 and stores each record once") {
    if (std::system("command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx") != 0) {
        MESSAGE("nginx is not installed (packaging/install-deps.sh): skipped");
        return;
    }
    Site site;
    auto front = std::make_unique<Child>(std::vector<std::string>{"/bin/bash", H2_FRONT, (site.dir.path / "nginx").string(),
                                                                  (site.dir.path / "certs").string(), std::to_string(site.doublePort)});
    const int frontPort = front->port();
    REQUIRE(frontPort > 0);
    const std::string frontUrl = "https://127.0.0.1:" + std::to_string(frontPort);

    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    std::map<int, int> latest;
    for (int i = 0; i < 200; ++i) {
        kiosk.write(i, 1);
        latest[i] = 1;
    }
    SyncConfig config = site.config(frontUrl);
    config.requestTimeout = 30s;
    transport::TransportOptions options;
    options.caBundle = site.ca;
    options.maxInFlight = 32;
    options.probeUrl = frontUrl + "/";
    auto made = transport::CurlTransport::create(options);
    REQUIRE(made.ok());
    auto http = std::make_unique<transport::CurlTransport>(std::move(*made));
    transport::CurlTransport* wire = http.get();
    SyncEngine engine(config, file, nullptr, std::move(http));
    auto report = engine.runOnePass();
    INFO(report.message);
    CHECK(report.result == PassResult::AllSynced);
    CHECK(report.synced == 200);

    auto stats = wire->stats();
    MESSAGE("h2 front: connections " << stats.connections << ", window " << stats.window << ", completed " << stats.completed);
    CHECK(stats.httpVersion == 2);
    // Streams of one connection, not a connection per request in flight.
    CHECK(stats.connections <= 2);
    CHECK(stats.window > 8);  // the window grew past where it starts
    CHECK(stats.stalls == 0);

    auto received = site.received("studentAssessments");
    CHECK(received.at("totalPosts") == 200);
    checkReceived(received, latest);

    // The same double without the front speaks HTTP/1.1: the version is the server's choice, reported as seen.
    auto direct = site.control->performOne({transport::Method::Get, site.doubleUrl() + "/", {}, {}});
    REQUIRE(direct.ok());
    CHECK(site.control->stats().httpVersion == 1);
}

TEST_CASE("a look that needs only to reach the server completes at its TLS handshake over h2, and the next request reuses that connection") {
    if (std::system("command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx") != 0) {
        MESSAGE("nginx is not installed (packaging/install-deps.sh): skipped");
        return;
    }
    Site site;
    const std::string certs = (site.dir.path / "certs").string();
    auto startFront = [&](const std::string& work, const std::string& certDir, int port) {
        return std::make_unique<Child>(std::vector<std::string>{"/bin/bash", H2_FRONT, (site.dir.path / work).string(), certDir,
                                                                std::to_string(site.doublePort), "127.0.0.1", std::to_string(port)});
    };
    auto front = startFront("nginx", certs, 0);
    const int frontPort = front->port();
    REQUIRE(frontPort > 0);
    const std::string frontUrl = "https://127.0.0.1:" + std::to_string(frontPort) + "/";

    transport::TransportOptions options;
    options.caBundle = site.ca;
    auto made = transport::CurlTransport::create(options);
    REQUIRE(made.ok());
    transport::CurlTransport& wire = *made;
    transport::Request look{transport::Method::Get, frontUrl, {{"Accept", "application/json"}}, {}};
    look.connectWait = transport::ConnectWait::Probe;
    look.doneWhen = transport::DoneWhen::Reached;

    // Before the transport has seen h2 from the server, a look waits for its answer.
    auto first = wire.performOne(look);
    REQUIRE(first.ok());
    CHECK_FALSE(first->reachedOnly);
    CHECK(first->status == 200);
    CHECK(wire.stats().httpVersion == 2);
    // On a connection reused (which proves nothing about the link), too.
    auto reused = wire.performOne(look);
    REQUIRE(reused.ok());
    CHECK_FALSE(reused->reachedOnly);
    CHECK(reused->status == 200);
    CHECK(wire.stats().connections == 1);

    // The server end goes away (as across an outage) and comes back on the same port.
    front.reset();
    front = startFront("nginx-again", certs, frontPort);
    REQUIRE(front->port() == frontPort);
    const auto before = wire.stats();
    auto reached = wire.performOne(look);
    REQUIRE(reached.ok());
    CHECK(reached->reachedOnly);
    CHECK(reached->status == 0);  // no HTTP answer: done at the handshake
    CHECK(reached->body.empty());
    auto after = wire.stats();
    CHECK(after.reached == before.reached + 1);
    CHECK(after.completed == before.completed);
    CHECK(after.connections == before.connections + 1);  // its own new connection
    // The next request goes on that same connection, beside the look's own stream.
    auto next = wire.performOne({transport::Method::Get, frontUrl, {{"Accept", "application/json"}}, {}});
    REQUIRE(next.ok());
    CHECK(next->status == 200);
    CHECK(wire.stats().connections == after.connections);
    CHECK(wire.stats().httpVersion == 2);

    // A server this transport cannot verify is not reached: the handshake fails.
    TempDir otherDir;
    const std::string otherCerts = (otherDir.path / "certs").string();
    REQUIRE(std::system((std::string("sh '") + MAKE_TEST_CERTS + "' '" + otherCerts + "'").c_str()) == 0);
    auto stranger = startFront("nginx-stranger", otherCerts, 0);
    const int strangerPort = stranger->port();
    REQUIRE(strangerPort > 0);
    transport::Request strangeLook = look;
    strangeLook.url = "https://127.0.0.1:" + std::to_string(strangerPort) + "/";
    auto refused = wire.performOne(strangeLook);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == transport::FailureKind::Tls);
    CHECK(wire.stats().reached == after.reached);

    // Over HTTP/1.1 (the double itself, never seen answering over h2) a look
    // waits for its answer on a new connection too: dropping a request there
    // would close the connection the next one needs.
    transport::Request plainLook = look;
    plainLook.url = site.doubleUrl() + "/";
    const auto beforePlain = wire.stats();
    auto answered = wire.performOne(plainLook);
    REQUIRE(answered.ok());
    CHECK_FALSE(answered->reachedOnly);
    CHECK(answered->status == 200);
    CHECK(wire.stats().httpVersion == 1);
    CHECK(wire.stats().connections == beforePlain.connections + 1);
    CHECK(wire.stats().reached == beforePlain.reached);
}

TEST_CASE("a 429 goes back to the caller and is counted - the requests after its Retry-After are stored") {
    Site site;
    auto http = quickTransport(site);
    SystemClock clock;
    Session session(site.proxyUrl(), Credentials{"kiosk", "kiosk-secret"}, *http, clock);
    auto token = session.token();
    REQUIRE(token.ok());
    site.proxyMode({{"mode", "fault"}, {"fault", "429"}, {"count", 1}, {"retryAfter", 1}});
    auto first = http->performAll(upserts(session, *token, 0, 1));
    REQUIRE(first[0].ok());
    CHECK(first[0]->status == 429);
    auto stats = http->stats();
    CHECK(stats.throttled == 1);
    // The caller sends again at once; the transport waits out the Retry-After before starting them.
    auto again = http->performAll(upserts(session, *token, 0, 4));
    for (const auto& o : again) {
        REQUIRE(o.ok());
        CHECK(o->status == 201);
    }
    auto log = proxyLog(site);
    CHECK(countEntries(log, "POST /data/v3/ed-fi/studentAssessments", "fault 429") == 1);
    CHECK(countEntries(log, "POST /data/v3/ed-fi/studentAssessments", " 201") == 4);
    CHECK(http->stats().stalls == 0);
}


namespace {

std::string identity(int i) {
    nlohmann::json doc = nlohmann::json::parse(Kiosk::body(i, 1));
    doc.erase("administrationDate");
    doc.erase("serialNumber");
    return doc.dump();
}

void queueDeletions(Kiosk& kiosk, const std::vector<int>& which) {
    auto tx = sqlite::Transaction::begin(kiosk.db);
    REQUIRE(tx.ok());
    for (int i : which) {
        auto v = outbox::putDeletion(kiosk.db, "studentAssessments", "SA-" + std::to_string(i), identity(i), ++kiosk.seq);
        REQUIRE(v.ok());
        REQUIRE(v->has_value());
    }
    REQUIRE(tx->commit().ok());
}

} // namespace

TEST_CASE("deletions reach the double exactly once through lost answers and random faults, by id or by natural key") {
    Site site;
    auto file = site.dir.path / "kiosk.db";
    Kiosk kiosk(file);
    auto engine = SyncEngine::create(site.config(site.proxyUrl()), file, nullptr);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->start().ok());
    auto drained = [&] {
        return eventually([&] {
            auto c = kiosk.counts();
            return c.pending == 0 && c.needsAttention == 0;
        }, 300s);
    };
    for (int i = 0; i < 12; ++i) kiosk.write(i, 1);
    (*engine)->wake();
    REQUIRE(drained());
    // The POSTs' Location ids are kept; two rows lose theirs, as rows synced
    // before ids were kept have none: those are found by natural key first.
    auto keptId = [&](int i) {
        auto st = outbox::status(kiosk.db, "studentAssessments", "SA-" + std::to_string(i));
        REQUIRE(st.ok());
        REQUIRE(st->has_value());
        return (*st)->resourceId.has_value();
    };
    REQUIRE(keptId(0));
    REQUIRE(kiosk.db.exec("UPDATE outbox SET resource_id = NULL WHERE natural_key IN ('SA-4', 'SA-10');").ok());

    // The first three DELETEs (or lookups) are stored by the double, and their answers lost.
    site.proxyMode({{"mode", "fault"}, {"fault", "commit-drop"}, {"count", 3}});
    queueDeletions(kiosk, {0, 1, 2, 3, 4});
    (*engine)->wake();
    CHECK(drained());
    CHECK(site.proxyStats().at("injectedTotal") == 3);

    // Random resets, stalls, truncations and 5xx for the rest.
    site.proxyMode({{"mode", "random"}, {"rate", 0.3}, {"seed", 11}, {"stallSeconds", 3}, {"retryAfter", 1}});
    queueDeletions(kiosk, {5, 6, 7, 8, 9, 10});
    (*engine)->wake();
    CHECK(drained());
    site.proxyMode({{"mode", "pass"}});

    auto received = site.received("studentAssessments");
    INFO(received.dump());
    CHECK(received.at("totalDeletes") == 11);
    for (int i = 0; i < 12; ++i) {
        CAPTURE(i);
        CHECK(receivedRecord(received, i).at("deletes") == (i < 11 ? 1 : 0));
    }
    for (int i = 0; i < 11; ++i) CHECK_FALSE(keptId(i));

    // Something to report again: re-created by a POST.
    kiosk.write(0, 2);
    (*engine)->wake();
    CHECK(drained());
    (*engine)->stop();
    auto again = site.received("studentAssessments");
    CHECK(receivedRecord(again, 0).at("posts").get<int>() >= 2);
    CHECK(receivedRecord(again, 0).at("body").at("serialNumber") == "v2");
    CHECK(again.at("totalDeletes") == 11);
    CHECK(keptId(0));
}

namespace {

// As the kiosk writes a sitting: with its identity, so the first write is looked up.
void writeGuarded(Kiosk& kiosk, int i, const std::string& serial) {
    nlohmann::json doc = nlohmann::json::parse(Kiosk::body(i, 0));
    doc["serialNumber"] = serial;
    auto tx = sqlite::Transaction::begin(kiosk.db);
    REQUIRE(tx.ok());
    REQUIRE(outbox::put(kiosk.db, "studentAssessments", "SA-" + std::to_string(i), doc.dump(), ++kiosk.seq, identity(i)).ok());
    REQUIRE(tx->commit().ok());
}

outbox::RecordStatus statusOf(Kiosk& kiosk, int i) {
    auto st = outbox::status(kiosk.db, "studentAssessments", "SA-" + std::to_string(i));
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    return **st;
}

} // namespace

TEST_CASE("two kiosks never joined by a hub write the same sittings over TLS: nothing is overwritten at the state") {
    Site site;
    Kiosk x(site.dir.path / "x.db");
    Kiosk y(site.dir.path / "y.db");
    auto engineX = SyncEngine::create(site.config(site.doubleUrl()), site.dir.path / "x.db", nullptr);
    auto engineY = SyncEngine::create(site.config(site.doubleUrl()), site.dir.path / "y.db", nullptr);
    REQUIRE(engineX.ok());
    REQUIRE(engineY.ok());

    // X writes ten sittings first.
    for (int i = 0; i < 10; ++i) writeGuarded(x, i, "x1");
    CHECK((*engineX)->runOnePass().result == PassResult::AllSynced);

    // Y writes the same ten: eight with its own picture, two exactly as X did.
    for (int i = 0; i < 8; ++i) writeGuarded(y, i, "y1");
    for (int i = 8; i < 10; ++i) writeGuarded(y, i, "x1");
    CHECK((*engineY)->runOnePass().result == PassResult::NeedsAttention);
    auto received = site.received("studentAssessments");
    INFO(received.dump());
    CHECK(received.at("records").size() == 10);
    for (int i = 0; i < 10; ++i) {
        CAPTURE(i);
        CHECK(receivedRecord(received, i).at("body").at("serialNumber") == "x1");  // X's, every one
        CHECK(receivedRecord(received, i).at("posts") == 1);                      // Y sent none
    }
    for (int i = 0; i < 8; ++i) {
        auto st = statusOf(y, i);
        CHECK(st.state == outbox::State::NeedsAttention);
        CHECK(st.reply.problemType == outbox::kAlreadyAtServer);
        CHECK(st.lastError.value_or("").find("did not overwrite") != std::string::npos);
    }
    for (int i = 8; i < 10; ++i) CHECK(statusOf(y, i).state == outbox::State::Synced);  // the same record: nothing to send

    // X's later writes carry the ETag of its last one: accepted.
    writeGuarded(x, 0, "x2");
    CHECK((*engineX)->runOnePass().result == PassResult::AllSynced);
    CHECK(receivedRecord(site.received("studentAssessments"), 0).at("body").at("serialNumber") == "x2");

    // A person at Y compares and chooses Y's version of sitting 1; then X's
    // next write of it is refused by the state itself (412), not written over Y's.
    REQUIRE(outbox::retry(y.db, "studentAssessments", "SA-1").ok());
    (void)(*engineY)->runOnePass();
    CHECK(statusOf(y, 1).state == outbox::State::Synced);
    writeGuarded(x, 1, "x2");
    CHECK((*engineX)->runOnePass().result == PassResult::NeedsAttention);
    auto st = statusOf(x, 1);
    CHECK(st.state == outbox::State::NeedsAttention);
    CHECK(st.lastHttpStatus == 412);
    auto after = site.received("studentAssessments");
    CHECK(receivedRecord(after, 1).at("body").at("serialNumber") == "y1");
    CHECK(after.at("records").size() == 10);
}

TEST_CASE("a second process uses the endpoints the first discovered: one discovery GET, no token request, nothing at moved endpoints") {
    Site site;
    auto tokens = std::make_shared<FileTokenStore>(site.dir.path / "state-token.json");
    Kiosk kiosk(site.dir.path / "kiosk.db");
    std::map<int, int> latest;
    auto pass = [&](int first, int count) {
        for (int i = first; i < first + count; ++i) {
            kiosk.write(i, 1);
            latest[i] = 1;
        }
        SyncConfig config = site.config(site.proxyUrl());
        config.tokenStore = tokens;
        auto engine = SyncEngine::create(config, site.dir.path / "kiosk.db", nullptr);
        REQUIRE(engine.ok());
        const std::size_t seenBefore = proxyLog(site).size();
        auto report = (*engine)->runOnePass();
        INFO(report.message);
        CHECK(report.result == PassResult::AllSynced);
        CHECK(report.synced == count);
        auto log = proxyLog(site);
        return std::vector<std::string>(log.begin() + static_cast<std::ptrdiff_t>(seenBefore), log.end());
    };
    auto first = pass(0, 5);
    INFO("first pass: " << nlohmann::json(first).dump());
    CHECK(countEntries(first, "GET / ", "") == 1);
    CHECK(countEntries(first, "POST /oauth/token", "") == 1);

    // The server moved its data API since (a kept URL that answers 404 here).
    auto kept = loadDiscovery(kiosk.db);
    REQUIRE(kept.ok());
    REQUIRE(kept->has_value());
    StoredDiscovery moved = **kept;
    moved.endpoints.dataApi = site.proxyUrl() + "/2025/data/v3/";
    REQUIRE(saveDiscovery(kiosk.db, moved).ok());
    auto second = pass(5, 5);
    INFO("second pass: " << nlohmann::json(second).dump());
    CHECK(countEntries(second, "GET / ", "") == 1);
    CHECK(countEntries(second, "POST /oauth/token", "") == 0);
    CHECK(countEntries(second, "POST /2025/", "") == 0);
    CHECK(countEntries(second, "DELETE /2025/", "") == 0);
    CHECK(loadDiscovery(kiosk.db).value()->endpoints.dataApi == (*kept)->endpoints.dataApi);

    auto third = pass(10, 5);
    INFO("third pass: " << nlohmann::json(third).dump());
    CHECK(countEntries(third, "GET / ", "") == 1);
    CHECK(countEntries(third, "POST /oauth/token", "") == 0);
    CHECK(kiosk.counts().synced == 15);
    checkReceived(site.received("studentAssessments"), latest);
}
