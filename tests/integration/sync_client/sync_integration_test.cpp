// The sync client against the Ed-Fi double over real TLS, through the fault
// proxy. Each case starts its own double and proxy (child processes on free
// ports) with throwaway certificates, and stops them at the end.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include "sync_doctest.hpp"

#include "sync/edfi/engine.hpp"
#include "sync/edfi/store.hpp"
#include "sync/transport/curl_transport.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

extern char** environ;

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

// A child process whose first stdout line names its port; stopped with SIGTERM.
class Child {
public:
    explicit Child(const std::vector<std::string>& args) {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        int rc = posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(fds[1]);
        m_out = fds[0];
        REQUIRE(rc == 0);
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Reads "listening on https://127.0.0.1:PORT"; -1 if it never comes.
    int port(std::chrono::seconds limit = 20s) {
        std::string text;
        auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{m_out, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            ssize_t n = read(m_out, buf, sizeof buf);
            if (n <= 0) return -1;
            text.append(buf, static_cast<std::size_t>(n));
            auto at = text.find("https://127.0.0.1:");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos)
                return std::stoi(text.substr(at + 18));
        }
        return -1;
    }
    void stop() {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_pid = -1;
        }
        if (m_out >= 0) {
            close(m_out);
            m_out = -1;
        }
    }

private:
    pid_t m_pid = -1;
    int m_out = -1;
};

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return pred();
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
    bool drained = eventually([&] {
        auto c = kiosk.counts();
        return c.pending == 0 && c.needsAttention == 0;
    }, 600s);
    auto status = (*engine)->status();
    INFO("last error: " << status.lastError);
    CHECK(drained);
    (*engine)->stop();

    auto c = kiosk.counts();
    CHECK(c.synced == 1000);
    CHECK(c.pending == 0);
    CHECK(c.needsAttention == 0);
    checkReceived(site.received("studentAssessments"), latest);
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

const nlohmann::json& receivedRecord(const nlohmann::json& received, int i) {
    for (const auto& r : received.at("records"))
        if (r.at("body").at("studentAssessmentIdentifier") == "SA-" + std::to_string(i)) return r;
    FAIL("no record SA-" << i);
    throw std::logic_error("unreachable");
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
