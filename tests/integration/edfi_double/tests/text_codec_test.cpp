#include <doctest/doctest.h>

#include "edfi_double/text_codec.hpp"

using namespace edfi_double;

TEST_CASE("base64Decode reads padded and unpadded text and refuses junk") {
  CHECK(base64Decode("a2lvc2s6a2lvc2stc2VjcmV0") == std::optional<std::string>("kiosk:kiosk-secret"));
  CHECK(base64Decode("YQ==") == std::optional<std::string>("a"));
  CHECK(base64Decode("YWI") == std::optional<std::string>("ab"));
  CHECK_FALSE(base64Decode("a2l*c2s").has_value());
  CHECK_FALSE(base64Decode("YQ==YQ").has_value());
}

TEST_CASE("formDecode handles plus, percent escapes and UTF-8") {
  CHECK(formDecode("grant_type=client+credentials") == "grant_type=client credentials");
  CHECK(formDecode("Jos%C3%A9%20N") == "José N");
  CHECK(formDecode("100%zz") == "100%zz"); // a stray percent stays as it is
  auto params = parseFormUrlEncoded("a=1&b=&c&a=2");
  CHECK(params.count("a") == 2);
  CHECK(params.find("b")->second.empty());
  CHECK(params.count("c") == 1);
}

TEST_CASE("parseBasicAuth splits at the first colon and needs the Basic scheme") {
  auto credentials = parseBasicAuth("Basic a2lvc2s6a2lvc2stc2VjcmV0");
  REQUIRE(credentials.has_value());
  CHECK(credentials->first == "kiosk");
  CHECK(credentials->second == "kiosk-secret");
  CHECK(parseBasicAuth("basic YTpiOmM=")->second == "b:c");
  CHECK_FALSE(parseBasicAuth("Bearer abc").has_value());
  CHECK_FALSE(parseBasicAuth("Basic bm9jb2xvbg==").has_value()); // "nocolon"
}

TEST_CASE("httpDate and isoUtc format a fixed instant") {
  const TimePoint instant = TimePoint{} + std::chrono::seconds(784111777) + std::chrono::milliseconds(120);
  CHECK(httpDate(instant) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(isoUtc(instant) == "1994-11-06T08:49:37.120Z");
}

TEST_CASE("randomHex gives the asked length and differs between calls") {
  std::string first = randomHex(16);
  CHECK(first.size() == 32);
  CHECK(first.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(first != randomHex(16));
}
