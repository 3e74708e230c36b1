// The site event log against real nats-server processes on loopback.
#include "site_test_util.hpp"
#include "support/nats_hub.hpp"
#include "support/temp_dir.hpp"
#include "sync/site/connection.hpp"
#include "sync/site/consumer.hpp"
#include "sync/site/hub_config.hpp"
#include "sync/site/lease.hpp"
#include "sync/site/nats_handles.hpp"
#include "sync/site/publisher.hpp"
#include "sync/site/site_link.hpp"

#include <doctest/doctest.h>
#include <nats/nats.h>

#include <csignal>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <thread>
#include <vector>

extern char** environ;

using namespace site_test;
using edsync::site::Consumer;
using edsync::site::Lease;
using edsync::site::Publisher;
using edsync::site::SiteConnection;
using edsync::site::SiteLink;
using edsync::site::SiteLogConfig;
using kiosk::test::NatsHub;
using kiosk::test::TempDir;

namespace {

SiteLogConfig configFor(const NatsHub& hub, const std::string& kiosk) {
    SiteLogConfig c;
    c.servers = {hub.url()};
    c.siteId = "site.42 north";  // dots and a space: must be sanitised
    c.kioskId = kiosk;
    c.fetchWait = std::chrono::milliseconds(200);
    c.requestTimeout = std::chrono::milliseconds(2000);
    c.connectTimeout = std::chrono::milliseconds(1000);
    return c;
}

Database openKiosk(const std::filesystem::path& file) {
    auto db = Database::open(file);
    REQUIRE(db.ok());
    REQUIRE(prepareKiosk(*db));
    return std::move(*db);
}

std::unique_ptr<SiteConnection> connectOrFail(const SiteLogConfig& c) {
    auto conn = SiteConnection::connect(c);
    if (!conn) FAIL("connect: " << conn.error().message);
    return std::move(*conn);
}

// Fetches until `done` or the limit; returns whether `done` became true.
bool consumeUntil(Consumer& consumer, const edsync::site::ApplyFn& apply, const std::function<bool()>& done) {
    return waitUntil([&] {
        auto r = consumer.fetch(apply);
        return done();
    });
}

} // namespace

TEST_CASE("site ids become NATS tokens and subject suffixes are checked") {
    using edsync::site::natsToken;
    CHECK(natsToken("north-42") == "north-42");
    CHECK(natsToken("a.b c") == "a_2Eb_20c");
    CHECK(natsToken("a_b") != natsToken("a.b"));
    CHECK(natsToken("") == "_");
    CHECK(edsync::site::validSubjectSuffix("attendance.check_in"));
    CHECK_FALSE(edsync::site::validSubjectSuffix(""));
    CHECK_FALSE(edsync::site::validSubjectSuffix("a..b"));
    CHECK_FALSE(edsync::site::validSubjectSuffix("a.>"));
    CHECK_FALSE(edsync::site::validSubjectSuffix("a.*"));
    CHECK_FALSE(edsync::site::validSubjectSuffix("a b"));
}

TEST_CASE("after the hub is lost, what it acknowledged in its last moments is sent again, and older rows stay published") {
    TempDir dir;
    Database db = openKiosk(dir / "k.db");
    for (int i = 0; i < 4; ++i) REQUIRE(commitEvent(db, eventId("K", i), "attendance.checkin", "{}"));
    std::vector<edsync::site::Published> early{{eventId("K", 0), 1}, {eventId("K", 1), 2}};
    std::vector<edsync::site::Published> late{{eventId("K", 2), 3}, {eventId("K", 3), 4}};
    REQUIRE(edsync::site::markPublished(db, early, 1'000'000).ok());
    REQUIRE(edsync::site::markPublished(db, late, 2'000'000).ok());
    CHECK(edsync::site::outboxStatus(db)->unpublished == 0);
    auto again = edsync::site::markPublishedSinceUnpublished(db, 1'500'000);
    REQUIRE(again.ok());
    CHECK(*again == 2);
    CHECK(edsync::site::outboxStatus(db)->unpublished == 2);
    CHECK(count(db, "SELECT count(*) FROM site_outbox WHERE published_at IS NULL AND event_id IN ('K-ev-2', 'K-ev-3')") == 2);
}

