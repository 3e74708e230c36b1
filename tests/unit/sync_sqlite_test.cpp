#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/migrations.hpp"

#include <doctest/doctest.h>

#include <array>
#include <sys/stat.h>

using namespace edsync;

TEST_CASE("a database file is created 0600 with WAL and foreign keys on") {
    kiosk::test::TempDir dir;
    auto db = sqlite::Database::open(dir / "k.db");
    REQUIRE(db.ok());
    struct stat st{};
    REQUIRE(::stat((dir / "k.db").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto mode = db->prepare("PRAGMA journal_mode;");
    REQUIRE(mode.ok());
    REQUIRE(*mode->step());
    CHECK(mode->getText(0) == "wal");
    auto fk = db->prepare("PRAGMA foreign_keys;");
    REQUIRE(*fk->step());
    CHECK(fk->getInt(0) == 1);
    auto sync = db->prepare("PRAGMA synchronous;");
    REQUIRE(*sync->step());
    CHECK(sync->getInt(0) == 2);  // FULL
}

TEST_CASE("deferred checkpoints: commits leave the WAL to grow past 1,000 pages, and checkpoint() copies it all") {
    kiosk::test::TempDir dir;
    auto walFrames = [](sqlite::Database& db) {
        auto pageSize = db.prepare("PRAGMA page_size;");
        REQUIRE(*pageSize->step());
        auto bytes = std::filesystem::file_size(db.path().string() + "-wal");
        return static_cast<std::int64_t>((bytes - 32) / static_cast<std::uintmax_t>(pageSize->getInt(0) + 24));
    };
    auto fill = [](sqlite::Database& db) {
        REQUIRE(db.exec("CREATE TABLE t (x BLOB);").ok());
        for (int i = 0; i < 1500; ++i) REQUIRE(db.exec("INSERT INTO t VALUES (zeroblob(3000));").ok());  // a commit each
    };
    auto automatic = sqlite::Database::open(dir / "automatic.db", sqlite::Durability::Normal);
    REQUIRE(automatic.ok());
    fill(*automatic);
    CHECK(walFrames(*automatic) < 1200);  // SQLite checkpointed inside a commit near 1,000 and reused the WAL

    auto deferred = sqlite::Database::open(dir / "deferred.db", sqlite::Durability::Normal);
    REQUIRE(deferred.ok());
    REQUIRE(deferred->deferCheckpoints(10000).ok());
    fill(*deferred);
    CHECK(walFrames(*deferred) > 1500);  // no commit paid for a checkpoint
    auto left = deferred->checkpoint();
    REQUIRE(left.ok());
    CHECK(*left == 0);
    CHECK(std::filesystem::file_size(dir / "deferred.db") > 1500u * 3000u);  // the rows are in the database file now
}

TEST_CASE("a transaction that is not committed leaves no trace") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(db->exec("CREATE TABLE t (x INTEGER);").ok());
    {
        auto tx = sqlite::Transaction::begin(*db);
        REQUIRE(tx.ok());
        REQUIRE(db->exec("INSERT INTO t VALUES (1);").ok());
    }  // destroyed without commit
    auto count = db->prepare("SELECT count(*) FROM t;");
    REQUIRE(*count->step());
    CHECK(count->getInt(0) == 0);
}

TEST_CASE("migrations apply once, in order, and refuse a newer database") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    constexpr std::array two{sqlite::Migration{1, "CREATE TABLE a (x);"}, sqlite::Migration{2, "CREATE TABLE b (y);"}};
    auto v = sqlite::migrate(*db, "test", two);
    REQUIRE(v.ok());
    CHECK(*v == 2);
    auto again = sqlite::migrate(*db, "test", two);
    REQUIRE(again.ok());
    CHECK(*again == 2);
    constexpr std::array one{sqlite::Migration{1, "CREATE TABLE a (x);"}};
    auto older = sqlite::migrate(*db, "test", one);
    REQUIRE_FALSE(older.ok());
    CHECK(older.error().message.find("newer version") != std::string::npos);
}

