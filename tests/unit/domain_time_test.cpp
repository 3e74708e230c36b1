// ISO-8601 timestamps: what the kiosk writes and what it accepts.
#include "kiosk/domain/time.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace kiosk::domain;
using namespace std::chrono;

namespace {

Timestamp utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
    return time_point_cast<milliseconds>(sys_days{year{y} / month{mo} / day{d}}) + hours{h} + minutes{mi} + seconds{s} +
           milliseconds{ms};
}

} // namespace

TEST_CASE("formatUtc writes UTC with milliseconds and an explicit offset") {
    CHECK(formatUtc(Timestamp{}) == "1970-01-01T00:00:00.000+00:00");
    CHECK(formatUtc(utc(2026, 11, 23, 14, 5, 9, 120)) == "2026-11-23T14:05:09.120+00:00");
    CHECK(formatUtc(utc(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29T23:59:59.999+00:00");
    CHECK(formatUtc(utc(2099, 12, 31)) == "2099-12-31T00:00:00.000+00:00");
}

TEST_CASE("fileStamp is UTC to the second with no colon (a file name on any file system)") {
    CHECK(fileStamp(utc(2026, 11, 23, 14, 5, 9, 120)) == "2026-11-23T14-05-09");
}

TEST_CASE("formatUtc and parseIso8601 round-trip") {
    std::mt19937_64 rng(2026);
    // 1970 .. 2100, at millisecond resolution.
    std::uniform_int_distribution<std::int64_t> ms(0, 4102444800000LL);
    for (int i = 0; i < 5000; ++i) {
        Timestamp t{milliseconds{ms(rng)}};
        std::string text = formatUtc(t);
        CAPTURE(text);
        auto back = parseIso8601(text);
        REQUIRE(back.has_value());
        CHECK(*back == t);
    }
}

TEST_CASE("parseIso8601 applies offsets") {
    const Timestamp t = utc(2026, 11, 23, 14, 5, 9);
    CHECK(parseIso8601("2026-11-23T14:05:09Z") == t);
    CHECK(parseIso8601("2026-11-23T14:05:09+00:00") == t);
    CHECK(parseIso8601("2026-11-23T14:05:09-00:00") == t);
    CHECK(parseIso8601("2026-11-23T19:35:09+05:30") == t);
    CHECK(parseIso8601("2026-11-23T07:05:09-07:00") == t);
    CHECK(parseIso8601("2026-11-24T04:05:09+14:00") == t);
    // An offset moves the date too.
    CHECK(parseIso8601("2026-11-22T23:05:09-15:00") == std::nullopt);  // beyond -14:00: refused
    CHECK(parseIso8601("2026-11-23T21:05:09-07:00") == utc(2026, 11, 24, 4, 5, 9));
    CHECK(parseIso8601("2026-01-01T02:00:00+05:30") == utc(2025, 12, 31, 20, 30));
}

TEST_CASE("parseIso8601 accepts fractions, no seconds, a space and a bare date") {
    CHECK(parseIso8601("2026-11-23T14:05:09.1Z") == utc(2026, 11, 23, 14, 5, 9, 100));
    CHECK(parseIso8601("2026-11-23T14:05:09.12Z") == utc(2026, 11, 23, 14, 5, 9, 120));
    CHECK(parseIso8601("2026-11-23T14:05:09.123456789Z") == utc(2026, 11, 23, 14, 5, 9, 123));  // truncated to ms
    CHECK(parseIso8601("2026-11-23T14:05Z") == utc(2026, 11, 23, 14, 5));
    CHECK(parseIso8601("2026-11-23 14:05:09") == utc(2026, 11, 23, 14, 5, 9));  // no zone: UTC
    CHECK(parseIso8601("2026-11-23") == utc(2026, 11, 23));
    CHECK(parseIso8601("2024-02-29") == utc(2024, 2, 29));
}

TEST_CASE("parseIso8601 rejects junk") {
    const char* junk[] = {
        "",
        "2026",
        "2026-11",
        "2026-11-2",
        "26-11-23",
        "2026/11/23",
        "2026-13-01",
        "2026-00-10",
        "2026-11-00",
        "2026-11-31",
        "2026-02-29",  // not a leap year
        "2026-11-23T",
        "2026-11-23T14",
        "2026-11-23T14:5",
        "2026-11-23T24:00",
        "2026-11-23T12:60",
        "2026-11-23T12:00:61",
        "2026-11-23T12:00:00.",
        "2026-11-23T12:00:00.Z",
        "2026-11-23T12:00:00+5:30",
        "2026-11-23T12:00:00+0530",
        "2026-11-23T12:00:00+05",
        "2026-11-23T12:00:00+15:00",
        "2026-11-23T12:00:00+05:60",
        "2026-11-23T12:00:00Zjunk",
        "2026-11-23T12:00:00 Z",
        "2026-11-23T12:00:00z",
        "2026-11-23x",
        "2026-11-23T12:00:00+05:30:00",
        "abcd-ef-gh",
        "-2026-11-23",
        "+2026-11-23",
        "２０２６-11-23",
        "2026-11-23T1a:00",
        "2026-11-23T12:00:0a",
    };
    for (const char* text : junk) {
        CAPTURE(text);
        CHECK_FALSE(parseIso8601(text).has_value());
    }
    CHECK_FALSE(parseIso8601(std::string_view("2026-11-23\0T12:00", 16)).has_value());
    CHECK_FALSE(parseIso8601(std::string(100000, '9')).has_value());
}

TEST_CASE("formatClock shows local hours and minutes") {
    const Timestamp t = utc(2026, 11, 23, 14, 5, 9);
    CHECK(formatClock(t, 0) == "14:05");
    CHECK(formatClock(t, -7 * 60) == "07:05");
    CHECK(formatClock(t, 5 * 60 + 30) == "19:35");
    CHECK(formatClock(utc(2026, 11, 23, 2, 0), -5 * 60) == "21:00");  // previous day
}