TEST_CASE("enqueue rides in the caller's transaction and is idempotent by event id") {
    TempDir dir;
    Database db = openKiosk(dir / "k.db");
    {
        auto tx = Transaction::begin(db);
        REQUIRE(tx.ok());
        auto first = edsync::site::enqueue(db, "ev-1", "attendance.checkin", "{}");
        REQUIRE(first.ok());
        CHECK(*first);
        // Rolled back with the caller's transaction: nothing queued.
    }
    CHECK(edsync::site::outboxStatus(db)->unpublished == 0);
    REQUIRE(commitEvent(db, "ev-1", "attendance.checkin", "{}"));
    auto tx = Transaction::begin(db);
    REQUIRE(tx.ok());
    auto again = edsync::site::enqueue(db, "ev-1", "attendance.checkin", "{}");
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
    CHECK_FALSE(edsync::site::enqueue(db, "ev-2", "bad subject", "{}").ok());
    REQUIRE(tx->commit().ok());
    auto st = edsync::site::outboxStatus(db);
    REQUIRE(st.ok());
    CHECK(st->unpublished == 1);
    CHECK(st->oldestQueuedUnixMs.has_value());
}

TEST_CASE("a stream sequence counts as applied only with the event it carried (a crashed hub numbers its lost tail anew)") {
    TempDir dir;
    Database db = openKiosk(dir / "k.db");
    REQUIRE(edsync::site::bindStream(db, "SITE_T", 1).ok());
    auto record = [&](std::uint64_t seq, const std::string& id) {
        auto tx = Transaction::begin(db);
        REQUIRE(tx.ok());
        auto r = edsync::site::recordApplied(db, seq, id);
        REQUIRE(r.ok());
        REQUIRE(tx->commit().ok());
        return *r;
    };
    CHECK(record(5, "A-ev-1"));
    CHECK(*edsync::site::wasApplied(db, 5, "A-ev-1"));
    // After the crash, sequence 5 carries another event: it is new here.
    CHECK_FALSE(*edsync::site::wasApplied(db, 5, "B-ev-9"));
    // ... and the lost event, sent again, arrives under another sequence: already applied.
    CHECK(*edsync::site::wasApplied(db, 7, "A-ev-1"));
    CHECK_FALSE(record(7, "A-ev-1"));
    CHECK(record(5, "B-ev-9"));
    CHECK(*edsync::site::wasApplied(db, 5, "B-ev-9"));
    CHECK(edsync::site::cursor(db)->value().applied == 2);

    // Pruning below the ack floor keeps what was applied lately: the hub may
    // still redeliver it if it was killed before writing its acks.
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    REQUIRE(edsync::site::pruneApplied(db, 10, now).ok());
    CHECK(count(db, "SELECT count(*) FROM site_applied") == 1);
    REQUIRE(edsync::site::pruneApplied(db, 10, now + edsync::site::kAppliedMemoryMs + 1).ok());
    CHECK(count(db, "SELECT count(*) FROM site_applied") == 0);
}

TEST_CASE("round trip: kiosk A publishes, kiosk B applies each event once, A sees its own flagged") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));

    const int n = 600;  // more than one publish batch
    for (int i = 0; i < n; ++i)
        REQUIRE(commitEvent(a, eventId("A", i), i % 2 ? "attendance.checkin" : "work.draft", "{\"i\":" + std::to_string(i) + "}"));
    Publisher pa(*ca, a);
    auto report = pa.publishPending();
    REQUIRE_MESSAGE(report.ok(), report.error().message);
    CHECK(report->acknowledged == n);
    CHECK(edsync::site::outboxStatus(a)->unpublished == 0);

    auto consumerB = Consumer::open(*cb, b);
    REQUIRE_MESSAGE(consumerB.ok(), consumerB.error().message);
    ApplyCounters countersB;
    auto applyB = applier(countersB);
    CHECK(consumeUntil(**consumerB, applyB, [&] { return countersB.applied == n; }));
    CHECK(count(b, "SELECT count(*) FROM applied") == n);
    CHECK(count(b, "SELECT count(*) FROM applied WHERE origin = 'kiosk-A'") == n);
    CHECK(count(b, "SELECT count(*) FROM applied WHERE suffix = 'attendance.checkin'") == n / 2);
    CHECK(count(b, "SELECT count(*) FROM applied WHERE event_id = 'A-ev-7' AND payload = '{\"i\":7}'") == 1);
    CHECK(countersB.duplicates == 0);
    auto cursor = edsync::site::cursor(b);
    REQUIRE(cursor.ok());
    REQUIRE(cursor->has_value());
    CHECK((*cursor)->applied == n);
    CHECK((*cursor)->lastSeq == static_cast<std::uint64_t>(n));
    auto lag = (*consumerB)->lag();
    REQUIRE(lag.ok());
    CHECK(lag->pending == 0);

    auto consumerA = Consumer::open(*ca, a);
    REQUIRE(consumerA.ok());
    ApplyCounters countersA;
    auto applyA = applier(countersA);
    CHECK(consumeUntil(**consumerA, applyA, [&] { return countersA.own == n; }));
    CHECK(countersA.applied == 0);
    CHECK(edsync::site::cursor(a)->value().lastSeq == static_cast<std::uint64_t>(n));
}

