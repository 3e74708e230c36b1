// The per-record state machine of uploads, against the in-memory Ed-Fi model.
#include "sync/edfi/store.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync_fakes.hpp"

#include "sync_doctest.hpp"

#include <cstdlib>
#include <filesystem>

using namespace edsync;
using namespace edsync::edfi;
using namespace edsync::testing;
using namespace std::chrono_literals;

namespace {

struct Rig {
    FakeClock clock;
    FakeEdfi server;
    FakeHttp http{server.handler()};
    sqlite::Database db = sqlite::Database::openInMemory().value();
    Session session{FakeEdfi::kBase, Credentials{"kiosk", "kiosk-secret"}, http, clock, BackoffPolicy{}, 11};
    Uploader uploader{session, http, clock, UploadOptions{16, BackoffPolicy{1000ms, 3'600'000ms, 250ms}}, 12};
    std::int64_t seq = 0;

    Rig() {
        REQUIRE(outbox::migrate(db).ok());
        REQUIRE(edfi::migrate(db).ok());
    }
    std::int64_t put(const std::string& key, int v, bool invalid = false, const std::string& resource = "studentAssessments") {
        nlohmann::json doc{{"naturalKey", key}, {"v", v}};
        if (invalid) doc["invalid"] = true;
        auto version = outbox::put(db, resource, key, doc.dump(), ++seq);
        REQUIRE(version.ok());
        return *version;
    }
    outbox::RecordStatus status(const std::string& key, const std::string& resource = "studentAssessments") {
        auto s = outbox::status(db, resource, key);
        REQUIRE(s.ok());
        REQUIRE(s->has_value());
        return **s;
    }
    RoundStats round() {
        auto r = uploader.runRound(db);
        REQUIRE(r.ok());
        return *r;
    }
};

} // namespace

TEST_CASE("classification of upsert outcomes") {
    const std::int64_t now = 1'700'000'000'000;
    auto verdict = [&](transport::Outcome o) { return classifyUpsert(o, now, 3'600'000).verdict; };
    CHECK(verdict(respond(200)) == Verdict::Synced);
    CHECK(verdict(respond(201)) == Verdict::Synced);
    CHECK(verdict(respond(401)) == Verdict::Unauthorized);
    CHECK(verdict(respond(400, R"({"detail":"bad"})")) == Verdict::NeedsAttention);
    CHECK(verdict(respond(403, R"({"type":"urn:ed-fi:api:security:authorization:namespace"})")) == Verdict::NeedsAttention);
    CHECK(verdict(respond(404)) == Verdict::NeedsAttention);
    CHECK(verdict(respond(413)) == Verdict::NeedsAttention);
    CHECK(verdict(respond(409, R"({"type":"urn:ed-fi:api:data-conflict:unresolved-reference"})")) == Verdict::RetryLater);
    CHECK(verdict(respond(412)) == Verdict::RetryLater);
    CHECK(verdict(respond(429)) == Verdict::RetryLater);
    CHECK(verdict(respond(500)) == Verdict::RetryLater);
    CHECK(verdict(respond(502, "<html>bad gateway</html>")) == Verdict::RetryLater);
    CHECK(verdict(respond(503)) == Verdict::RetryLater);
    CHECK(verdict(respond(302)) == Verdict::RetryLater);
    for (auto kind : {transport::FailureKind::Reset, transport::FailureKind::Timeout, transport::FailureKind::Truncated,
                      transport::FailureKind::Tls, transport::FailureKind::Resolve}) {
        auto d = classifyUpsert(noAnswer(kind, 56), now, 3'600'000);
        CHECK(d.verdict == Verdict::RetryLater);
        CHECK(d.noResponse);
        CHECK_FALSE(d.httpStatus.has_value());
    }
    auto cancelled = classifyUpsert(noAnswer(transport::FailureKind::Cancelled, 0), now, 3'600'000);
    CHECK(cancelled.immediate);
    CHECK_FALSE(cancelled.noResponse);

    auto d = classifyUpsert(respond(429, "", {{"retry-after", "120"}}), now, 3'600'000);
    CHECK(d.retryAfterMs == 120'000);
    auto p = classifyUpsert(respond(400, R"({"detail":"Data validation failed.","validationErrors":{"$.x":["x is required."]}})"), now, 1);
    CHECK(p.cause == "HTTP 400: Data validation failed.; $.x: x is required.");
    auto hostile = classifyUpsert(respond(400, std::string(100000, '[')), now, 1);
    CHECK(hostile.verdict == Verdict::NeedsAttention);
    CHECK(hostile.cause == "HTTP 400: the server refused the record as invalid");
}

TEST_CASE("a round sends due rows and acknowledges each version") {
    Rig rig;
    for (int i = 0; i < 5; ++i) rig.put("k" + std::to_string(i), 1);
    auto r = rig.round();
    CHECK(r.claimed == 5);
    CHECK(r.synced == 5);
    CHECK(rig.server.storedCount("studentAssessments") == 5);
    CHECK(rig.status("k3").state == outbox::State::Synced);
    CHECK(rig.round().claimed == 0);
    CHECK(rig.server.tokensIssued() == 1);  // one token for everything
}

TEST_CASE("only the version sent is acknowledged when a newer one is written in flight") {
    Rig rig;
    rig.put("k", 1);
    bool wrote = false;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.method == transport::Method::Post && r.url.find("/data/") != std::string::npos && !wrote) {
            wrote = true;
            rig.put("k", 2);  // the kiosk commits a change while the POST is on the wire
        }
        return std::nullopt;
    };
    rig.round();
    auto s = rig.status("k");
    CHECK(s.syncedVersion == 1);
    CHECK(s.localVersion == 2);
    CHECK(s.state == outbox::State::Pending);
    CHECK(rig.server.stored("studentAssessments", "k")->at("v") == 1);

    auto again = rig.round();
    CHECK(again.synced == 1);
    CHECK(rig.status("k").state == outbox::State::Synced);
    CHECK(rig.server.stored("studentAssessments", "k")->at("v") == 2);
    CHECK(rig.server.posts("studentAssessments", "k") == 2);
}

