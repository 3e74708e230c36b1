#include <doctest/doctest.h>

#include "api_test_support.hpp"
#include "edfi_double/store.hpp"

using namespace edfi_double;
using edfi_double::testing::FakeClock;

namespace {

nlohmann::json studentKey(const std::string& id) {
    return {{"studentUniqueId", id}};
}

nlohmann::json student(const std::string& id, const std::string& firstName, int schoolId = 1) {
    return {{"studentUniqueId", id},
            {"firstName", firstName},
            {"lastSurname", "Ng"},
            {"birthDate", "2008-01-01"},
            {"schoolReference", {{"schoolId", schoolId}}}};
}

ListQuery page(std::uint64_t offset, std::uint64_t limit) {
    ListQuery query;
    query.offset = offset;
    query.limit = limit;
    return query;
}

} // namespace

TEST_CASE("upsert creates once, then replaces the whole record under the same id") {
    FakeClock time;
    Store store(time.clock());
    auto created = store.upsert("students", studentKey("S1"), student("S1", "Ana"), WriteSource::Client);
    CHECK(created.outcome == UpsertOutcome::Created);
    CHECK(created.changeVersion == 1);

    nlohmann::json replacement = {{"studentUniqueId", "S1"}, {"firstName", "Ana María"}};
    auto updated = store.upsert("students", studentKey("S1"), replacement, WriteSource::Client);
    CHECK(updated.outcome == UpsertOutcome::Updated);
    CHECK(updated.id == created.id);
    CHECK(updated.changeVersion == 2);
    CHECK(updated.etag != created.etag);

    auto stored = store.findById("students", created.id);
    REQUIRE(stored.has_value());
    CHECK((*stored)["firstName"] == "Ana María");
    CHECK_FALSE(stored->contains("lastSurname")); // a full replacement, not a merge
    CHECK((*stored)["id"] == created.id);
    CHECK((*stored)["_etag"] == updated.etag);
    CHECK((*stored)["_lastModifiedDate"].get<std::string>().ends_with("Z"));
}

TEST_CASE("If-Match must name the current etag of an existing record") {
    FakeClock time;
    Store store(time.clock());
    auto created = store.upsert("students", studentKey("S1"), student("S1", "Ana"), WriteSource::Client);
    auto stale =
        store.upsert("students", studentKey("S1"), student("S1", "Bo"), WriteSource::Client, std::string("\"999\""));
    CHECK(stale.outcome == UpsertOutcome::PreconditionFailed);
    auto fresh = store.upsert("students", studentKey("S1"), student("S1", "Bo"), WriteSource::Client,
                              "\"" + created.etag + "\"");
    CHECK(fresh.outcome == UpsertOutcome::Updated);

    // The record's history says it all, in order: what a test prints when a record ends wrong.
    auto history = store.received("students")["records"][0]["history"];
    REQUIRE(history.size() == 3);
    CHECK(history[0]["result"] == "created");
    CHECK(history[0]["ifMatch"].is_null());
    CHECK(history[0]["etag"] == created.etag);
    CHECK(history[1]["result"] == "412");
    CHECK(history[1]["ifMatch"] == "\"999\"");
    CHECK(history[1]["etag"] == created.etag);  // what the double held when it refused
    CHECK(history[1]["body"]["firstName"] == "Bo");
    CHECK(history[2]["result"] == "updated");
    CHECK(history[2]["etag"] == fresh.etag);
    CHECK(history[0]["n"].get<int>() < history[1]["n"].get<int>());
    CHECK(history[1]["n"].get<int>() < history[2]["n"].get<int>());
}

TEST_CASE("lists page by offset and limit in creation order and count the total") {
    FakeClock time;
    Store store(time.clock());
    for (int i = 0; i < 5; ++i) {
        std::string id = "S" + std::to_string(i);
        store.upsert("students", studentKey(id), student(id, "N"), WriteSource::Seed);
    }
    // An update keeps a record in its place.
    store.upsert("students", studentKey("S0"), student("S0", "Updated"), WriteSource::Seed);

    auto first = store.list("students", page(0, 2));
    CHECK(first.totalCount == 5);
    REQUIRE(first.items.size() == 2);
    CHECK(first.items[0]["studentUniqueId"] == "S0");
    CHECK(first.items[1]["studentUniqueId"] == "S1");
    auto last = store.list("students", page(4, 2));
    REQUIRE(last.items.size() == 1);
    CHECK(last.items[0]["studentUniqueId"] == "S4");
    CHECK(store.list("students", page(10, 2)).items.empty());
    CHECK(store.list("nothingHere", page(0, 2)).totalCount == 0);
}