TEST_CASE("how far behind in time: unknown before anything is applied, 0 once caught up, the log's lead after that") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    Publisher pa(*ca, a);
    REQUIRE(commitEvent(a, eventId("A", 0), "attendance.checkin", "{}"));
    REQUIRE(pa.publishPending().ok());

    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    auto before = (*consumerB)->lag();
    REQUIRE_MESSAGE(before.ok(), (before.ok() ? std::string() : before.error().message));
    CHECK(before->behind() == 1);
    CHECK_FALSE(before->secondsBehind.has_value());  // no event of the log seen here yet: no time to compare

    ApplyCounters counters;
    auto apply = applier(counters);
    CHECK(consumeUntil(**consumerB, apply, [&] { return counters.applied == 1; }));
    std::optional<edsync::site::ConsumerLag> caughtUp;
    CHECK(waitUntil([&] {
        auto lag = (*consumerB)->lag();
        if (lag.ok() && lag->behind() == 0) caughtUp = *lag;
        return caughtUp.has_value();
    }));
    REQUIRE(caughtUp.has_value());
    CHECK(caughtUp->secondsBehind == std::optional<std::int64_t>(0));

    for (int i = 1; i <= 3; ++i) REQUIRE(commitEvent(a, eventId("A", i), "attendance.checkin", "{}"));
    REQUIRE(pa.publishPending().ok());
    auto behind = (*consumerB)->lag();
    REQUIRE(behind.ok());
    CHECK(behind->behind() == 3);
    REQUIRE(behind->secondsBehind.has_value());
    CHECK(*behind->secondsBehind >= 0);
}

TEST_CASE("the same event published twice (two kiosks, or a resend) is consumed once") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database usb = openKiosk(dir / "usb.db");  // an imported copy of A's events
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cu = connectOrFail(configFor(hub, "kiosk-U"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    for (int i = 0; i < 50; ++i) {
        REQUIRE(commitEvent(a, eventId("A", i), "attendance.checkin", "{}"));
        REQUIRE(commitEvent(usb, eventId("A", i), "attendance.checkin", "{}"));
    }
    Publisher pa(*ca, a), pu(*cu, usb);
    REQUIRE(pa.publishPending().ok());
    auto second = pu.publishPending();
    REQUIRE(second.ok());
    CHECK(second->acknowledged == 50);  // the hub acknowledges a duplicate without storing it
    // A resend of rows already published (as after a lost PubAck).
    REQUIRE(edsync::site::markAllUnpublished(a).ok());
    REQUIRE(pa.publishPending().ok());

    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto apply = applier(counters);
    CHECK(consumeUntil(**consumerB, apply, [&] { return counters.applied >= 50; }));
    // Acks travel asynchronously: wait for the hub to have them all.
    CHECK(waitUntil([&] {
        auto lag = (*consumerB)->lag();
        return lag.ok() && lag->behind() == 0;
    }));
    CHECK(counters.applied == 50);
    CHECK(counters.duplicates == 0);
    CHECK(edsync::site::cursor(b)->value().lastSeq == 50);  // the stream holds each event once
}

TEST_CASE("hub down: commits keep queueing and rows stay, then hub back: published and consumed") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    REQUIRE(ca->ensureStream().ok());
    Publisher pa(*ca, a);

    hub.kill();
    REQUIRE(waitUntil([&] { return !ca->connected(); }));
    for (int i = 0; i < 100; ++i) REQUIRE(commitEvent(a, eventId("A", i), "work.entry", "{}"));
    auto offline = pa.publishPending();
    CHECK_FALSE(offline.ok());
    CHECK(edsync::site::outboxStatus(a)->unpublished == 100);

    REQUIRE_MESSAGE(hub.start(), hub.error());
    REQUIRE(waitUntil([&] { return ca->connected(); }));
    REQUIRE(waitUntil([&] {
        (void)pa.publishPending();
        return edsync::site::outboxStatus(a)->unpublished == 0;
    }));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto apply = applier(counters);
    CHECK(consumeUntil(**consumerB, apply, [&] { return counters.applied == 100; }));
    CHECK(counters.duplicates == 0);
}

TEST_CASE("a failed apply is not acknowledged, is reported and comes back") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    for (int i = 0; i < 5; ++i) REQUIRE(commitEvent(a, eventId("A", i), "work.entry", "{}"));
    Publisher pa(*ca, a);
    REQUIRE(pa.publishPending().ok());
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto good = applier(counters);
    int refusals = 0;
    edsync::site::ApplyFn flaky = [&](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        if (m.eventId == "A-ev-2" && refusals < 1) {
            ++refusals;
            return edsync::fail(std::string("database busy"));
        }
        return good(db, m);
    };
    int failedReported = 0;
    std::string failure;
    CHECK(waitUntil([&] {
        auto r = (*consumerB)->fetch(flaky);
        if (r && r->failed > 0) {
            failedReported += r->failed;
            failure = r->lastFailure;
        }
        return counters.applied == 5;
    }));
    CHECK(failedReported == 1);
    CHECK(failure.find("A-ev-2") != std::string::npos);
    CHECK(failure.find("database busy") != std::string::npos);
    CHECK(counters.duplicates == 0);
}