TEST_CASE("a 400 goes to needs attention with the server's words and blocks nothing") {
    Rig rig;
    rig.put("a", 1);
    rig.put("bad", 1, /*invalid=*/true);
    rig.put("c", 1);
    auto r = rig.round();
    CHECK(r.synced == 2);
    CHECK(r.attention == 1);
    auto bad = rig.status("bad");
    CHECK(bad.state == outbox::State::NeedsAttention);
    CHECK(bad.lastHttpStatus == 400);
    REQUIRE(bad.lastError.has_value());
    CHECK(bad.lastError->find("Data validation failed") != std::string::npos);
    CHECK(bad.lastError->find("$.administrationDate: administrationDate is required.") != std::string::npos);
    CHECK(rig.status("c").state == outbox::State::Synced);
    CHECK(rig.round().claimed == 0);  // not retried on its own

    auto list = outbox::attentionList(rig.db, 10);
    REQUIRE(list.ok());
    REQUIRE(list->size() == 1);
    CHECK(list->front().naturalKey == "bad");

    rig.put("bad", 2);  // the proctor fixes it: a new version goes again
    CHECK(rig.round().synced == 1);
}

TEST_CASE("a 403 authorization refusal is kept for a person, other rows flow") {
    Rig rig;
    rig.put("a", 1);
    rig.put("b", 1);
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.body.find("\"a\"") != std::string::npos)
            return respond(403, R"({"type":"urn:ed-fi:api:security:authorization:namespace","status":403,
                "detail":"The 'namespace' value of the resource does not start with any of the caller's associated namespace prefixes."})");
        return std::nullopt;
    };
    auto r = rig.round();
    CHECK(r.attention == 1);
    CHECK(r.synced == 1);
    CHECK(rig.status("a").lastError->find("namespace prefixes") != std::string::npos);
}