TEST_CASE("a failing migration rolls back and keeps the old version") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    constexpr std::array good{sqlite::Migration{1, "CREATE TABLE a (x);"}};
    REQUIRE(sqlite::migrate(*db, "test", good).ok());
    constexpr std::array bad{sqlite::Migration{1, "CREATE TABLE a (x);"},
                             sqlite::Migration{2, "CREATE TABLE c (z); THIS IS NOT SQL;"}};
    CHECK_FALSE(sqlite::migrate(*db, "test", bad).ok());
    auto v = sqlite::schemaVersion(*db, "test");
    REQUIRE(v.ok());
    CHECK(*v == 1);
    auto c = db->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'c';");
    REQUIRE(*c->step());
    CHECK(c->getInt(0) == 0);
}

TEST_CASE("outbox v8: an outbox an older release left keeps every row and column, stored in queue order") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(outbox::migrations().size() >= 8);
    REQUIRE(sqlite::migrate(*db, "sync", outbox::migrations().first(7)).ok());
    // Keys whose order is not the queue's: "c" was queued first.
    REQUIRE(db->exec(R"sql(
INSERT INTO outbox (resource, natural_key, body, local_version, synced_version, in_flight_version, seq, first_queued_at,
  updated_at, attempts, next_attempt_at, last_status, last_error, attention_version, op, resource_id, last_problem_type,
  last_words, last_correlation_id, last_reply_at, etag, identity, maybe_sent, unanswered_bodies, ack_order) VALUES
 ('studentAssessments', 'c', '{"v":3}', 3, 2, 3, 10, '2026-12-01T08:00:00.000Z', '2026-12-01T08:05:00.000Z', 2, 0,
  503, 'busy', NULL, 'upsert', 'abc', NULL, NULL, 'corr-1', 1764576300, '"e2"', '{"k":"c"}', 1, '["{\"v\":3}"]', '0001'),
 ('studentAssessments', 'a', '{"v":1}', 1, 0, NULL, 30, '2026-12-01T08:01:00.000Z', '2026-12-01T08:01:00.000Z', 0, 0,
  NULL, NULL, NULL, 'upsert', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, ''),
 ('studentAssessments', 'b', '', 2, 1, NULL, 20, '2026-12-01T08:02:00.000Z', '2026-12-01T08:03:00.000Z', 1, 0,
  412, 'changed at the state', 2, 'delete', 'def', 'urn:x', 'words', NULL, NULL, '"e1"', '{"k":"b"}', 0, NULL, '0002');
INSERT INTO state_acks (resource, natural_key, body, resource_id, etag, ack_order)
  VALUES ('studentAssessments', 'c', '{"v":3}', 'abc', '"e3"', '0003');
)sql").ok());
    const std::string dump =
        "SELECT group_concat(r, char(10)) FROM (SELECT json_array(resource, natural_key, body, local_version, synced_version,"
        " in_flight_version, seq, first_queued_at, updated_at, attempts, next_attempt_at, last_status, last_error,"
        " attention_version, op, resource_id, last_problem_type, last_words, last_correlation_id, last_reply_at, etag,"
        " identity, maybe_sent, unanswered_bodies, ack_order) AS r FROM outbox ORDER BY resource, natural_key);";
    auto text = [&](const std::string& sql) {
        auto stmt = db->prepare(sql);
        REQUIRE(stmt.ok());
        REQUIRE(stmt->step().value_or(false));
        return stmt->getText(0);
    };
    const std::string before = text(dump);

    auto v = outbox::migrate(*db);
    REQUIRE(v.ok());
    CHECK(*v == static_cast<int>(outbox::migrations().size()));
    CHECK(text(dump) == before);
    CHECK(text("SELECT sql FROM sqlite_master WHERE name = 'outbox';").find("WITHOUT ROWID") == std::string::npos);
    CHECK(text("SELECT group_concat(natural_key, '') FROM (SELECT natural_key FROM outbox ORDER BY rowid);") == "cba");

    // The key is still unique, and put() still finds the row by it.
    CHECK_FALSE(db->exec("INSERT INTO outbox (resource, natural_key, body, local_version, seq, first_queued_at, updated_at)"
                         " VALUES ('studentAssessments', 'a', '{}', 1, 40, 'x', 'x');")
                    .ok());
    auto put = outbox::put(*db, "studentAssessments", "a", R"({"v":2})", 40);
    REQUIRE(put.ok());
    CHECK(*put == 2);
    CHECK(text("SELECT count(*) FROM outbox;") == "3");
    // The trigger came along: a row synced past a kept acknowledgement forgets it.
    CHECK(text("SELECT count(*) FROM state_acks;") == "1");
    REQUIRE(outbox::acknowledge(*db, "studentAssessments", "c", 3).ok());
    CHECK(text("SELECT count(*) FROM state_acks;") == "0");
    // And the queue index: only waiting rows, in queue order.
    auto due = outbox::claimDue(*db, 0, 10);
    REQUIRE(due.ok());
    REQUIRE(due->size() == 1);
    CHECK((*due)[0].naturalKey == "a");
}

