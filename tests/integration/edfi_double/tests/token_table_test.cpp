#include <doctest/doctest.h>

#include "api_test_support.hpp"
#include "edfi_double/token_table.hpp"
#include "edfi_double/writer_tally.hpp"

using namespace edfi_double;
using edfi_double::testing::FakeClock;

TEST_CASE("a token is valid until its lifetime has passed") {
    FakeClock time;
    TokenTable tokens(std::chrono::seconds(60), 15, time.clock());
    auto issued = tokens.issue("kiosk");
    REQUIRE(issued.has_value());
    CHECK(issued->expiresIn == std::chrono::seconds(60));
    CHECK(tokens.clientFor(issued->accessToken) == std::optional<std::string>("kiosk"));
    time.advance(std::chrono::seconds(59));
    CHECK(tokens.clientFor(issued->accessToken).has_value());
    time.advance(std::chrono::seconds(1));
    CHECK_FALSE(tokens.clientFor(issued->accessToken).has_value());
    CHECK_FALSE(tokens.clientFor("never-issued").has_value());
}

TEST_CASE("at most 15 live tokens per client, expiry frees the slots") {
    FakeClock time;
    TokenTable tokens(std::chrono::seconds(60), TokenTable::kDefaultMaxLivePerClient, time.clock());
    for (int i = 0; i < 15; ++i)
        REQUIRE(tokens.issue("kiosk").has_value());
    CHECK(tokens.liveCount("kiosk") == 15);
    CHECK_FALSE(tokens.issue("kiosk").has_value());
    CHECK(tokens.issue("other-client").has_value()); // the cap is per client
    time.advance(std::chrono::seconds(60));
    CHECK(tokens.liveCount("kiosk") == 0);
    CHECK(tokens.issue("kiosk").has_value());
}

TEST_CASE("expireAll ends every live token at once") {
    FakeClock time;
    TokenTable tokens(std::chrono::seconds(600), 15, time.clock());
    auto first = tokens.issue("kiosk");
    auto second = tokens.issue("kiosk");
    CHECK(tokens.expireAll() == 2);
    CHECK_FALSE(tokens.clientFor(first->accessToken).has_value());
    CHECK_FALSE(tokens.clientFor(second->accessToken).has_value());
    CHECK(tokens.issue("kiosk").has_value());
}

TEST_CASE("writers are counted by token, and two tokens writing at once are seen") {
    WriterTally tally;
    {
        WriterTally::Writing first(tally, "token-a");
        WriterTally::Writing again(tally, "token-a");  // the same kiosk, two requests in flight
    }
    { WriterTally::Writing later(tally, "token-b"); }  // another kiosk, after the first finished
    CHECK(tally.writers() == 2);
    CHECK(tally.maxConcurrent() == 1);
    {
        WriterTally::Writing a(tally, "token-a");
        WriterTally::Writing b(tally, "token-b");  // both at once: two uploaders
    }
    CHECK(tally.maxConcurrent() == 2);
    tally.clear();
    CHECK(tally.writers() == 0);
    CHECK(tally.maxConcurrent() == 0);
}
