// The sync engine's worker and its one-pass form, against the in-memory
// Ed-Fi model over a real database file (WAL, two connections).
#include "sync/edfi/engine.hpp"
#include "sync/edfi/store.hpp"
#include "sync/edfi/token_file.hpp"
#include "sync_fakes.hpp"

#include "sync_doctest.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace edsync;
using namespace edsync::edfi;
using namespace edsync::testing;
using namespace std::chrono_literals;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "sync-engine-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

SyncConfig testConfig() {
    SyncConfig c;
    c.baseUrl = FakeEdfi::kBase;
    c.clientKey = "kiosk";
    c.clientSecret = "kiosk-secret";
    c.concurrency = 4;
    c.idleRecheck = 3'600'000ms;  // only wake() or a due time may start a round
    c.probeBackoff = BackoffPolicy{20ms, 100ms, 10ms};
    c.durability = sqlite::Durability::Normal;
    return c;
}

struct Kiosk {
    sqlite::Database db;
    std::int64_t seq = 0;
    explicit Kiosk(const std::filesystem::path& file) : db(sqlite::Database::open(file, sqlite::Durability::Normal).value()) {
        REQUIRE(outbox::migrate(db).ok());
    }
    void write(const std::string& key, int v, bool invalid = false) {
        nlohmann::json doc{{"naturalKey", key}, {"v", v}};
        if (invalid) doc["invalid"] = true;
        auto tx = sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        REQUIRE(outbox::put(db, "studentAssessments", key, doc.dump(), ++seq).ok());
        REQUIRE(tx->commit().ok());
    }
    outbox::Counts counts() { return *outbox::counts(db); }
};

} // namespace

TEST_CASE("the worker drains what the kiosk commits, woken after each commit") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    auto http = std::make_unique<FakeHttp>(server.handler());
    SyncEngine engine(testConfig(), file, nullptr, std::move(http));
    REQUIRE(engine.start().ok());
    for (int i = 0; i < 50; ++i) {
        kiosk.write("k" + std::to_string(i), 1);
        engine.wake();
    }
    CHECK(eventually([&] { return kiosk.counts().synced == 50; }));
    CHECK(server.storedCount("studentAssessments") == 50);
    CHECK(eventually([&] { return engine.status().counts.synced == 50; }));
    auto s = engine.status();
    CHECK(s.connection == SyncStatus::Connection::Online);
    CHECK(s.running);
    CHECK(s.lastContactUnixMs.has_value());
    CHECK(server.tokensIssued() == 1);
    engine.stop();
    CHECK_FALSE(engine.status().running);
}

TEST_CASE("the status snapshot reports clock skew from the server's Date header") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    SystemClock realClock;
    FakeEdfi server;
    server.clock = &realClock;
    server.dateSkewMs = 10 * 60 * 1000;  // the server is 10 minutes ahead
    SyncEngine engine(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    kiosk.write("k", 1);
    engine.wake();
    REQUIRE(eventually([&] { return engine.status().clockOffsetMs.has_value(); }));
    auto s = engine.status();
    CHECK(*s.clockOffsetMs > 9 * 60 * 1000);
    CHECK(*s.clockOffsetMs < 11 * 60 * 1000);
    CHECK(s.clockWarning);
    engine.stop();

    // Remembered across restarts (the contact table).
    auto db = sqlite::Database::open(file);
    REQUIRE(db.ok());
    auto contact = loadContact(*db);
    REQUIRE(contact.ok());
    CHECK(contact->clockOffsetMs.has_value());
}

