// Reaching the state's server as states run it: one token per kiosk kept in
// a file (relative or absolute expires_in, one refresh on 401, 429 reported
// as such), tenant/year and ODS/API 8 routes, and the roster read on servers
// with and without change queries (snapshots, lower limits, page tokens,
// deletions inferred from complete full reads).
#include "sync/edfi/puller.hpp"
#include "sync/edfi/store.hpp"
#include "sync/edfi/token_file.hpp"
#include "sync/outbox/outbox.hpp"
#include "support/temp_dir.hpp"
#include "sync_fakes.hpp"

#include "sync_doctest.hpp"

#include <sys/stat.h>

#include <fstream>

using namespace edsync;
using namespace edsync::edfi;
using namespace edsync::testing;

namespace {

class MemoryTokenStore final : public TokenStore {
public:
    std::optional<StoredToken> load(std::string_view url, std::string_view client) override {
        ++loads;
        if (!token || url != tokenUrl || client != clientId) return std::nullopt;
        return token;
    }
    void save(std::string_view url, std::string_view client, const StoredToken& t) override {
        ++saves;
        tokenUrl = url;
        clientId = client;
        token = t;
    }
    void forget(std::string_view, std::string_view) override { token.reset(); }
    std::string tokenUrl, clientId;
    std::optional<StoredToken> token;
    int loads = 0, saves = 0;
};

// Items pulled into a plain map (no SQL needed for these cases).
class MapSink final : public PullSink {
public:
    sqlite::Status apply(sqlite::Database&, std::string_view resource, const std::vector<nlohmann::json>& items) override {
        for (const auto& i : items) data[std::string(resource)][i.at("id").get<std::string>()] = i;
        return {};
    }
    sqlite::Status applyDeletes(sqlite::Database&, std::string_view resource, const std::vector<nlohmann::json>& items) override {
        for (const auto& i : items) {
            data[std::string(resource)].erase(i.at("id").get<std::string>());
            deleted.push_back(i);
        }
        return {};
    }
    std::map<std::string, std::map<std::string, nlohmann::json>> data;
    std::vector<nlohmann::json> deleted;
};

struct AccessRig {
    FakeClock clock;
    FakeEdfi server;
    FakeHttp http{server.handler()};
    sqlite::Database db = sqlite::Database::openInMemory().value();
    AccessRig() {
        REQUIRE(outbox::migrate(db).ok());
        REQUIRE(edfi::migrate(db).ok());
    }
};

bool has(const transport::Request& r, std::string_view header, std::string_view value) {
    for (const auto& h : r.headers)
        if (h.name == header && h.value == value) return true;
    return false;
}

std::string queryValue(const std::string& url, const std::string& name) {
    auto at = url.find(name + "=");
    if (at == std::string::npos) return {};
    auto end = url.find('&', at);
    return url.substr(at + name.size() + 1, end == std::string::npos ? std::string::npos : end - at - name.size() - 1);
}

const std::vector<PullResource> kStudents{{"students", true, false}};

} // namespace