TEST_CASE("outbox v10: rows an older release left say whether the state holds the record, a settled deletion not") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(outbox::migrations().size() >= 10);
    REQUIRE(sqlite::migrate(*db, "sync", outbox::migrations().first(9)).ok());
    REQUIRE(db->exec(R"sql(
INSERT INTO outbox (resource, natural_key, body, local_version, synced_version, seq, first_queued_at, updated_at, op) VALUES
 ('studentAssessments', 'never', '{}', 1, 0, 1, 'x', 'x', 'upsert'),
 ('studentAssessments', 'written', '{}', 2, 1, 2, 'x', 'x', 'upsert'),
 ('studentAssessments', 'deleting', '{}', 3, 2, 3, 'x', 'x', 'delete'),
 ('studentAssessments', 'deleted', '{}', 2, 2, 4, 'x', 'x', 'delete');
)sql").ok());
    REQUIRE(outbox::migrate(*db).ok());
    auto stmt = db->prepare("SELECT group_concat(natural_key || '=' || at_state, ' ') FROM (SELECT * FROM outbox ORDER BY seq);");
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    CHECK(stmt->getText(0) == "never=0 written=1 deleting=1 deleted=0");
}

TEST_CASE("outbox: an acknowledgement marks only the version that was sent") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(outbox::migrate(*db).ok());
    REQUIRE(outbox::put(*db, "studentAssessments", "k1", R"({"v":1})", 1).ok());
    auto claims = outbox::claimDue(*db, 0, 10);
    REQUIRE(claims.ok());
    REQUIRE(claims->size() == 1);
    CHECK((*claims)[0].version == 1);
    // A change while the request is in flight.
    auto v2 = outbox::put(*db, "studentAssessments", "k1", R"({"v":2})", 2);
    REQUIRE(v2.ok());
    CHECK(*v2 == 2);
    REQUIRE(outbox::acknowledge(*db, "studentAssessments", "k1", 1).ok());
    auto st = outbox::status(*db, "studentAssessments", "k1");
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->state == outbox::State::Pending);
    CHECK((*st)->syncedVersion == 1);
    auto again = outbox::claimDue(*db, 0, 10);
    REQUIRE(again->size() == 1);
    CHECK((*again)[0].json == R"({"v":2})");
    REQUIRE(outbox::acknowledge(*db, "studentAssessments", "k1", 2).ok());
    auto counts = outbox::counts(*db);
    CHECK(counts->pending == 0);
    CHECK(counts->synced == 1);
}

TEST_CASE("outbox: the counts read only the waiting rows, and agree with a count of every row") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(outbox::migrate(*db).ok());
    // Rows in every state: synced, pending, in flight, needing attention, and
    // synced once but changed since.
    for (int i = 0; i < 40; ++i)
        REQUIRE(outbox::put(*db, i % 3 ? "studentAssessments" : "studentProgramEvaluations", "k" + std::to_string(i), "{}", i + 1).ok());
    auto claims = outbox::claimDue(*db, 0, 25);
    REQUIRE(claims.ok());
    REQUIRE(claims->size() == 25);
    for (int i = 0; i < 15; ++i) REQUIRE(outbox::acknowledge(*db, (*claims)[i].resource, (*claims)[i].naturalKey, 1).ok());
    for (int i = 15; i < 19; ++i)
        REQUIRE(outbox::needsAttention(*db, (*claims)[i].resource, (*claims)[i].naturalKey, 1, 400, "refused").ok());
    REQUIRE(outbox::put(*db, (*claims)[0].resource, (*claims)[0].naturalKey, R"({"v":2})", 41).ok());

    auto counts = outbox::counts(*db);
    REQUIRE(counts.ok());
    CHECK(counts->synced == 14);
    CHECK(counts->needsAttention == 4);
    CHECK(counts->inFlight == 6);
    CHECK(counts->pending == 40 - 14 - 4);
    CHECK_FALSE(counts->oldestWaitingSince.empty());
    // The same as the count per resource, which reads every row.
    auto byResource = outbox::countsByResource(*db);
    REQUIRE(byResource.ok());
    outbox::Counts sum;
    for (const auto& [resource, c] : *byResource) {
        sum.synced += c.synced;
        sum.pending += c.pending;
        sum.inFlight += c.inFlight;
        sum.needsAttention += c.needsAttention;
    }
    CHECK(sum.synced == counts->synced);
    CHECK(sum.pending == counts->pending);
    CHECK(sum.inFlight == counts->inFlight);
    CHECK(sum.needsAttention == counts->needsAttention);

    // What the read model asks on every view: the queue's partial index, never every row's page.
    auto plan = db->prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM outbox WHERE (local_version > synced_version);");
    REQUIRE(plan.ok());
    std::string steps;
    while (plan->step().value_or(false)) steps += plan->getText(3) + "\n";
    CHECK(steps.find("outbox_queue") != std::string::npos);
}