TEST_CASE("an apply that forgot recordApplied: if its place cannot be saved either, it is not acknowledged and comes back") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    REQUIRE(commitEvent(a, eventId("A", 0), "work.entry", "{}"));
    Publisher pa(*ca, a);
    REQUIRE(pa.publishPending().ok());
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    int applies = 0;
    edsync::site::ApplyFn forgetful = [&](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        ++applies;
        auto s = db.prepare("INSERT OR IGNORE INTO applied (event_id, origin, suffix, payload, stream_seq) VALUES (?1, '', '', '', 0);");
        if (!s) return edsync::fail(s.error().describe());
        s->bind(1, m.eventId);
        if (auto r = s->run(); !r) return edsync::fail(r.error().describe());
        return {};
    };
    // The cursor's table refuses writes (a full disk, say) for the first delivery.
    REQUIRE(b.exec("CREATE TEMP TRIGGER no_cursor BEFORE INSERT ON main.site_applied BEGIN SELECT RAISE(ABORT, 'disk full'); END;"));
    edsync::site::FetchReport first;
    CHECK(waitUntil([&] {
        auto r = (*consumerB)->fetch(forgetful);
        if (r && r->received > 0) first = *r;
        return first.received > 0;
    }));
    CHECK(first.failed == 1);
    CHECK(first.applied == 0);
    CHECK(first.lastFailure.find("could not be saved") != std::string::npos);
    CHECK_FALSE(*edsync::site::wasApplied(b, 1, eventId("A", 0)));

    REQUIRE(b.exec("DROP TRIGGER no_cursor;"));
    CHECK(waitUntil([&] {
        (void)(*consumerB)->fetch(forgetful);  // the wait looks at the store
        return *edsync::site::wasApplied(b, 1, eventId("A", 0));
    }));
    CHECK(applies == 2);  // applied again on redelivery (idempotent), then recorded
    CHECK(count(b, "SELECT count(*) FROM applied") == 1);
}

namespace {

// Takes up to `n` messages of kiosk `config`'s durable consumer and never
// acknowledges them: what a kiosk killed mid-batch, or a fetch answer lost
// to a partition, leaves on the hub.
void takeWithoutAck(SiteConnection& conn, int n) {
    const SiteLogConfig& cfg = conn.config();
    const std::string stream = edsync::site::streamName(cfg), durable = edsync::site::consumerName(cfg);
    const std::string filter = edsync::site::subjectPrefix(cfg) + ">";
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.Consumer = durable.c_str();
    natsSubscription* sub = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    REQUIRE(js_PullSubscribe(&sub, conn.nats().js, filter.c_str(), durable.c_str(), nullptr, &so, &jerr) == NATS_OK);
    natsMsgList list{};
    REQUIRE(natsSubscription_Fetch(&list, sub, n, 2000, &jerr) == NATS_OK);
    CHECK(list.Count == n);
    natsMsgList_Destroy(&list);
    natsSubscription_Destroy(sub);
}

// Applies like applier(), and keeps the order of the stream sequences applied.
edsync::site::ApplyFn inOrder(ApplyCounters& counters, std::vector<std::uint64_t>& order) {
    auto apply = applier(counters);
    return [apply, &order](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        auto r = apply(db, m);
        if (r) order.push_back(m.streamSeq);
        return r;
    };
}

// Kiosks A and B on one hub; B fetches `batch` at a time.
struct TwoKiosks {
    TempDir dir;
    NatsHub hub{dir / "hub"};
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    std::unique_ptr<SiteConnection> ca, cb;
    explicit TwoKiosks(int batch) {
        REQUIRE_MESSAGE(hub.start(), hub.error());
        ca = connectOrFail(configFor(hub, "kiosk-A"));
        SiteLogConfig cfgB = configFor(hub, "kiosk-B");
        cfgB.fetchBatch = batch;
        cb = connectOrFail(cfgB);
    }
};

// Kiosk A has published ten events; kiosk B has read none.
struct TenFromA : TwoKiosks {
    explicit TenFromA(int batch = 512) : TwoKiosks(batch) {
        for (int i = 0; i < 10; ++i) REQUIRE(commitEvent(a, eventId("A", i), "work.entry", "{}"));
        Publisher pa(*ca, a);
        REQUIRE(pa.publishPending().ok());
    }
};

} // namespace