TEST_CASE("expires_in as seconds, epoch seconds, epoch milliseconds or an ISO date") {
    auto lifetime = [](const std::string& body, std::optional<std::int64_t> serverNow, std::int64_t localMs) {
        auto t = parseTokenResponse(body);
        REQUIRE(t.ok());
        return tokenLifetimeSeconds(*t, serverNow, localMs);
    };
    const std::int64_t now = 1'800'000'000;  // seconds
    CHECK(lifetime(R"({"access_token":"a","expires_in":1800})", std::nullopt, now * 1000) == 1800);
    CHECK(lifetime(R"({"access_token":"a","expires_in":"1800"})", std::nullopt, now * 1000) == 1800);
    // Absolute: measured against the server's Date when it sent one (our clock is 10 min fast here).
    CHECK(lifetime(R"({"access_token":"a","expires_in":1800001800})", now, (now + 600) * 1000) == 1800);
    CHECK(lifetime(R"({"access_token":"a","expires_in":1800001800000})", now, now * 1000) == 1800);
    CHECK(lifetime(R"({"access_token":"a","expires_in":"2027-01-15T08:30:00Z"})", *parseIsoDateTime("2027-01-15T08:00:00Z"), 0) == 1800);
    CHECK(lifetime(R"({"access_token":"a","expires_in":"2027-01-15T10:30:00+02:00"})", *parseIsoDateTime("2027-01-15T08:00:00Z"), 0) == 1800);
    // Absurd values are clamped: already expired, or a year away.
    CHECK(lifetime(R"({"access_token":"a","expires_in":1700000000})", now, now * 1000) == kMinTokenSeconds);
    CHECK(lifetime(R"({"access_token":"a","expires_in":1900000000})", now, now * 1000) == kMaxTokenSeconds);
    CHECK_FALSE(parseTokenResponse(R"({"access_token":"a","expires_in":"soon"})").ok());
    CHECK(parseIsoDateTime("1970-01-01T00:00:00Z") == 0);
    CHECK(parseIsoDateTime("2000-03-01 00:00:00") == 951868800);
    CHECK_FALSE(parseIsoDateTime("2027-13-01T00:00:00Z"));
    CHECK_FALSE(parseIsoDateTime("2027-01-01T00:00:00 junk"));
}

TEST_CASE("routes: tenant and year segments, discovery placeholders, ODS/API 8") {
    auto d = Endpoints::defaults("https://h.example/api/", "district-a/2026");
    CHECK(d.discovery == "https://h.example/api/");
    CHECK(d.oauthToken == "https://h.example/api/oauth/token");
    CHECK(d.dataApi == "https://h.example/api/district-a/2026/data/v3/");
    CHECK(d.changeQueries == "https://h.example/api/district-a/2026/changeQueries/v1/");
    CHECK(isValidRoute("2026"));
    CHECK(isValidRoute("district-a/2026"));
    CHECK_FALSE(isValidRoute("../etc"));
    CHECK_FALSE(isValidRoute("a/b/c/d"));

    auto discovery = [](nlohmann::json urls) {
        auto parsed = parseDiscovery(nlohmann::json{{"version", "7.3"}, {"urls", urls}}.dump());
        REQUIRE(parsed.ok());
        return *parsed;
    };
    // Placeholders filled from the route, in order.
    auto placeholders = Endpoints::fromDiscovery(
        "https://h.example", discovery({{"dataManagementApi", "https://h.example/{tenantIdentifier}/{schoolYearFromRoute}/data/v3"},
                                        {"changeQueries", "https://h.example/{tenantIdentifier}/{schoolYearFromRoute}/changeQueries/v1"},
                                        {"oauth", "https://h.example/oauth/token"}}),
        "district-a/2026");
    CHECK(placeholders.dataApi == "https://h.example/district-a/2026/data/v3/");
    CHECK(placeholders.changeQueries == "https://h.example/district-a/2026/changeQueries/v1/");
    // Routeless URLs get the configured route after the base.
    auto routeless = Endpoints::fromDiscovery("https://h.example", discovery({{"dataManagementApi", "https://h.example/data/v3"}}), "2026");
    CHECK(routeless.dataApi == "https://h.example/2026/data/v3/");
    // ODS/API 8: no /v3, the token at /connect/token.
    auto v8 = Endpoints::fromDiscovery("https://h.example", discovery({{"dataManagementApi", "https://h.example/data"},
                                                                        {"oauth", "https://h.example/connect/token"}}));
    CHECK(v8.dataApi == "https://h.example/data/");
    CHECK(v8.oauthToken == "https://h.example/connect/token");
    CHECK(requestLine("GET", "https://h.example:8443/2026/data/v3/ed-fi/students?offset=0") == "GET /2026/data/v3/ed-fi/students?offset=0");
}