TEST_CASE("a 401 gets exactly one new token and one resend") {
    Rig rig;
    for (int i = 0; i < 6; ++i) rig.put("k" + std::to_string(i), 1);
    rig.round();  // first token issued and used
    CHECK(rig.server.tokensIssued() == 1);
    for (int i = 0; i < 6; ++i) rig.put("k" + std::to_string(i), 2);
    rig.server.expireAllTokens();  // e.g. the server restarted
    auto r = rig.round();
    CHECK(r.tokenRefreshes == 1);
    CHECK(rig.server.tokensIssued() == 2);  // six 401s, one refresh
    CHECK(r.synced == 6);
    CHECK(r.retried == 0);
}

TEST_CASE("a 401 that a fresh token does not cure backs off instead of burning tokens") {
    Rig rig;
    rig.put("k", 1);
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/data/") != std::string::npos) return respond(401, R"({"type":"urn:ed-fi:api:security:authentication"})");
        return std::nullopt;
    };
    auto r = rig.round();
    CHECK(rig.server.tokensIssued() == 2);
    CHECK(r.retried == 1);
    auto s = rig.status("k");
    CHECK(s.state == outbox::State::Pending);
    CHECK(s.lastHttpStatus == 401);

    // The next rounds ask for no token until the auth backoff passes.
    for (int i = 0; i < 3; ++i) {
        auto next = rig.uploader.runRound(rig.db);
        REQUIRE_FALSE(next.ok());
        CHECK(next.error().kind == ApiError::Kind::AuthRejected);
    }
    CHECK(rig.server.tokensIssued() == 2);
    CHECK(rig.http.count("/oauth/token") == 2);
}

TEST_CASE("429 with Retry-After waits at least that long") {
    Rig rig;
    rig.put("k", 1);
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.method == transport::Method::Post && r.url.find("/data/") != std::string::npos)
            return respond(429, "", {{"retry-after", "120"}});
        return std::nullopt;
    };
    auto r = rig.round();
    CHECK(r.retried == 1);
    auto due = outbox::nextDueAt(rig.db);
    REQUIRE(due.ok());
    CHECK(**due == rig.clock.unixMs() + 120'000);
    CHECK(rig.status("k").lastHttpStatus == 429);
    CHECK(rig.round().claimed == 0);  // not due yet
    rig.clock.advance(119'000);
    CHECK(rig.round().claimed == 0);
    rig.clock.advance(1'000);
    CHECK(rig.round().claimed == 1);
}

TEST_CASE("409 unresolved reference is retried later, then succeeds") {
    Rig rig;
    rig.put("k", 1);
    bool studentExists = false;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.method == transport::Method::Post && r.url.find("/data/") != std::string::npos && !studentExists)
            return respond(409, R"({"type":"urn:ed-fi:api:data-conflict:unresolved-reference","status":409,
                                   "detail":"The referenced 'Student' resource does not exist."})");
        return std::nullopt;
    };
    auto r = rig.round();
    CHECK(r.retried == 1);
    CHECK(r.attention == 0);
    auto s = rig.status("k");
    CHECK(s.state == outbox::State::Pending);
    CHECK(s.lastHttpStatus == 409);
    CHECK(s.lastError->find("'Student' resource does not exist") != std::string::npos);

    // Retried with growing backoff while the reference is missing.
    for (int i = 0; i < 5; ++i) {
        rig.clock.advance(3'600'000);
        CHECK(rig.round().retried == 1);
    }
    CHECK(rig.status("k").attempts == 6);
    studentExists = true;
    rig.clock.advance(3'600'000);
    CHECK(rig.round().synced == 1);
    CHECK(rig.status("k").state == outbox::State::Synced);
}