TEST_CASE("messages delivered and never acknowledged (a kill mid-batch) come again first: the log is applied in order") {
    TenFromA site;
    auto& cb = site.cb;
    auto& b = site.b;
    { REQUIRE(Consumer::open(*cb, b).ok()); }  // kiosk B's consumer exists on the hub
    takeWithoutAck(*cb, 3);                   // ... and B dies holding 1-3 (the ack wait is 30 s)

    auto consumerB = Consumer::open(*cb, b);  // B starts again
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    std::vector<std::uint64_t> order;
    auto apply = inOrder(counters, order);
    REQUIRE(consumeUntil(**consumerB, apply, [&] { return counters.applied == 10; }));
    REQUIRE(order.size() == 10);
    CHECK(order.front() == 1);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(counters.duplicates == 0);
}

TEST_CASE("fetches of a small batch while events arrive: none takes more than its batch, and what arrived after a fetch returned comes first, in order") {
    // B fetches while A publishes: a waiting request returns with its first
    // deliveries and the rest land in the inbox, to open the next fetch.
    // libnats 3.4.1's own Fetch wrote past its array in just that case.
    TwoKiosks site(8);
    Database& a = site.a;
    Database& b = site.b;
    SiteConnection& ca = *site.ca;
    auto consumerB = Consumer::open(*site.cb, b);
    REQUIRE_MESSAGE(consumerB.ok(), consumerB.error().message);

    const int n = 300;
    std::atomic<bool> published{false};
    std::thread publishing([&] {
        Publisher pa(ca, a);
        for (int i = 0; i < n; ++i) {
            if (!commitEvent(a, eventId("A", i), "attendance.checkin", "{\"i\":" + std::to_string(i) + "}")) return;
            if (i % 5 == 4 && !pa.publishPending()) return;
        }
        published = pa.publishPending().ok();
    });
    ApplyCounters counters;
    std::vector<std::uint64_t> order;
    auto apply = inOrder(counters, order);
    int overfull = 0, restarts = 0, failures = 0;
    const bool all = waitUntil([&] {
        auto r = (*consumerB)->fetch(apply);
        if (!r) ++failures;
        else {
            if (r->received > 8) ++overfull;
            restarts += r->restarts;
        }
        return counters.applied == n;
    });
    publishing.join();
    CHECK(published);
    CHECK(all);
    CHECK(failures == 0);
    CHECK(overfull == 0);
    CHECK(restarts == 0);
    REQUIRE(order.size() == static_cast<std::size_t>(n));
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(counters.duplicates == 0);
    CHECK(count(b, "SELECT count(*) FROM applied") == n);
}

TEST_CASE("a fetch answer lost to a partition: the next batch skips ahead, and the consumer starts again from its ack floor") {
    TenFromA site(2);
    auto& cb = site.cb;
    auto& b = site.b;
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    std::vector<std::uint64_t> order;
    auto apply = inOrder(counters, order);
    auto first = (*consumerB)->fetch(apply);  // 1 and 2
    REQUIRE(first.ok());
    REQUIRE(first->applied == 2);
    takeWithoutAck(*cb, 3);  // 3-5 delivered, the answer never arrives
    int restarts = 0;
    REQUIRE(waitUntil([&] {
        auto r = (*consumerB)->fetch(apply);
        if (r) restarts += r->restarts;
        return counters.applied == 10;
    }));
    CHECK(restarts >= 1);
    REQUIRE(order.size() == 10);
    CHECK(std::is_sorted(order.begin(), order.end()));
    CHECK(counters.duplicates == 0);
}

TEST_CASE("batch transaction: a refused event is rolled back alone, the rest commit with the cursor") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(configFor(hub, "kiosk-A"));
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    for (int i = 0; i < 300; ++i) REQUIRE(commitEvent(a, eventId("A", i), "work.entry", "{}"));
    Publisher pa(*ca, a);
    REQUIRE(pa.publishPending().ok());
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto within = applierWithin(counters);
    bool refused = false;
    edsync::site::ApplyFn flaky = [&](Database& db, const edsync::site::SiteMessage& m) -> edsync::site::ApplyResult {
        auto r = within(db, m);  // writes its row, then refuses once: the savepoint must undo the row
        if (m.eventId == "A-ev-10" && !refused) {
            refused = true;
            --counters.applied;
            return edsync::fail(std::string("merge rule refused"));
        }
        return r;
    };
    int failures = 0;
    CHECK(waitUntil([&] {
        auto r = (*consumerB)->fetchInTransaction(flaky);
        if (r) failures += r->failed;
        return count(b, "SELECT count(*) FROM applied") == 300 && count(b, "SELECT count(*) FROM site_applied") == 300;
    }));
    CHECK(failures == 1);
    CHECK(counters.duplicates == 0);
    CHECK(edsync::site::cursor(b)->value().applied == 300);
}