TEST_CASE("the token file: 0600, keyed by token URL and client, replaced whole, forgotten") {
    kiosk::test::TempDir dir;
    const auto file = dir.path() / "state-token.json";
    FileTokenStore store(file);
    CHECK_FALSE(store.load("https://h/oauth/token", "kiosk"));
    store.save("https://h/oauth/token", "kiosk", StoredToken{"tok-1", 1000, 2000});
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto loaded = store.load("https://h/oauth/token", "kiosk");
    REQUIRE(loaded);
    CHECK(loaded->accessToken == "tok-1");
    CHECK(loaded->issuedAtUnixMs == 1000);
    CHECK(loaded->reuseUntilUnixMs == 2000);
    // Another enrolment (client or token URL) never reuses it; the client id is not written down.
    CHECK_FALSE(store.load("https://h/oauth/token", "other"));
    CHECK_FALSE(store.load("https://other/oauth/token", "kiosk"));
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("kiosk") == std::string::npos);
    store.save("https://h/oauth/token", "kiosk", StoredToken{"tok-2", 3000, 4000});
    CHECK(store.load("https://h/oauth/token", "kiosk")->accessToken == "tok-2");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);  // no temp left
    // A file others can read is not trusted.
    ::chmod(file.c_str(), 0644);
    CHECK_FALSE(store.load("https://h/oauth/token", "kiosk"));
    ::chmod(file.c_str(), 0600);
    // Saved over it: 0600 again, replaced whole, nothing else left beside it.
    ::chmod(file.c_str(), 0644);
    store.save("https://h/oauth/token", "kiosk", StoredToken{"tok-3", 5000, 6000});
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(store.load("https://h/oauth/token", "kiosk")->accessToken == "tok-3");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
    // A symbolic link in its place is not followed (readSecretFile opens with O_NOFOLLOW).
    const auto real = dir.path() / "elsewhere.json";
    std::filesystem::rename(file, real);
    std::filesystem::create_symlink(real, file);
    CHECK_FALSE(store.load("https://h/oauth/token", "kiosk"));
    std::filesystem::remove(file);
    std::filesystem::rename(real, file);
    store.forget("https://h/oauth/token", "kiosk");
    CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("sessions share one token through the store until about 90 % of its life") {
    AccessRig rig;
    MemoryTokenStore store;
    for (int i = 0; i < 20; ++i) {
        Session s(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
        s.setTokenStore(&store);
        REQUIRE(s.token().ok());
    }
    CHECK(rig.server.tokensIssued() == 1);
    CHECK(store.clientId == "kiosk");
    CHECK(store.tokenUrl == std::string(FakeEdfi::kBase) + "/oauth/token");
    // 1800 s tokens: still reused at 89 %, renewed after 90 %.
    rig.clock.advance(1600'000);
    {
        Session s(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
        s.setTokenStore(&store);
        REQUIRE(s.token().ok());
    }
    CHECK(rig.server.tokensIssued() == 1);
    rig.clock.advance(30'000);
    Session late(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    late.setTokenStore(&store);
    REQUIRE(late.token().ok());
    CHECK(rig.server.tokensIssued() == 2);
}

TEST_CASE("a 401 gets exactly one fresh token, which replaces the stored one") {
    AccessRig rig;
    MemoryTokenStore store;
    Session first(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    first.setTokenStore(&store);
    auto old = first.token();
    REQUIRE(old.ok());
    rig.server.expireAllTokens();  // the server forgot it (restart, revocation)

    Session second(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    second.setTokenStore(&store);
    auto t = second.token();
    REQUIRE(t.ok());
    CHECK(*t == *old);  // from the file
    second.tokenRejected(*t);
    auto fresh = second.token();
    REQUIRE(fresh.ok());
    CHECK(*fresh != *old);
    CHECK(rig.server.tokensIssued() == 2);
    CHECK(store.token->accessToken == *fresh);
    // The rejected token is never taken from the store again, even if a slow
    // process writes it back.
    store.token->accessToken = *old;
    second.tokenRejected(*fresh);
    auto third = second.token();
    REQUIRE(third.ok());
    CHECK(*third != *old);
}

TEST_CASE("a 429 on the token request says the server refuses more tokens for this client") {
    AccessRig rig;
    rig.server.maxLiveTokens = 0;
    Session s(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    auto t = s.token();
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().tokenLimit);
    CHECK(t.error().httpStatus == 429);
    CHECK(t.error().describe().find("the state's server refuses more tokens for this client") != std::string::npos);
    CHECK(t.error().describe().find("POST /api/oauth/token") != std::string::npos);
}

TEST_CASE("no change queries: a full read, and deletions inferred only from a complete one") {
    AccessRig rig;
    for (int i = 0; i < 12; ++i) rig.server.upsertItem("students", "s" + std::to_string(i), {{"studentUniqueId", std::to_string(i)}});
    int failListAt = -1, lists = 0;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("availableChangeVersions") != std::string::npos) return respond(500, R"({"detail":"change queries are off"})");
        if (r.url.find("/students?") != std::string::npos && lists++ == failListAt) return respond(503);
        return std::nullopt;
    };
    MapSink sink;
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    PullOptions options;
    options.pageSize = 5;
    Puller puller(session, rig.http, options);
    auto first = puller.pull(rig.db, kStudents, sink);
    REQUIRE(first.ok());
    CHECK(first->complete());
    CHECK_FALSE(first->changeQueries);
    CHECK(first->mode() == "full");
    CHECK(sink.data["students"].size() == 12);
    CHECK(rig.http.count("minChangeVersion") == 0);

    // Two students leave the server; a pass cut off half way removes nothing.
    rig.server.deleteItem("students", "s3");
    rig.server.deleteItem("students", "s7");
    failListAt = lists + 1;
    auto cut = puller.pull(rig.db, kStudents, sink);
    REQUIRE(cut.ok());
    CHECK_FALSE(cut->complete());
    CHECK(sink.data["students"].size() == 12);
    REQUIRE(cut->resources[0].error);
    CHECK(cut->resources[0].error->describe().find("GET /api/data/v3/ed-fi/students?offset=5&limit=5") != std::string::npos);
    CHECK(cut->resources[0].error->describe().find("students (full read)") != std::string::npos);
    auto download = loadDownload(rig.db).value();
    REQUIRE(download);
    CHECK_FALSE(download->complete);
    CHECK(download->mode == "full, snapshot");

    // A whole pass: the two are handed over as deleted, with their key members.
    auto whole = puller.pull(rig.db, kStudents, sink);
    REQUIRE(whole.ok());
    CHECK(whole->complete());
    CHECK(whole->resources[0].removed == 2);
    CHECK(sink.data["students"].size() == 10);
    REQUIRE(sink.deleted.size() == 2);
    CHECK(sink.deleted[0].at("studentUniqueId") == "3");
    download = loadDownload(rig.db).value();
    CHECK(download->complete);
    CHECK(download->records == 12);  // 10 read + 2 removed
}

TEST_CASE("a refused limit is lowered to what the server allows and Next-Page-Token paging is followed") {
    AccessRig rig;
    for (int i = 0; i < 23; ++i) rig.server.upsertItem("students", "s" + std::to_string(100 + i), {{"studentUniqueId", std::to_string(i)}});
    std::vector<std::string> urls;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("availableChangeVersions") != std::string::npos) return respond(404);
        if (r.url.find("/students?") == std::string::npos) return std::nullopt;
        urls.push_back(r.url);
        auto limit = queryValue(r.url, r.url.find("pageSize=") != std::string::npos ? "pageSize" : "limit");
        if (std::stoi(limit) > 10)
            return respond(400, R"({"status":400,"detail":"The request parameters are not valid.","validationErrors":{"limit":["Limit must be omitted or set to a value between 0 and 10."]}})");
        // Page tokens "pN" name the next offset.
        int offset = 0;
        if (auto t = queryValue(r.url, "pageToken"); !t.empty()) offset = std::stoi(t.substr(1));
        else offset = std::stoi(queryValue(r.url, "offset"));
        nlohmann::json page = nlohmann::json::array();
        for (int i = offset; i < std::min(offset + 10, 23); ++i) page.push_back({{"id", "s" + std::to_string(100 + i)}, {"studentUniqueId", std::to_string(i)}});
        std::vector<transport::Header> headers;
        if (offset + 10 < 23) headers.push_back({"next-page-token", "p" + std::to_string(offset + 10)});
        return respond(200, page.dump(), headers);
    };
    MapSink sink;
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    auto report = puller.pull(rig.db, kStudents, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    CHECK(puller.pageSize() == 10);
    CHECK(sink.data["students"].size() == 23);
    REQUIRE(urls.size() == 4);  // refused at 500, then offset 0, then two page tokens
    CHECK(urls[1].find("limit=10") != std::string::npos);
    CHECK(urls[2].find("pageToken=p10&pageSize=10") != std::string::npos);
    CHECK(urls[3].find("pageToken=p20") != std::string::npos);
}

TEST_CASE("snapshots: asked for, dropped on 404, the pass restarted on 410") {
    AccessRig rig;
    for (int i = 0; i < 6; ++i) rig.server.upsertItem("students", "s" + std::to_string(i), {{"studentUniqueId", std::to_string(i)}});
    bool hostHasSnapshots = true;
    int goneAt = -1, reads = 0;
    std::vector<bool> askedSnapshot;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/oauth/") != std::string::npos) return std::nullopt;
        const bool snap = has(r, "Use-Snapshot", "true");
        askedSnapshot.push_back(snap);
        if (snap && !hostHasSnapshots) return respond(404, R"({"detail":"Snapshot not found"})");
        if (snap && reads++ == goneAt) return respond(410, R"({"detail":"The snapshot is gone"})");
        return std::nullopt;
    };
    MapSink sink;
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    PullOptions options;
    options.pageSize = 2;
    {
        goneAt = 2;  // availableChangeVersions, page 1, then gone
        Puller puller(session, rig.http, options);
        auto report = puller.pull(rig.db, kStudents, sink);
        REQUIRE(report.ok());
        CHECK(report->complete());
        CHECK(report->restarts == 1);
        CHECK(report->snapshot);
        CHECK(sink.data["students"].size() == 6);
        CHECK(std::all_of(askedSnapshot.begin(), askedSnapshot.end(), [](bool b) { return b; }));
    }
    {
        hostHasSnapshots = false;
        askedSnapshot.clear();
        rig.server.upsertItem("students", "s9", {{"studentUniqueId", "9"}});
        Puller puller(session, rig.http, options);
        auto report = puller.pull(rig.db, kStudents, sink);
        REQUIRE(report.ok());
        CHECK(report->complete());
        CHECK_FALSE(report->snapshot);
        CHECK(sink.data["students"].count("s9") == 1);
        // Asked once, refused, then never again.
        REQUIRE(askedSnapshot.size() >= 3);
        CHECK(askedSnapshot[0]);
        CHECK(std::none_of(askedSnapshot.begin() + 1, askedSnapshot.end(), [](bool b) { return b; }));
    }
}

TEST_CASE("with change queries, the periodic full resync infers deletions the change feed missed") {
    AccessRig rig;
    for (int i = 0; i < 4; ++i) rig.server.upsertItem("students", "s" + std::to_string(i), {{"studentUniqueId", std::to_string(i)}});
    MapSink sink;
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    PullOptions options;
    options.fullResyncIntervalMs = 3600'000;
    Puller puller(session, rig.http, options);
    REQUIRE(puller.pull(rig.db, kStudents, sink)->complete());
    CHECK(loadCursor(rig.db, "students").value() == 4);
    // A record vanishes without a delete in the feed (purged, restored backup).
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/students?") != std::string::npos && r.url.find("minChangeVersion") == std::string::npos) {
            nlohmann::json page = nlohmann::json::array();
            for (const auto& [id, doc] : rig.server.liveItems("students"))
                if (id != "s2") page.push_back(doc);
            return respond(200, page.dump());
        }
        return std::nullopt;
    };
    rig.server.upsertItem("students", "s4", {{"studentUniqueId", "4"}});
    auto incremental = puller.pull(rig.db, kStudents, sink);
    REQUIRE(incremental.ok());
    CHECK_FALSE(incremental->resources[0].full);
    CHECK(sink.data["students"].count("s2") == 1);
    rig.clock.advance(3600'000);
    auto resync = puller.pull(rig.db, kStudents, sink);
    REQUIRE(resync.ok());
    CHECK(resync->resources[0].full);
    CHECK(resync->mode() == "full");
    CHECK(resync->resources[0].removed == 1);
    CHECK(sink.data["students"].count("s2") == 0);
    CHECK(sink.data["students"].size() == 4);
}