TEST_CASE("when the network returns, the backlog drains at once rather than after each backoff") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    std::atomic<bool> offline{false};
    server.before = [&](const transport::Request&) -> std::optional<transport::Outcome> {
        if (offline) return noAnswer(transport::FailureKind::Connect, 7);
        return std::nullopt;
    };
    SyncConfig config = testConfig();
    // Records back off for at least five minutes: only the expedite can send them sooner.
    config.backoff = BackoffPolicy{600'000ms, 3'600'000ms, 300'000ms};
    SyncEngine engine(config, file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    kiosk.write("first", 1);
    engine.wake();
    REQUIRE(eventually([&] { return kiosk.counts().synced == 1; }));

    offline = true;
    for (int i = 0; i < 20; ++i) kiosk.write("k" + std::to_string(i), 1);
    engine.wake();
    REQUIRE(eventually([&] { return engine.status().connection == SyncStatus::Connection::Offline; }));
    auto waiting = outbox::status(kiosk.db, "studentAssessments", "k0");
    REQUIRE(waiting.ok());
    CHECK((*waiting)->attempts >= 1);  // it was tried, and now waits on a long backoff
    CHECK(engine.status().lastError.find("cannot connect") != std::string::npos);

    offline = false;
    CHECK(eventually([&] { return kiosk.counts().synced == 21; }));
    CHECK(engine.status().connection == SyncStatus::Connection::Online);
    engine.stop();
}

