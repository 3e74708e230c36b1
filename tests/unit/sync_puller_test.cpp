// Change-query pull: paging, cursors, deletes, and passes cut off at random
// points that resume without losing anything.
#include "sync/edfi/puller.hpp"
#include "sync/edfi/store.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync_fakes.hpp"

#include "sync_doctest.hpp"

#include <random>

using namespace edsync;
using namespace edsync::edfi;
using namespace edsync::testing;

namespace {

// Keeps downloaded items in a table of the same database, so a page commits
// or rolls back with the puller's transaction, as the kiosk's would.
class TableSink final : public PullSink {
public:
    explicit TableSink(sqlite::Database& db) {
        REQUIRE(db.exec("CREATE TABLE IF NOT EXISTS pulled (resource TEXT, id TEXT, doc TEXT, PRIMARY KEY (resource, id));").ok());
    }
    int failOnCall = -1;  // make the n-th apply fail (0-based), as a full disk would
    int calls = 0;

    sqlite::Status apply(sqlite::Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) override {
        if (calls++ == failOnCall) return fail(sqlite::Error{13, 13, "database or disk is full"});
        auto stmt = db.prepare("INSERT INTO pulled (resource, id, doc) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT (resource, id) DO UPDATE SET doc = excluded.doc;");
        if (!stmt) return fail(stmt.error());
        for (const auto& item : items) {
            stmt->reset();
            stmt->bind(1, resource).bind(2, item.at("id").get<std::string>()).bind(3, item.dump());
            if (auto s = stmt->run(); !s) return s;
        }
        return {};
    }
    sqlite::Status applyDeletes(sqlite::Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) override {
        if (calls++ == failOnCall) return fail(sqlite::Error{13, 13, "database or disk is full"});
        auto stmt = db.prepare("DELETE FROM pulled WHERE resource = ?1 AND id = ?2;");
        if (!stmt) return fail(stmt.error());
        for (const auto& item : items) {
            stmt->reset();
            stmt->bind(1, resource).bind(2, item.at("id").get<std::string>());
            if (auto s = stmt->run(); !s) return s;
        }
        return {};
    }

    static std::map<std::string, nlohmann::json> contents(sqlite::Database& db, const std::string& resource) {
        std::map<std::string, nlohmann::json> out;
        auto stmt = db.prepare("SELECT id, doc FROM pulled WHERE resource = ?1;");
        REQUIRE(stmt.ok());
        stmt->bind(1, resource);
        while (*stmt->step()) out[stmt->getText(0)] = nlohmann::json::parse(stmt->getText(1));
        return out;
    }
};

struct PullRig {
    FakeClock clock;
    FakeEdfi server;
    FakeHttp http{server.handler()};
    sqlite::Database db = sqlite::Database::openInMemory().value();
    PullRig() {
        REQUIRE(outbox::migrate(db).ok());
        REQUIRE(edfi::migrate(db).ok());
    }
};

std::string id(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "s%05d", i);
    return buf;
}

// A short description of how two item sets differ (CHECK would print them whole).
std::string difference(const std::map<std::string, nlohmann::json>& local, const std::map<std::string, nlohmann::json>& server) {
    std::string out;
    int shown = 0;
    for (const auto& [key, doc] : server) {
        auto it = local.find(key);
        if (it == local.end()) out += " missing " + key;
        else if (it->second != doc) out += " stale " + key + " " + it->second.dump() + " vs " + doc.dump();
        else continue;
        if (++shown == 5) break;
    }
    for (const auto& [key, doc] : local)
        if (!server.count(key) && shown++ < 10) out += " extra " + key;
    return out;
}

const std::vector<PullResource> kResources{{"students", true, false}, {"studentAssessmentRegistrations", true, false}};

} // namespace