TEST_CASE("SIGKILL of the hub mid-stream: nothing lost, nothing applied twice") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    ApplyCounters countersA, countersB;
    auto linkA = SiteLink::create(configFor(hub, "kiosk-A"), dir / "a.db", applier(countersA));
    REQUIRE(linkA.ok());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto linkB = SiteLink::create(configFor(hub, "kiosk-B"), dir / "b.db", applier(countersB));
    REQUIRE(linkB.ok());
    (*linkA)->start();
    (*linkB)->start();

    const int n = 1500;
    for (int i = 0; i < n; ++i) {
        REQUIRE(commitEvent(a, eventId("A", i), "attendance.checkin", "{}"));
        (*linkA)->notify();
        if (i == 500) hub.kill();
        if (i == 1000) REQUIRE_MESSAGE(hub.start(), hub.error());
    }
    CHECK(waitUntil([&] { return countersB.applied >= n; }, std::chrono::seconds(120)));
    INFO("applied on B: " << countersB.applied.load() << " of " << n << ", twice: " << countersB.duplicates.load()
                          << ", last apply failure: " << (*linkB)->status().lastApplyFailure);
    CHECK(countersB.applied == n);
    CHECK(count(b, "SELECT count(*) FROM applied") == n);
    CHECK(countersB.duplicates == 0);
    CHECK(waitUntil([&] { return (*linkA)->status().unpublished == 0; }));
    auto st = (*linkA)->status();
    CHECK(st.connected);
    CHECK(st.lastContactUnixMs > 0);
    (*linkA)->stop();
    (*linkB)->stop();
}

TEST_CASE("SIGKILL of a publishing kiosk mid-publish: run again, every event arrives once") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    const SiteLogConfig cfg = configFor(hub, "kiosk-P");
    const std::string dbFile = (dir / "p.db").string();
    const int n = 2000;
    auto spawnPublisher = [&]() {
        std::vector<std::string> args{SITE_PUBLISHER_EXE, dbFile, hub.url(), cfg.siteId, cfg.kioskId, std::to_string(n)};
        std::vector<char*> argv;
        for (auto& s : args) argv.push_back(s.data());
        argv.push_back(nullptr);
        pid_t pid = -1;
        REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
        return pid;
    };
    Database p = openKiosk(dir / "p.db");
    pid_t pid = spawnPublisher();
    // Kill it once some events are in the log and more are on their way.
    bool midway = waitUntil([&] { return count(p, "SELECT count(*) FROM site_outbox WHERE published_at IS NOT NULL") >= 300; });
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(midway);
    CHECK(WIFSIGNALED(status));
    const auto publishedAtKill = count(p, "SELECT count(*) FROM site_outbox WHERE published_at IS NOT NULL");
    CHECK(publishedAtKill < n);

    pid = spawnPublisher();
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(count(p, "SELECT count(*) FROM site_outbox") == n);

    Database b = openKiosk(dir / "b.db");
    auto cb = connectOrFail(configFor(hub, "kiosk-B"));
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto apply = applier(counters);
    CHECK(consumeUntil(**consumerB, apply, [&] { return counters.applied == n; }));
    CHECK(count(b, "SELECT count(DISTINCT event_id) FROM applied") == n);
    CHECK(counters.duplicates == 0);
    CHECK(waitUntil([&] {
        auto lag = (*consumerB)->lag();
        return lag.ok() && lag->behind() == 0;
    }));
}

TEST_CASE("uploader lease: three kiosks, at most one holder at a time, and a dead holder's lease lapses") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    struct Client {
        std::string id;
        std::unique_ptr<SiteConnection> conn;
        std::unique_ptr<Lease> lease;
    };
    std::vector<Client> clients;
    for (std::string id : {"kiosk-1", "kiosk-2", "kiosk-3"}) {
        SiteLogConfig c = configFor(hub, id);
        c.leaseTtl = std::chrono::seconds(4);
        Client cl{id, connectOrFail(c), nullptr};
        auto l = Lease::open(*cl.conn);
        REQUIRE_MESSAGE(l.ok(), l.error().message);
        cl.lease = std::move(*l);
        clients.push_back(std::move(cl));
    }
    auto holdersNow = [&] {
        int n = 0;
        for (auto& c : clients)
            if (c.lease && c.lease->heldLocally()) ++n;
        return n;
    };
    // Everyone competes; exactly one wins and the hub names it.
    int overlaps = 0;
    std::string first;
    REQUIRE(waitUntil([&] {
        for (auto& c : clients) {
            auto got = c.lease->tryAcquire(c.id);
            REQUIRE(got.ok());
            if (*got) first = c.id;
            if (holdersNow() > 1) ++overlaps;
        }
        return !first.empty();
    }));
    CHECK(holdersNow() == 1);
    auto h = clients[0].lease->holder();
    REQUIRE(h.ok());
    CHECK(h->value_or("") == first);
    // Renewals keep it; the others keep being refused.
    for (int round = 0; round < 20; ++round) {
        for (auto& c : clients) {
            auto got = c.lease->tryAcquire(c.id);
            REQUIRE(got.ok());
            CHECK(*got == (c.id == first));
        }
        CHECK(holdersNow() == 1);
    }

    // The holder dies without releasing: another takes over after the TTL.
    for (auto& c : clients)
        if (c.id == first) {
            c.lease.reset();
            c.conn.reset();
        }
    std::string second;
    REQUIRE(waitUntil([&] {
        for (auto& c : clients) {
            if (!c.lease) continue;
            auto got = c.lease->tryAcquire(c.id);
            REQUIRE(got.ok());
            if (*got) second = c.id;
            if (holdersNow() > 1) ++overlaps;
        }
        return !second.empty();
    }, std::chrono::seconds(60)));
    CHECK(second != first);
    CHECK(overlaps == 0);
    CHECK(holdersNow() == 1);

    // Released: the third takes it at once.
    for (auto& c : clients)
        if (c.id == second) REQUIRE(c.lease->release(c.id).ok());
    for (auto& c : clients) {
        if (!c.lease || c.id == second) continue;
        auto got = c.lease->tryAcquire(c.id);
        REQUIRE(got.ok());
        CHECK(*got);
        CHECK(c.lease->holder()->value_or("") == c.id);
    }
}