TEST_CASE("no answer at all: retried later, and the round says offline") {
    Rig rig;
    rig.put("a", 1);
    rig.put("b", 1);
    rig.session.token().value();  // a token was obtained before the network went
    rig.server.before = [](const transport::Request&) -> std::optional<transport::Outcome> { return noAnswer(transport::FailureKind::Reset, 56); };
    auto r = rig.round();
    CHECK(r.offline());
    CHECK(r.retried == 2);
    auto s = rig.status("a");
    CHECK(s.state == outbox::State::Pending);
    CHECK_FALSE(s.lastHttpStatus.has_value());

    // When the network returns, those rows can be made due at once.
    rig.server.before = nullptr;
    auto moved = outbox::expediteNoResponseRetries(rig.db, rig.clock.unixMs());
    REQUIRE(moved.ok());
    CHECK(*moved == 2);
    CHECK(rig.round().synced == 2);
}

TEST_CASE("5xx is retried and not mistaken for offline") {
    Rig rig;
    rig.put("a", 1);
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/data/") != std::string::npos) return respond(503, "", {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}});
        return std::nullopt;
    };
    auto r = rig.round();
    CHECK(r.retried == 1);
    CHECK_FALSE(r.offline());
    CHECK(rig.status("a").lastHttpStatus == 503);
    auto moved = outbox::expediteNoResponseRetries(rig.db, rig.clock.unixMs());
    CHECK(*moved == 0);  // it had an answer: its backoff stands
}

TEST_CASE("a resource name that cannot be a URL is refused locally") {
    Rig rig;
    rig.put("k", 1, false, "../../oauth/token");
    rig.put("k", 1, false, "studentAssessments?x=1");
    auto r = rig.round();
    CHECK(r.attention == 2);
    CHECK(rig.http.count("/data/") == 0);
}

TEST_CASE("no token, no claims") {
    Rig rig;
    rig.put("k", 1);
    rig.server.rejectCredentials = true;
    auto r = rig.uploader.runRound(rig.db);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ApiError::Kind::AuthRejected);
    CHECK(rig.status("k").attempts == 0);  // the row was never claimed
}

TEST_CASE("tokens are reused until shortly before they expire") {
    Rig rig;
    rig.server.tokenLifetimeSeconds = 1800;
    for (int i = 0; i < 10; ++i) {
        rig.put("k" + std::to_string(i), 1);
        rig.round();
        rig.clock.advance(60'000);  // 10 minutes in all
    }
    CHECK(rig.server.tokensIssued() == 1);
    rig.clock.advance(1800'000 - 600'000 - 120'000 + 1);  // into the renewal margin
    rig.put("late", 1);
    rig.round();
    CHECK(rig.server.tokensIssued() == 2);
}

TEST_CASE("a 429 from the token endpoint (too many live tokens) is waited out") {
    Rig rig;
    rig.put("k", 1);
    rig.server.maxLiveTokens = 0;
    auto r = rig.uploader.runRound(rig.db);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ApiError::Kind::Throttled);
    int before = static_cast<int>(rig.http.count("/oauth/token"));
    (void)rig.uploader.runRound(rig.db);  // inside the backoff: no new request
    CHECK(static_cast<int>(rig.http.count("/oauth/token")) == before);
}

TEST_CASE("a transport that loses an outcome does not strand the row in flight") {
    FakeClock clock;
    FakeEdfi server;
    // Reports every request except the second of each batch.
    struct Lossy final : transport::HttpClient {
        FakeEdfi* server = nullptr;
        void perform(std::span<const transport::Request> batch, const transport::Completion& done) override {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                auto outcome = server->handle(batch[i]);
                if (i == 1 && batch[i].url.find("/data/") != std::string::npos) continue;
                done(i, std::move(outcome));
                if (i == 0) done(i, respond(500));  // and one reported twice: ignored
            }
        }
        void interrupt() override {}
        void resume() override {}
    } lossy;
    lossy.server = &server;
    auto db = sqlite::Database::openInMemory().value();
    REQUIRE(outbox::migrate(db).ok());
    for (int i = 0; i < 3; ++i)
        REQUIRE(outbox::put(db, "studentAssessments", "k" + std::to_string(i),
                            nlohmann::json{{"naturalKey", "k" + std::to_string(i)}}.dump(), i + 1).ok());
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, lossy, clock);
    Uploader uploader(session, lossy, clock, UploadOptions{});
    auto r = uploader.runRound(db);
    REQUIRE(r.ok());
    CHECK(r->synced == 2);
    CHECK(r->retried == 1);
    auto c = outbox::counts(db).value();
    CHECK(c.inFlight == 0);
    CHECK(c.pending == 1);
    CHECK(outbox::status(db, "studentAssessments", "k0").value()->state == outbox::State::Synced);
}