TEST_CASE("a 10,000-record backlog written offline drains without a restart") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    std::atomic<bool> offline{true};
    server.before = [&](const transport::Request&) -> std::optional<transport::Outcome> {
        if (offline) return noAnswer(transport::FailureKind::Resolve, 6);
        return std::nullopt;
    };
    SyncConfig config = testConfig();
    config.concurrency = 8;
    SyncEngine engine(config, file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    {
        auto tx = sqlite::Transaction::begin(kiosk.db);
        for (int i = 0; i < 10'000; ++i)
            REQUIRE(outbox::put(kiosk.db, "studentAssessments", "k" + std::to_string(i),
                                nlohmann::json{{"naturalKey", "k" + std::to_string(i)}, {"v", 1}}.dump(), ++kiosk.seq).ok());
        REQUIRE(tx->commit().ok());
    }
    engine.wake();
    REQUIRE(eventually([&] { return engine.status().connection == SyncStatus::Connection::Offline; }));
    offline = false;
    CHECK(eventually([&] { return kiosk.counts().synced == 10'000; }, 120s));
    CHECK(server.storedCount("studentAssessments") == 10'000);
    CHECK(kiosk.counts().pending == 0);
    engine.stop();
}

TEST_CASE("the status follows a long drain: counts and rate move before it ends") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    {
        auto tx = sqlite::Transaction::begin(kiosk.db);
        for (int i = 0; i < 3'000; ++i)
            REQUIRE(outbox::put(kiosk.db, "studentAssessments", "k" + std::to_string(i),
                                nlohmann::json{{"naturalKey", "k" + std::to_string(i)}, {"v", 1}}.dump(), ++kiosk.seq).ok());
        REQUIRE(tx->commit().ok());
    }
    FakeEdfi server;
    std::atomic<int> posts{0};
    std::atomic<bool> seenMidDrain{false};
    SyncEngine* engine = nullptr;
    server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        // Two thirds through, the drain waits here until a status reader sees its progress.
        if (r.method == transport::Method::Post && r.url.find("/data/") != std::string::npos && ++posts == 2'000)
            seenMidDrain = eventually([&] {
                auto s = engine->status();
                return s.counts.synced >= 1'000 && s.counts.pending > 0 && s.drainRatePerSecond > 0;
            });
        return std::nullopt;
    };
    SyncEngine e(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    engine = &e;
    REQUIRE(e.start().ok());
    e.wake();
    CHECK(eventually([&] { return kiosk.counts().synced == 3'000; }));
    CHECK(seenMidDrain.load());
    CHECK(eventually([&] { return e.status().counts.synced == 3'000 && e.status().counts.pending == 0; }));
    e.stop();
}

TEST_CASE("after a crash, claims left in flight are handed back and sent") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    for (int i = 0; i < 10; ++i) kiosk.write("k" + std::to_string(i), 1);
    REQUIRE(outbox::claimDue(kiosk.db, INT64_MAX, 100).ok());  // a worker claimed them, then died
    CHECK(kiosk.counts().inFlight == 10);
    FakeEdfi server;
    SyncEngine engine(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    CHECK(eventually([&] { return kiosk.counts().synced == 10; }));
    engine.stop();
}

TEST_CASE("stop() mid-drain leaves nothing in flight and a restart finishes the job") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    for (int i = 0; i < 200; ++i) kiosk.write("k" + std::to_string(i), 1);
    FakeEdfi server;
    server.before = [](const transport::Request&) -> std::optional<transport::Outcome> {
        std::this_thread::sleep_for(2ms);
        return std::nullopt;
    };
    {
        SyncEngine engine(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
        REQUIRE(engine.start().ok());
        engine.wake();
        REQUIRE(eventually([&] { return kiosk.counts().synced >= 20; }));
        engine.stop();
    }
    auto c = kiosk.counts();
    CHECK(c.inFlight == 0);
    CHECK(c.synced + c.pending == 200);
    SyncEngine again(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(again.start().ok());
    CHECK(eventually([&] { return kiosk.counts().synced == 200; }));
    again.stop();
    for (int i = 0; i < 200; ++i) CHECK(server.posts("studentAssessments", "k" + std::to_string(i)) >= 1);
}

TEST_CASE("refused credentials show as such in the status") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    kiosk.write("k", 1);
    FakeEdfi server;
    server.rejectCredentials = true;
    SyncEngine engine(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    REQUIRE(eventually([&] { return engine.status().connection == SyncStatus::Connection::AuthFailed; }));
    CHECK(engine.status().lastError.find("invalid_client") != std::string::npos);
    CHECK(kiosk.counts().pending == 1);
    engine.stop();
}

TEST_CASE("runOnePass maps outcomes to exit codes") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    std::atomic<bool> offline{false};
    std::atomic<bool> conflict{false};
    server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (offline) return noAnswer();
        if (conflict && r.method == transport::Method::Post && r.url.find("/data/") != std::string::npos)
            return respond(409, R"({"type":"urn:ed-fi:api:data-conflict:unresolved-reference","detail":"missing Student"})");
        return std::nullopt;
    };
    SyncEngine engine(testConfig(), file, nullptr, std::make_unique<FakeHttp>(server.handler()));

    SUBCASE("all synced") {
        for (int i = 0; i < 40; ++i) kiosk.write("k" + std::to_string(i), 1);
        std::vector<PassProgress::Phase> phases;
        auto report = engine.runOnePass([&](const PassProgress& p) { phases.push_back(p.phase); });
        CHECK(report.result == PassResult::AllSynced);
        CHECK(report.synced == 40);
        CHECK(phases.front() == PassProgress::Phase::Connecting);
        CHECK(phases.back() == PassProgress::Phase::Done);
        CHECK(std::count(phases.begin(), phases.end(), PassProgress::Phase::Uploading) >= 2);
    }
    SUBCASE("needs attention") {
        kiosk.write("good", 1);
        kiosk.write("bad", 1, true);
        auto report = engine.runOnePass();
        CHECK(report.result == PassResult::NeedsAttention);
        CHECK(report.counts.needsAttention == 1);
        CHECK(report.counts.synced == 1);
    }
    SUBCASE("some pending") {
        conflict = true;
        kiosk.write("k", 1);
        auto report = engine.runOnePass();
        CHECK(report.result == PassResult::SomePending);
        CHECK(report.message.find("missing Student") != std::string::npos);
    }
    SUBCASE("offline") {
        offline = true;
        kiosk.write("k", 1);
        auto report = engine.runOnePass();
        CHECK(report.result == PassResult::Offline);
    }
    SUBCASE("auth failure") {
        server.rejectCredentials = true;
        kiosk.write("k", 1);
        auto report = engine.runOnePass();
        CHECK(report.result == PassResult::AuthFailure);
    }
    SUBCASE("refuses to run beside the worker") {
        REQUIRE(engine.start().ok());
        auto report = engine.runOnePass();
        CHECK(report.message.find("running") != std::string::npos);
        engine.stop();
    }
}

TEST_CASE("runOnePass also pulls, and the configuration is checked") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    for (int i = 0; i < 30; ++i) server.upsertItem("students", "s" + std::to_string(i), {{"v", 1}});
    struct CountingSink final : PullSink {
        int items = 0;
        sqlite::Status apply(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>& page) override {
            items += static_cast<int>(page.size());
            return {};
        }
        sqlite::Status applyDeletes(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>&) override { return {}; }
    } sink;
    SyncConfig config = testConfig();
    config.pullResources = {{"students"}};
    SyncEngine engine(config, file, &sink, std::make_unique<FakeHttp>(server.handler()));
    auto report = engine.runOnePass();
    CHECK(report.result == PassResult::AllSynced);
    REQUIRE(report.pull.has_value());
    CHECK(report.pull->complete());
    CHECK(sink.items == 30);

    SyncConfig plain = testConfig();
    plain.baseUrl = "http://edfi.test/api";
    SyncEngine insecure(plain, file, nullptr, std::make_unique<FakeHttp>(server.handler()));
    auto refused = insecure.start();
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("https://") != std::string::npos);
}

TEST_CASE("the worker pulls on start and when asked") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    for (int i = 0; i < 10; ++i) server.upsertItem("students", "s" + std::to_string(i), {{"v", 1}});
    struct CountingSink final : PullSink {
        std::atomic<int> items{0};
        sqlite::Status apply(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>& page) override {
            items += static_cast<int>(page.size());
            return {};
        }
        sqlite::Status applyDeletes(sqlite::Database&, std::string_view, const std::vector<nlohmann::json>&) override { return {}; }
    } sink;
    SyncConfig config = testConfig();
    config.pullResources = {{"students"}};
    SyncEngine engine(config, file, &sink, std::make_unique<FakeHttp>(server.handler()));
    REQUIRE(engine.start().ok());
    CHECK(eventually([&] { return sink.items.load() == 10; }));
    CHECK(eventually([&] { return engine.status().lastPullUnixMs.has_value(); }));
    server.upsertItem("students", "s99", {{"v", 1}});
    engine.requestPull();
    CHECK(eventually([&] { return sink.items.load() == 11; }));
    engine.stop();
}

namespace {

// An engine syncs one record; then the link goes silent while five more are
// written, and comes back with the fourth look, which gets `returned` (none:
// the server's own answer). What went on the wire, and what the server saw.
struct Outage {
    std::vector<transport::Request> log;
    std::size_t cut = 0;  // the first request after the link went silent
    std::vector<std::size_t> looks;  // the looks for the server from `cut` on
    int tokensIssued = 0;
    std::vector<int> posts;  // of k0 ... k4
    SyncStatus::Connection connection = SyncStatus::Connection::Unknown;
    std::string discovery;

    bool isLook(const transport::Request& r) const { return r.url == discovery; }
    static bool isToken(const transport::Request& r) { return r.url.find("/oauth/token") != std::string::npos; }
};

Outage silentThenBack(std::function<std::optional<transport::Outcome>()> returned) {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    Outage out;
    out.discovery = std::string(FakeEdfi::kBase) + "/";
    std::atomic<bool> silent{false};
    int unanswered = 0;  // the engine's thread only
    server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (!silent) return std::nullopt;
        if (r.url == out.discovery && ++unanswered == 4) {
            silent = false;
            return returned ? returned() : std::nullopt;
        }
        return noAnswer(transport::FailureKind::Timeout, transport::kCurlTimedOut);
    };
    SyncConfig config = testConfig();
    config.linkProbeInterval = 10ms;
    // Records back off for at least five minutes: only the return can send them sooner.
    config.backoff = BackoffPolicy{600'000ms, 3'600'000ms, 300'000ms};
    auto http = std::make_unique<FakeHttp>(server.handler());
    FakeHttp& wire = *http;
    SyncEngine engine(config, file, nullptr, std::move(http));
    REQUIRE(engine.start().ok());
    kiosk.write("first", 1);
    engine.wake();
    REQUIRE(eventually([&] { return kiosk.counts().synced == 1; }));

    out.cut = wire.log().size();
    silent = true;
    for (int i = 0; i < 5; ++i) kiosk.write("k" + std::to_string(i), 1);
    engine.wake();
    REQUIRE(eventually([&] { return kiosk.counts().synced == 6; }));
    out.connection = engine.status().connection;
    engine.stop();

    out.log = wire.log();
    for (std::size_t i = out.cut; i < out.log.size(); ++i)
        if (out.isLook(out.log[i])) out.looks.push_back(i);
    out.tokensIssued = server.tokensIssued();
    for (int i = 0; i < 5; ++i) out.posts.push_back(server.posts("studentAssessments", "k" + std::to_string(i)));
    return out;
}

} // namespace

TEST_CASE("a silent link: every look gives up its connection request soon, and the first answered look is followed at once by the drain") {
    const Outage o = silentThenBack({});
    const auto& log = o.log;
    auto isRecord = [](const transport::Request& r) { return r.method == transport::Method::Post && r.url.find("studentAssessments") != std::string::npos; };
    CHECK(o.connection == SyncStatus::Connection::Online);
    // Four looks, each with the short connection wait; the fourth was answered.
    REQUIRE(o.looks.size() == 4);
    for (std::size_t i : o.looks) CHECK(log[i].connectWait == transport::ConnectWait::Probe);
    // While the link was silent no record was sent between the looks.
    for (std::size_t i = o.looks.front(); i < o.looks.back(); ++i) CHECK_FALSE(isRecord(log[i]));
    // After the answered look: the drain at once (no token asked again, no
    // other look), with the ordinary connection wait.
    REQUIRE(o.looks.back() + 1 < log.size());
    for (std::size_t i = o.looks.back() + 1; i < log.size(); ++i) {
        CHECK_FALSE(o.isLook(log[i]));
        CHECK_FALSE(Outage::isToken(log[i]));
        CHECK(log[i].connectWait == transport::ConnectWait::Full);
    }
    CHECK(log[o.looks.back() + 1].url.find("studentAssessments") != std::string::npos);  // a write or its lookup
    CHECK(o.tokensIssued == 1);
    for (int p : o.posts) CHECK(p >= 1);
}

TEST_CASE("back from silence with the discovery and a live token held: a look that reached the server is followed at once by the drain, with no discovery GET") {
    // The link returns with the fourth look: its TLS handshake completes and
    // the transport drops the request, as CurlTransport does over HTTP/2.
    const Outage o = silentThenBack([] {
        transport::Response reached;
        reached.reachedOnly = true;
        return std::optional<transport::Outcome>(transport::Outcome(std::move(reached)));
    });
    const auto& log = o.log;
    CHECK(o.connection == SyncStatus::Connection::Online);
    // The cold start had neither a discovery nor a token: its look was the
    // token request (with the short connection wait), and the discovery GET
    // came first in the drain's first flight, a whole answer.
    REQUIRE(log.size() >= 2);
    CHECK(Outage::isToken(log[0]));
    CHECK(log[0].connectWait == transport::ConnectWait::Probe);
    REQUIRE(o.isLook(log[1]));
    CHECK(log[1].doneWhen == transport::DoneWhen::Answered);
    // Four looks into the outage, each a probe that needs only to reach the server.
    REQUIRE(o.looks.size() == 4);
    for (std::size_t i : o.looks) {
        CHECK(log[i].connectWait == transport::ConnectWait::Probe);
        CHECK(log[i].doneWhen == transport::DoneWhen::Reached);
    }
    // After the look that reached the server: the drain at once, no discovery GET, no token.
    REQUIRE(o.looks.back() + 1 < log.size());
    CHECK(log[o.looks.back() + 1].url.find("studentAssessments") != std::string::npos);
    for (std::size_t i = o.looks.back() + 1; i < log.size(); ++i) {
        CHECK_FALSE(o.isLook(log[i]));
        CHECK_FALSE(Outage::isToken(log[i]));
        CHECK(log[i].doneWhen == transport::DoneWhen::Answered);
    }
    CHECK(o.tokensIssued == 1);
    for (int p : o.posts) CHECK(p == 1);
}

TEST_CASE("a look asks only to reach the server when the session holds the discovery and a live token, else for the whole answer") {
    FakeEdfi server;
    FakeHttp http(server.handler());
    FakeClock clock;
    Session session(FakeEdfi::kBase, Credentials{"kiosk", "kiosk-secret"}, http, clock);
    const std::string discovery = std::string(FakeEdfi::kBase) + "/";
    auto lastLook = [&] {
        auto log = http.log();
        REQUIRE_FALSE(log.empty());
        REQUIRE(log.back().url == discovery);
        return log.back();
    };
    // Cold: no discovery yet.
    REQUIRE(session.lookForServer().ok());
    CHECK(lastLook().doneWhen == transport::DoneWhen::Answered);
    CHECK(lastLook().connectWait == transport::ConnectWait::Probe);
    CHECK(session.discovered());
    // The discovery, but no token yet.
    REQUIRE(session.lookForServer().ok());
    CHECK(lastLook().doneWhen == transport::DoneWhen::Answered);
    REQUIRE(session.token().ok());
    REQUIRE(session.lookForServer().ok());
    CHECK(lastLook().doneWhen == transport::DoneWhen::Reached);
    // The token's reuse time is over: the whole look again.
    clock.advance(2 * 3600 * 1000);
    REQUIRE(session.lookForServer().ok());
    CHECK(lastLook().doneWhen == transport::DoneWhen::Answered);
    // A look that reached the server, with no answer at all, succeeds.
    REQUIRE(session.token().ok());
    server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.doneWhen != transport::DoneWhen::Reached) return std::nullopt;
        transport::Response reached;
        reached.reachedOnly = true;
        return transport::Outcome(std::move(reached));
    };
    CHECK(session.lookForServer().ok());
    // Silence is still silence.
    server.before = [](const transport::Request&) -> std::optional<transport::Outcome> {
        return noAnswer(transport::FailureKind::Timeout, transport::kCurlTimedOut);
    };
    auto silent = session.lookForServer();
    REQUIRE_FALSE(silent.ok());
    CHECK(silent.error().kind == ApiError::Kind::Offline);
}

namespace {

std::size_t discoveryGets(const std::vector<transport::Request>& log) {
    return static_cast<std::size_t>(std::count_if(log.begin(), log.end(), [](const transport::Request& r) {
        return r.method == transport::Method::Get && r.url == std::string(FakeEdfi::kBase) + "/";
    }));
}

std::size_t tokenPosts(const std::vector<transport::Request>& log) {
    return static_cast<std::size_t>(
        std::count_if(log.begin(), log.end(), [](const transport::Request& r) { return r.url.find("/oauth/token") != std::string::npos; }));
}

} // namespace

TEST_CASE("a pass keeps the server's endpoints for the next process, whose first flight carries the discovery GET") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    SyncConfig config = testConfig();
    config.tokenStore = std::make_shared<FileTokenStore>(dir.path / "token.json");
    // One process: runs a pass, and is gone.
    auto pass = [&](int first, int count) {
        for (int i = first; i < first + count; ++i) kiosk.write("k" + std::to_string(i), 1);
        auto http = std::make_unique<FakeHttp>(server.handler());
        FakeHttp& seen = *http;
        SyncEngine engine(config, file, nullptr, std::move(http));
        auto report = engine.runOnePass();
        CHECK(report.result == PassResult::AllSynced);
        CHECK(report.synced == count);
        return std::pair{seen.log(), seen.streamLog()};
    };

    // The day's first pass: a token at the default token URL first, then the
    // discovery GET leading the drain's first flight.
    auto [log1, streamed1] = pass(0, 5);
    REQUIRE_FALSE(log1.empty());
    CHECK(log1.front().url == std::string(FakeEdfi::kBase) + "/oauth/token");
    CHECK(discoveryGets(log1) == 1);
    REQUIRE_FALSE(streamed1.empty());
    CHECK(discoveryGets({streamed1.front()}) == 1);
    CHECK(tokenPosts(log1) == 1);
    auto kept = loadDiscovery(kiosk.db);
    REQUIRE(kept.ok());
    REQUIRE(kept->has_value());
    CHECK((*kept)->baseUrl == FakeEdfi::kBase);
    CHECK((*kept)->endpoints.dataApi == std::string(FakeEdfi::kBase) + "/data/v3/");
    CHECK((*kept)->dataModelVersion == "5.1.0");

    SUBCASE("the next process asks once, in the drain's first flight, and for no token") {
        auto [log2, streamed2] = pass(5, 5);
        CHECK(discoveryGets(log2) == 1);
        REQUIRE_FALSE(streamed2.empty());
        CHECK(discoveryGets({streamed2.front()}) == 1);
        CHECK(tokenPosts(log2) == 0);
    }
    SUBCASE("with the token gone, the next process asks for one at the kept token URL, and for the endpoints in the first flight") {
        std::filesystem::remove(dir.path / "token.json");
        auto [log2, streamed2] = pass(5, 5);
        CHECK(tokenPosts(log2) == 1);
        CHECK(discoveryGets(log2) == 1);
        REQUIRE_FALSE(streamed2.empty());
        CHECK(discoveryGets({streamed2.front()}) == 1);
    }
    SUBCASE("a kept token URL the server has moved since: refused there, found by discovery, asked again at the new one") {
        std::filesystem::remove(dir.path / "token.json");
        StoredDiscovery stale = **kept;
        stale.endpoints.oauthToken = std::string(FakeEdfi::kBase) + "/old/oauth/token";
        REQUIRE(saveDiscovery(kiosk.db, stale).ok());
        auto [log2, streamed2] = pass(5, 5);
        std::vector<std::string> tokenUrls;
        for (const auto& r : log2)
            if (r.url.find("/oauth/token") != std::string::npos) tokenUrls.push_back(r.url);
        CHECK(tokenUrls == std::vector<std::string>{stale.endpoints.oauthToken, std::string(FakeEdfi::kBase) + "/oauth/token"});
        CHECK(loadDiscovery(kiosk.db).value()->endpoints.oauthToken == std::string(FakeEdfi::kBase) + "/oauth/token");
        CHECK(kiosk.counts().synced == 10);
    }
    SUBCASE("endpoints the server has moved since are replaced, and nothing is written to the old ones") {
        StoredDiscovery stale = **kept;
        stale.endpoints.dataApi = std::string(FakeEdfi::kBase) + "/2025/data/v3/";
        REQUIRE(saveDiscovery(kiosk.db, stale).ok());
        auto [log2, streamed2] = pass(5, 5);
        for (const auto& r : log2) CHECK(r.url.find("/2025/") == std::string::npos);
        CHECK(loadDiscovery(kiosk.db).value()->endpoints.dataApi == std::string(FakeEdfi::kBase) + "/data/v3/");
        CHECK(kiosk.counts().synced == 10);
    }
    SUBCASE("endpoints kept for another base URL, or kept too long ago, are not used") {
        StoredDiscovery other = **kept;
        SUBCASE("another base URL") { other.baseUrl = "https://elsewhere.test/api"; }
        SUBCASE("eight days ago") { other.savedUnixMs -= 8LL * 24 * 3600 * 1000; }
        SUBCASE("a URL on another host (a damaged or altered file): no token goes there") {
            other.endpoints.dataApi = "https://elsewhere.test/api/data/v3/";
        }
        SUBCASE("a URL on another port") { other.endpoints.oauthToken = "https://edfi.test:8443/api/oauth/token"; }
        REQUIRE(saveDiscovery(kiosk.db, other).ok());
        auto [log2, streamed2] = pass(5, 5);
        // The defaults are assumed instead, as on a first pass.
        CHECK(discoveryGets(log2) == 1);
        REQUIRE_FALSE(streamed2.empty());
        CHECK(discoveryGets({streamed2.front()}) == 1);
        for (const auto& r : log2) CHECK(r.url.starts_with(FakeEdfi::kBase));
        CHECK(loadDiscovery(kiosk.db).value()->baseUrl == FakeEdfi::kBase);
        CHECK(loadDiscovery(kiosk.db).value()->endpoints.dataApi == std::string(FakeEdfi::kBase) + "/data/v3/");
    }
}

TEST_CASE("a server whose token endpoint is not the default: the first pass's token request finds it by discovery, and the next pass asks there") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    server.tokenPath = "/connect/token";
    const std::string defaultUrl = std::string(FakeEdfi::kBase) + "/oauth/token";
    const std::string serverUrl = std::string(FakeEdfi::kBase) + "/connect/token";
    SyncConfig config = testConfig();
    auto pass = [&](int first) {
        for (int i = first; i < first + 3; ++i) kiosk.write("k" + std::to_string(i), 1);
        auto http = std::make_unique<FakeHttp>(server.handler());
        FakeHttp& seen = *http;
        SyncEngine engine(config, file, nullptr, std::move(http));
        CHECK(engine.runOnePass().result == PassResult::AllSynced);
        std::vector<std::string> urls;
        for (const auto& r : seen.log())
            if (r.method != transport::Method::Get || r.url == std::string(FakeEdfi::kBase) + "/") urls.push_back(r.url);
        return urls;
    };
    // The default token URL answers 404: the discovery GET, then the token where it says.
    auto first = pass(0);
    REQUIRE(first.size() >= 3);
    CHECK(first[0] == defaultUrl);
    CHECK(first[1] == std::string(FakeEdfi::kBase) + "/");
    CHECK(first[2] == serverUrl);
    CHECK(std::count(first.begin(), first.end(), defaultUrl) == 1);
    CHECK(kiosk.counts().synced == 3);
    // The next process (no token kept) asks at the kept token URL straight away.
    auto second = pass(3);
    REQUIRE_FALSE(second.empty());
    CHECK(second.front() == serverUrl);
    CHECK(std::count(second.begin(), second.end(), defaultUrl) == 0);
    CHECK(kiosk.counts().synced == 6);
}

TEST_CASE("the worker's first look is the token request when it needs one, and after it goes unanswered the looks are discovery GETs") {
    TempDir dir;
    auto file = dir.path / "kiosk.db";
    Kiosk kiosk(file);
    FakeEdfi server;
    const std::string discovery = std::string(FakeEdfi::kBase) + "/";
    auto isToken = [](const transport::Request& r) { return r.url.find("/oauth/token") != std::string::npos; };
    SyncConfig config = testConfig();
    config.linkProbeInterval = 10ms;
    // A worker starts, syncs one record and stops: what went on the wire.
    auto runWorker = [&] {
        kiosk.write("k0", 1);
        auto http = std::make_unique<FakeHttp>(server.handler());
        FakeHttp& wire = *http;
        SyncEngine engine(config, file, nullptr, std::move(http));
        REQUIRE(engine.start().ok());
        REQUIRE(eventually([&] { return kiosk.counts().synced == 1; }));
        engine.stop();
        return wire.log();
    };

    SUBCASE("the link is there: token, then the drain led by the discovery GET") {
        auto log = runWorker();
        REQUIRE(log.size() >= 3);
        CHECK(isToken(log[0]));
        CHECK(log[0].connectWait == transport::ConnectWait::Probe);
        CHECK(log[1].url == discovery);
        CHECK(std::count_if(log.begin(), log.end(), [&](const auto& r) { return r.url == discovery; }) == 1);
        // What the drain confirmed is kept for the next process.
        auto kept = loadDiscovery(kiosk.db);
        REQUIRE(kept.ok());
        REQUIRE(kept->has_value());
        CHECK((*kept)->endpoints.oauthToken == std::string(FakeEdfi::kBase) + "/oauth/token");
    }
    SUBCASE("silent at first: one token request, then looks by discovery GET until the link answers") {
        std::atomic<int> unanswered{0};
        server.before = [&](const transport::Request&) -> std::optional<transport::Outcome> {
            if (unanswered.load() >= 3) return std::nullopt;
            ++unanswered;
            return noAnswer(transport::FailureKind::Timeout, transport::kCurlTimedOut);
        };
        auto log = runWorker();
        REQUIRE(log.size() >= 4);
        CHECK(isToken(log[0]));
        // The next looks are discovery GETs; the token is asked only after one was answered.
        CHECK(log[1].url == discovery);
        CHECK(log[2].url == discovery);
        CHECK(log[3].url == discovery);
        CHECK(std::count_if(log.begin(), log.end(), isToken) == 2);
        CHECK(server.tokensIssued() == 1);
    }
}