TEST_CASE("outbox: a body replaced before any acknowledgement is kept as held, apart from the writes that may land late") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(db.ok());
    REQUIRE(outbox::migrate(*db).ok());
    REQUIRE(outbox::put(*db, "r", "same", R"({"v":1})", 1).ok());
    REQUIRE(outbox::put(*db, "r", "same", R"({"v":1})", 2).ok());  // the same body: nothing held
    REQUIRE(outbox::put(*db, "r", "k", R"({"v":1})", 3).ok());
    REQUIRE(outbox::put(*db, "r", "k", R"({"v":2})", 4).ok());
    auto claims = outbox::claimDue(*db, 0, 10);
    REQUIRE(claims->size() == 2);
    CHECK((*claims)[0].heldBodies.empty());
    CHECK((*claims)[1].heldBodies == std::vector<std::string>{R"({"v":1})"});
    CHECK((*claims)[1].unansweredBodies.empty());  // nothing went out from here: a withdrawal still settles at once
    // An acknowledged body is the state's, known here: not held.
    REQUIRE(outbox::acknowledge(*db, "r", "k", (*claims)[1].version).ok());
    REQUIRE(outbox::acknowledge(*db, "r", "same", (*claims)[0].version).ok());
    REQUIRE(outbox::put(*db, "r", "k", R"({"v":3})", 5).ok());
    claims = outbox::claimDue(*db, 0, 10);
    REQUIRE(claims->size() == 1);
    CHECK((*claims)[0].heldBodies == std::vector<std::string>{R"({"v":1})"});
}

TEST_CASE("outbox: a permanent refusal needs attention and does not block others") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(outbox::migrate(*db).ok());
    REQUIRE(outbox::put(*db, "r", "bad", "{}", 1).ok());
    REQUIRE(outbox::put(*db, "r", "good", "{}", 2).ok());
    auto claims = outbox::claimDue(*db, 0, 1);
    REQUIRE(claims->size() == 1);
    CHECK((*claims)[0].naturalKey == "bad");
    REQUIRE(outbox::needsAttention(*db, "r", "bad", 1, 400, "studentReference is required").ok());
    auto next = outbox::claimDue(*db, 0, 10);
    REQUIRE(next->size() == 1);
    CHECK((*next)[0].naturalKey == "good");
    auto list = outbox::attentionList(*db, 10);
    REQUIRE(list->size() == 1);
    CHECK(list->front().message == "studentReference is required");
    CHECK(outbox::counts(*db)->needsAttention == 1);
    REQUIRE(outbox::retry(*db, "r", "bad").ok());
    CHECK(outbox::counts(*db)->needsAttention == 0);
}

TEST_CASE("outbox: retry later waits for its time and keeps the cause") {
    auto db = sqlite::Database::openInMemory();
    REQUIRE(outbox::migrate(*db).ok());
    REQUIRE(outbox::put(*db, "r", "k", "{}", 1).ok());
    auto c = outbox::claimDue(*db, 1000, 10);
    REQUIRE(c->size() == 1);
    REQUIRE(outbox::retryLater(*db, "r", "k", 1, 5000, 503, "service unavailable").ok());
    CHECK(outbox::claimDue(*db, 4999, 10)->empty());
    CHECK(outbox::claimDue(*db, 5000, 10)->size() == 1);
    auto st = outbox::status(*db, "r", "k");
    CHECK((*st)->lastHttpStatus == 503);
    CHECK((*st)->attempts == 2);
}
