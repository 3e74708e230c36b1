#include <doctest/doctest.h>

#include "api_test_support.hpp"
#include "edfi_double/token_table.hpp"

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

TEST_CASE("at most 15 live tokens per client; expiry frees the slots") {
  FakeClock time;
  TokenTable tokens(std::chrono::seconds(60), TokenTable::kDefaultMaxLivePerClient, time.clock());
  for (int i = 0; i < 15; ++i) REQUIRE(tokens.issue("kiosk").has_value());
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