TEST_CASE("site link: live events between two kiosks, lease holder and machine list in the status") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    ApplyCounters countersA, countersB;
    auto linkA = SiteLink::create(configFor(hub, "kiosk-A"), dir / "a.db", applier(countersA));
    auto linkB = SiteLink::create(configFor(hub, "kiosk-B"), dir / "b.db", applier(countersB));
    REQUIRE(linkA.ok());
    REQUIRE(linkB.ok());
    (*linkB)->setWantLease(true);
    (*linkA)->setAnnouncement("{\"role\":\"lab\"}");
    (*linkA)->start();
    (*linkB)->start();
    for (int i = 0; i < 20; ++i) {
        REQUIRE(commitEvent(a, eventId("A", i), "work.submit", "{}"));
        (*linkA)->notify();
    }
    bool arrived = waitUntil([&] { return countersB.applied == 20 && countersA.own == 20; });
    if (!arrived) {
        auto sa = (*linkA)->status();
        auto sb = (*linkB)->status();
        MESSAGE("A: " << sa.lastError << " / " << sa.lastApplyFailure << " unpublished " << sa.unpublished << " own " << countersA.own.load());
        MESSAGE("B: " << sb.lastError << " / " << sb.lastApplyFailure << " applied " << countersB.applied.load());
    }
    CHECK(arrived);
    CHECK(waitUntil([&] { return (*linkB)->holdsLease(); }));
    CHECK(waitUntil([&] { return (*linkA)->status().leaseHolder.value_or("") == "kiosk-B"; }));
    CHECK_FALSE((*linkA)->holdsLease());
    CHECK(waitUntil([&] { return (*linkA)->status().unpublished == 0 && (*linkB)->status().consumerPending == 0; }));

    auto viewer = connectOrFail(configFor(hub, "kiosk-V"));
    auto machines = edsync::site::Machines::open(*viewer);
    REQUIRE(machines.ok());
    std::vector<edsync::site::MachineInfo> list;
    CHECK(waitUntil([&] {
        auto m = (*machines)->machines();
        if (m) list = *m;
        return list.size() == 2;
    }));
    REQUIRE(list.size() == 2);
    CHECK(list[0].kioskId == "kiosk-A");
    CHECK(list[0].json == "{\"role\":\"lab\"}");
    CHECK(list[0].updatedUnixMs > 0);
    CHECK(list[1].kioskId == "kiosk-B");

    // Stopping the holder gives the lease back at once.
    (*linkB)->stop();
    auto lease = Lease::open(*viewer);
    REQUIRE(lease.ok());
    CHECK(!(*lease)->holder()->has_value());
    (*linkA)->stop();
    CHECK_FALSE((*linkA)->status().running);
}

TEST_CASE("site link with the hub gone: commits still queue, the status says so, stop returns") {
    TempDir dir;
    NatsHub hub(dir / "hub");
    REQUIRE_MESSAGE(hub.start(), hub.error());
    Database a = openKiosk(dir / "a.db");
    ApplyCounters counters;
    auto link = SiteLink::create(configFor(hub, "kiosk-A"), dir / "a.db", applier(counters));
    REQUIRE(link.ok());
    (*link)->start();
    REQUIRE(waitUntil([&] { return (*link)->status().connected; }));
    hub.kill();
    REQUIRE(waitUntil([&] { return !(*link)->status().connected; }));
    for (int i = 0; i < 10; ++i) {
        REQUIRE(commitEvent(a, eventId("A", i), "work.entry", "{}"));
        (*link)->notify();
    }
    CHECK(waitUntil([&] { return (*link)->status().unpublished == 10; }));
    auto st = (*link)->status();
    CHECK(st.oldestUnpublishedUnixMs.has_value());
    CHECK(st.lastContactUnixMs > 0);
    (*link)->stop();  // must not hang on a hub that is not there
    CHECK_FALSE((*link)->status().running);
    CHECK(edsync::site::outboxStatus(a)->unpublished == 10);
}