TEST_CASE("change-version windows select what changed since a saved cursor") {
    FakeClock time;
    Store store(time.clock());
    store.upsert("students", studentKey("A"), student("A", "a"), WriteSource::Seed);  // 1
    store.upsert("students", studentKey("B"), student("B", "b"), WriteSource::Seed);  // 2
    store.upsert("students", studentKey("C"), student("C", "c"), WriteSource::Seed);  // 3
    store.upsert("students", studentKey("A"), student("A", "a2"), WriteSource::Seed); // A -> 4
    CHECK(store.newestChangeVersion() == 4);

    ListQuery since = page(0, 25);
    since.minChangeVersion = 3;
    auto changed = store.list("students", since);
    REQUIRE(changed.items.size() == 2);
    CHECK(changed.items[0]["studentUniqueId"] == "A");
    CHECK(changed.items[1]["studentUniqueId"] == "C");

    ListQuery window = page(0, 25);
    window.minChangeVersion = 2;
    window.maxChangeVersion = 3;
    CHECK(store.list("students", window).totalCount == 2);
}

TEST_CASE("flat-name filters look at the top level and inside references") {
    FakeClock time;
    Store store(time.clock());
    store.upsert("students", studentKey("A"), student("A", "a", 10), WriteSource::Seed);
    store.upsert("students", studentKey("B"), student("B", "b", 20), WriteSource::Seed);
    ListQuery query = page(0, 25);
    query.filters = {{"schoolId", "20"}};
    auto found = store.list("students", query);
    REQUIRE(found.items.size() == 1);
    CHECK(found.items[0]["studentUniqueId"] == "B");
    query.filters = {{"firstName", "a"}};
    CHECK(store.list("students", query).items.size() == 1);
}

TEST_CASE("a delete leaves a record in /deletes with its key and a new change version") {
    FakeClock time;
    Store store(time.clock());
    auto created = store.upsert("students", studentKey("A"), student("A", "a"), WriteSource::Seed);
    CHECK(store.removeByKey("students", studentKey("A")));
    CHECK_FALSE(store.removeByKey("students", studentKey("A")));
    CHECK_FALSE(store.findById("students", created.id).has_value());
    CHECK(store.list("students", page(0, 25)).totalCount == 0);
    auto deleted = store.deletes("students", page(0, 25));
    REQUIRE(deleted.items.size() == 1);
    CHECK(deleted.items[0]["id"] == created.id);
    CHECK(deleted.items[0]["keyValues"] == studentKey("A"));
    CHECK(deleted.items[0]["changeVersion"] == 2);
}

TEST_CASE("received counts client posts per natural key, not seeds") {
    FakeClock time;
    Store store(time.clock());
    store.upsert("students", studentKey("A"), student("A", "seeded"), WriteSource::Seed);
    store.upsert("students", studentKey("A"), student("A", "first"), WriteSource::Client);
    store.upsert("students", studentKey("A"), student("A", "second"), WriteSource::Client);
    store.upsert("students", studentKey("B"), student("B", "b"), WriteSource::Client);
    store.recordRejectedPost("students");

    auto received = store.received("students");
    CHECK(received["totalPosts"] == 3);
    CHECK(received["rejectedPosts"] == 1);
    REQUIRE(received["records"].size() == 2);
    CHECK(received["records"][0]["key"] == studentKey("A"));
    CHECK(received["records"][0]["posts"] == 2);
    CHECK(received["records"][0]["body"]["firstName"] == "second");
    CHECK(received["records"][1]["posts"] == 1);
    CHECK(store.received("studentAssessments")["records"].empty());

    store.clear();
    CHECK(store.received("students")["totalPosts"] == 0);
    CHECK(store.newestChangeVersion() == 0);
}