TEST_CASE("a round saves all its outcomes in one transaction, after the last answer") {
    // One fsync per round rather than one per record (the backlog benchmark's
    // bottleneck): while answers arrive nothing is written; then all at once.
    FakeClock clock;
    FakeEdfi server;
    char pattern[] = "/tmp/uploader-round-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    const std::filesystem::path file = std::filesystem::path(pattern) / "kiosk.db";
    auto db = sqlite::Database::open(file, sqlite::Durability::Normal).value();
    REQUIRE(outbox::migrate(db).ok());
    for (int i = 0; i < 6; ++i)
        REQUIRE(outbox::put(db, "studentAssessments", "k" + std::to_string(i), nlohmann::json{{"naturalKey", "k" + std::to_string(i)}}.dump(),
                            i + 1)
                    .ok());
    auto observer = sqlite::Database::open(file, sqlite::Durability::Normal).value();
    std::vector<std::int64_t> syncedSeenDuringRound;
    FakeHttp http([&](const transport::Request& r) {
        auto outcome = server.handle(r);
        if (r.url.find("/data/") != std::string::npos) syncedSeenDuringRound.push_back(outbox::counts(observer).value().synced);
        return outcome;
    });
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, http, clock);
    Uploader uploader(session, http, clock, UploadOptions{});
    auto r = uploader.runRound(db);
    REQUIRE(r.ok());
    CHECK(r->synced == 6);
    CHECK(syncedSeenDuringRound == std::vector<std::int64_t>(6, 0));
    CHECK(outbox::counts(observer).value().synced == 6);
    CHECK(outbox::counts(observer).value().inFlight == 0);
    std::error_code ec;
    std::filesystem::remove_all(pattern, ec);
}

TEST_CASE("when a round's outcomes cannot be saved, every claim goes back to the queue") {
    FakeClock clock;
    FakeEdfi server;
    auto db = sqlite::Database::openInMemory().value();
    REQUIRE(outbox::migrate(db).ok());
    for (int i = 0; i < 3; ++i)
        REQUIRE(outbox::put(db, "studentAssessments", "k" + std::to_string(i), nlohmann::json{{"naturalKey", "k" + std::to_string(i)}}.dump(),
                            i + 1)
                    .ok());
    bool broke = false;
    FakeHttp http([&](const transport::Request& r) {
        auto outcome = server.handle(r);
        // The outbox cannot take this round's acknowledgements (a stand-in
        // for a full disk or a damaged page): the save fails as a whole.
        if (!broke && r.url.find("/data/") != std::string::npos) {
            broke = true;
            REQUIRE(db.exec("CREATE TEMP TRIGGER refuse_ack BEFORE UPDATE OF synced_version ON outbox"
                            " BEGIN SELECT RAISE(ABORT, 'no acknowledgements today'); END;")
                        .ok());
        }
        return outcome;
    });
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, http, clock);
    Uploader uploader(session, http, clock, UploadOptions{});
    auto r = uploader.runRound(db);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ApiError::Kind::Database);
    auto c = outbox::counts(db).value();
    CHECK(c.inFlight == 0);
    CHECK(c.synced == 0);
    CHECK(c.pending == 3);  // sent again next round: an upsert makes that harmless
    REQUIRE(db.exec("DROP TRIGGER refuse_ack;").ok());
    auto again = uploader.runRound(db);
    REQUIRE(again.ok());
    CHECK(again->synced == 3);
    CHECK(server.storedCount("studentAssessments") == 3);
}