TEST_CASE("TLS and a password from a generated hub config, and a wrong password is refused clearly") {
    TempDir dir;
    kiosk::test::NatsHubOptions opts;
    opts.tls = true;
    opts.user = "kiosk";
    opts.password = "derived-from-the-site-key";
    NatsHub hub(dir / "hub", opts);
    REQUIRE_MESSAGE(hub.start(), hub.error());
    SiteLogConfig good = configFor(hub, "kiosk-A");
    good.caFile = hub.caFile().string();
    good.user = "kiosk";
    good.password = opts.password;

    Database a = openKiosk(dir / "a.db");
    Database b = openKiosk(dir / "b.db");
    auto ca = connectOrFail(good);
    SiteLogConfig goodB = good;
    goodB.kioskId = "kiosk-B";
    auto cb = connectOrFail(goodB);
    for (int i = 0; i < 10; ++i) REQUIRE(commitEvent(a, eventId("A", i), "session.open", "{}"));
    Publisher pa(*ca, a);
    auto r = pa.publishPending();
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    CHECK(r->acknowledged == 10);
    auto consumerB = Consumer::open(*cb, b);
    REQUIRE(consumerB.ok());
    ApplyCounters counters;
    auto apply = applier(counters);
    CHECK(consumeUntil(**consumerB, apply, [&] { return counters.applied == 10; }));

    SiteLogConfig wrong = good;
    wrong.password = "guess";
    auto refused = SiteConnection::connect(wrong);
    REQUIRE_FALSE(refused.ok());
    INFO(refused.error().message);
    CHECK(refused.error().authFailed());
    CHECK(refused.error().message.find("Authorization") != std::string::npos);

    // Without the hub's certificate as CA the connection is refused, not trusted blindly.
    SiteLogConfig untrusted = good;
    untrusted.caFile = (dir / "other-ca.pem").string();
    REQUIRE(edsync::site::makeSelfSignedCert(untrusted.caFile, dir / "other-key.pem", "someone else", {"localhost"},
                                             {"127.0.0.1"}).ok());
    CHECK_FALSE(SiteConnection::connect(untrusted).ok());
}

TEST_CASE("hub config: the file names the store, TLS, the user and the limits, and is private") {
    TempDir dir;
    edsync::site::HubConfig c;
    c.dataDir = dir.path();
    c.port = 4333;
    c.certFile = dir / "c.pem";
    c.keyFile = dir / "k.pem";
    c.password = "p\"w";
    REQUIRE(edsync::site::writeHubConfig(c, dir / "hub.conf").ok());
    CHECK((std::filesystem::status(dir / "hub.conf").permissions() & std::filesystem::perms::group_read) ==
          std::filesystem::perms::none);
    const std::string text = edsync::site::hubConfigText(c);
    CHECK(text.find("store_dir: \"" + (dir.path() / "hub").string() + "\"") != std::string::npos);
    CHECK(text.find("password: \"p\\\"w\"") != std::string::npos);
    CHECK(text.find("cert_file:") != std::string::npos);
    CHECK(text.find("listen: \"0.0.0.0:4333\"") != std::string::npos);
    // Written again over a copy others could read (an older release's
    // leftover): 0600 again, the new text whole, no temporary file beside it.
    std::filesystem::permissions(dir / "hub.conf", std::filesystem::perms::others_read, std::filesystem::perm_options::add);
    c.password = "q";
    REQUIRE(edsync::site::writeHubConfig(c, dir / "hub.conf").ok());
    CHECK((std::filesystem::status(dir / "hub.conf").permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    std::ifstream in(dir / "hub.conf");
    CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == edsync::site::hubConfigText(c));
    // The certificate is public (0644), its key private (0600).
    REQUIRE(edsync::site::makeSelfSignedCert(c.certFile, c.keyFile, "hub", {"localhost"}, {"127.0.0.1"}).ok());
    CHECK((std::filesystem::status(c.certFile).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write | std::filesystem::perms::group_read |
           std::filesystem::perms::others_read));
    CHECK((std::filesystem::status(c.keyFile).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"c.pem", "hub.conf", "k.pem"});
    c.password.clear();
    CHECK_FALSE(edsync::site::writeHubConfig(c, dir / "none.conf").ok());
}