TEST_CASE("a first pass pages through everything and saves the cursor") {
    PullRig rig;
    for (int i = 0; i < 1234; ++i) rig.server.upsertItem("students", id(i), {{"studentUniqueId", std::to_string(i)}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    auto report = puller.pull(rig.db, kResources, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    CHECK(report->available.newest == 1234);
    CHECK(report->resources[0].changed == 1234);
    CHECK(TableSink::contents(rig.db, "students").size() == 1234);
    CHECK(loadCursor(rig.db, "students").value() == 1234);
    CHECK(loadCursor(rig.db, "studentAssessmentRegistrations").value() == 1234);  // empty but complete
    CHECK(rig.http.count("/students?") == 3);           // 500 + 500 + 234
    CHECK(rig.http.count("/students/deletes") == 0);    // nothing local to delete yet

    // Nothing new: no pages are read.
    auto again = puller.pull(rig.db, kResources, sink);
    REQUIRE(again.ok());
    CHECK(again->resources[0].upToDate);
    CHECK(rig.http.count("/students?") == 3);
}

TEST_CASE("an incremental pass applies changes and deletes from saved + 1") {
    PullRig rig;
    for (int i = 0; i < 50; ++i) rig.server.upsertItem("students", id(i), {{"v", 1}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    REQUIRE(puller.pull(rig.db, kResources, sink)->complete());

    for (int i = 0; i < 10; ++i) rig.server.upsertItem("students", id(i), {{"v", 2}});
    for (int i = 40; i < 45; ++i) rig.server.deleteItem("students", id(i));
    rig.server.upsertItem("students", id(99), {{"v", 1}});
    auto report = puller.pull(rig.db, kResources, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    CHECK(report->resources[0].fromVersion == 50);
    CHECK(report->resources[0].changed == 11);
    CHECK(report->resources[0].deleted == 5);
    CHECK(difference(TableSink::contents(rig.db, "students"), rig.server.liveItems("students")).empty());
    auto log = rig.http.log();
    bool sawWindow = false;
    for (const auto& r : log)
        if (r.url.find("/students?minChangeVersion=51&maxChangeVersion=66&offset=0&limit=500") != std::string::npos) sawWindow = true;
    CHECK(sawWindow);
}

TEST_CASE("passes cut off at random points resume from the saved cursor and lose nothing") {
    std::mt19937 rng(20240607);
    PullRig rig;
    rig.server.maxLiveTokens = 1'000'000;  // every simulated restart logs in afresh
    TableSink sink(rig.db);
    int nextId = 0;
    auto mutate = [&] {
        std::uniform_int_distribution<int> count(0, 700);
        int adds = count(rng);
        for (int i = 0; i < adds; ++i) rig.server.upsertItem(rng() % 2 ? "students" : "studentAssessmentRegistrations", id(nextId++), {{"v", 1}});
        for (int i = 0; i < 60 && nextId > 0; ++i) {
            std::string target = id(static_cast<int>(rng() % static_cast<unsigned>(nextId)));
            const char* resource = rng() % 2 ? "students" : "studentAssessmentRegistrations";
            if (rng() % 3 == 0) rig.server.deleteItem(resource, target);
            else if (rig.server.isLive(resource, target)) rig.server.upsertItem(resource, target, {{"v", static_cast<int>(rng() % 1000)}});
        }
    };

    int failedPasses = 0;
    for (int round = 0; round < 25; ++round) {
        mutate();
        // Cut the pass off at a random request (or a random sink call); keep
        // going with new passes — as a restarted kiosk would — until one completes.
        bool completed = false;
        for (int attempt = 0; attempt < 50 && !completed; ++attempt) {
            std::uniform_int_distribution<int> where(0, 8);
            int failAt = where(rng);
            int kind = static_cast<int>(rng() % 4);
            int seen = 0;
            rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
                if (r.url.find("/oauth/") != std::string::npos) return std::nullopt;
                if (seen++ != failAt) return std::nullopt;
                switch (kind) {
                case 0: return noAnswer(transport::FailureKind::Reset, 56);
                case 1: return noAnswer(transport::FailureKind::Truncated, 18);
                case 2: return respond(503);
                default: return respond(200, "[{\"id\":\"cut");  // a truncated page that still said 200
                }
            };
            sink.calls = 0;
            sink.failOnCall = rng() % 5 == 0 ? static_cast<int>(rng() % 4) : -1;

            // A fresh session and puller each time: only the database carries over.
            FakeHttp http(rig.server.handler());
            Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, http, rig.clock);
            Puller puller(session, http, PullOptions{97, 3});  // small pages: more places to cut
            auto report = puller.pull(rig.db, kResources, sink);
            if (report.ok() && report->complete()) {
                completed = true;
                break;
            }
            ++failedPasses;
            // Whatever happened, no cursor may run ahead of what was wholly applied.
            for (const auto& r : kResources) {
                auto cursor = loadCursor(rig.db, r.name).value();
                if (report.ok())
                    for (const auto& rp : report->resources)
                        if (rp.resource == r.name && !rp.complete) CHECK(cursor == rp.fromVersion);
            }
        }
        rig.server.before = nullptr;
        REQUIRE(completed);
        for (const auto& r : kResources) {
            std::string diff = difference(TableSink::contents(rig.db, r.name), rig.server.liveItems(r.name));
            CHECK_MESSAGE(diff.empty(), r.name << " round " << round << ":" << diff);
        }
    }
    CHECK(failedPasses > 10);  // the test really did interrupt passes
}

TEST_CASE("a record changed mid-pass shifts the pages: the part is read again, nothing skipped") {
    PullRig rig;
    for (int i = 0; i < 1200; ++i) rig.server.upsertItem("students", id(i), {{"v", 1}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    int pages = 0;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/students?") != std::string::npos && ++pages == 2)
            rig.server.upsertItem("students", id(100), {{"v", 2}});  // leaves the window: everything after slides back one
        return std::nullopt;
    };
    auto report = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    auto local = TableSink::contents(rig.db, "students");
    CHECK(local.size() == 1200);
    CHECK(local.count(id(500)) == 1);  // the one a naive pager would have skipped
    rig.server.before = nullptr;
    REQUIRE(puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink)->complete());
    CHECK(difference(TableSink::contents(rig.db, "students"), rig.server.liveItems("students")).empty());
}

TEST_CASE("hostile pages fail the resource without saving its cursor") {
    PullRig rig;
    for (int i = 0; i < 5; ++i) rig.server.upsertItem("students", id(i), {{"v", 1}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    for (std::string body : {std::string("{\"not\":\"a list\"}"), std::string(200000, '['), std::string("[1,2,3]"),
                             std::string("[{\"id\":\"x\"},\"str\"]")}) {
        rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
            if (r.url.find("/students?") != std::string::npos) return respond(200, body);
            return std::nullopt;
        };
        auto report = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
        REQUIRE(report.ok());
        CHECK_FALSE(report->complete());
        REQUIRE(report->resources[0].error.has_value());
        CHECK(report->resources[0].error->kind == ApiError::Kind::BadResponse);
        CHECK_FALSE(loadCursor(rig.db, "students").value().has_value());
    }
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("availableChangeVersions") != std::string::npos) return respond(200, R"({"newestChangeVersion":"many"})");
        return std::nullopt;
    };
    auto bad = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == ApiError::Kind::BadResponse);
}

TEST_CASE("a server whose pages never end fails the resource instead of holding the pass for ever") {
    // Each way fills every page it is asked for. The safety stop (a 503
    // after 200 pages) only keeps a failing test from hanging.
    struct Way {
        const char* name;
        bool distinctIds;   // new ids on every page
        bool totalCount;    // a Total-Count header (500)
        bool sameToken;     // a Next-Page-Token that repeats the one asked with
    };
    for (Way way : {Way{"ignores offset, counts 500", false, true, false}, Way{"ignores offset, no count", false, false, false},
                    Way{"hands back the same page token", true, false, true}, Way{"new ids for ever, no count", true, false, false}}) {
        CAPTURE(way.name);
        PullRig rig;
        TableSink sink(rig.db);
        Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
        PullOptions options;
        options.maxItemsPerPart = 5000;  // the last way can only be stopped by the cap
        Puller puller(session, rig.http, options);
        int pages = 0;
        rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
            if (r.url.find("/students?") == std::string::npos) return std::nullopt;
            if (++pages > 200) return respond(503);
            nlohmann::json page = nlohmann::json::array();
            for (int i = 0; i < puller.pageSize(); ++i) page.push_back({{"id", id(way.distinctIds ? pages * 1000 + i : i)}});
            std::vector<transport::Header> headers;
            if (way.totalCount) headers.push_back({"total-count", std::to_string(puller.pageSize())});
            if (way.sameToken) headers.push_back({"next-page-token", "again"});
            return respond(200, page.dump(), headers);
        };
        auto report = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
        REQUIRE(report.ok());
        CHECK_FALSE(report->complete());
        REQUIRE(report->resources[0].error.has_value());
        CHECK(report->resources[0].error->kind == ApiError::Kind::BadResponse);
        CHECK(pages <= 11);
        CHECK_FALSE(loadCursor(rig.db, "students").value().has_value());
    }
}

TEST_CASE("a missing resource (older data standard) fails alone, the rest completes") {
    PullRig rig;
    rig.server.upsertItem("students", id(1), {{"v", 1}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    rig.server.before = [](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("studentAssessmentRegistrations") != std::string::npos) return respond(404);
        return std::nullopt;
    };
    auto report = puller.pull(rig.db, kResources, sink);
    REQUIRE(report.ok());
    CHECK(report->resources[0].complete);
    CHECK_FALSE(report->resources[1].complete);
    CHECK(report->resources[1].error->httpStatus == 404);
    CHECK_FALSE(report->stoppedBy.has_value());
}

TEST_CASE("a server restored to older change versions triggers a full download") {
    PullRig rig;
    for (int i = 0; i < 3; ++i) rig.server.upsertItem("students", id(i), {{"v", 1}});
    TableSink sink(rig.db);
    REQUIRE(saveCursor(rig.db, "students", 1000).ok());
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    auto report = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    CHECK(report->resources[0].changed == 3);
    CHECK(loadCursor(rig.db, "students").value() == 3);
}

TEST_CASE("an expired token during a pull gets one refresh") {
    PullRig rig;
    for (int i = 0; i < 700; ++i) rig.server.upsertItem("students", id(i), {{"v", 1}});
    TableSink sink(rig.db);
    Session session(FakeEdfi::kBase, {"kiosk", "kiosk-secret"}, rig.http, rig.clock);
    Puller puller(session, rig.http);
    int pages = 0;
    rig.server.before = [&](const transport::Request& r) -> std::optional<transport::Outcome> {
        if (r.url.find("/students?") != std::string::npos && ++pages == 2) rig.server.expireAllTokens();
        return std::nullopt;
    };
    auto report = puller.pull(rig.db, std::vector<PullResource>{{"students"}}, sink);
    REQUIRE(report.ok());
    CHECK(report->complete());
    CHECK(rig.server.tokensIssued() == 2);
    CHECK(TableSink::contents(rig.db, "students").size() == 700);
}
