// Backoff arithmetic and Retry-After parsing: seeded RNG, no wall clock.
#include "sync/edfi/backoff.hpp"

#include "sync_doctest.hpp"

#include <limits>

using namespace edsync::edfi;
using namespace std::chrono_literals;

TEST_CASE("backoff ceiling doubles from the base and stops at the cap") {
    BackoffPolicy p{1000ms, 3'600'000ms, 250ms};
    CHECK(backoffCeilingMs(p, 0) == 1000);
    CHECK(backoffCeilingMs(p, 1) == 2000);
    CHECK(backoffCeilingMs(p, 5) == 32'000);
    CHECK(backoffCeilingMs(p, 11) == 2'048'000);
    CHECK(backoffCeilingMs(p, 12) == 3'600'000);
    CHECK(backoffCeilingMs(p, 1'000'000) == 3'600'000);  // never overflows, never gives up
    CHECK(backoffCeilingMs(p, std::numeric_limits<std::int64_t>::max()) == 3'600'000);
    CHECK(backoffCeilingMs(p, -3) == 1000);
}

TEST_CASE("full jitter stays within [floor, ceiling] and spreads out") {
    BackoffPolicy p{1000ms, 3'600'000ms, 250ms};
    std::mt19937_64 rng(42);
    for (std::int64_t attempt = 0; attempt < 40; ++attempt) {
        std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
        for (int i = 0; i < 200; ++i) {
            std::int64_t d = fullJitterDelayMs(p, attempt, rng);
            CHECK(d >= 250);
            CHECK(d <= backoffCeilingMs(p, attempt));
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
        if (attempt >= 3) CHECK(hi - lo > backoffCeilingMs(p, attempt) / 4);  // not lock-step
    }
}

TEST_CASE("the same seed gives the same delays") {
    BackoffPolicy p;
    std::mt19937_64 a(7), b(7), c(8);
    bool differs = false;
    for (int i = 0; i < 20; ++i) {
        std::int64_t x = fullJitterDelayMs(p, i, a);
        CHECK(x == fullJitterDelayMs(p, i, b));
        if (x != fullJitterDelayMs(p, i, c)) differs = true;
    }
    CHECK(differs);
}

TEST_CASE("a floor above the ceiling is clamped to the ceiling") {
    BackoffPolicy p{100ms, 200ms, 5000ms};
    std::mt19937_64 rng(1);
    CHECK(fullJitterDelayMs(p, 0, rng) == 100);
}

TEST_CASE("Retry-After as delta-seconds") {
    const std::int64_t now = 1'700'000'000'000;
    CHECK(parseRetryAfterMs("120", now, 3'600'000) == 120'000);
    CHECK(parseRetryAfterMs("  5 ", now, 3'600'000) == 5'000);
    CHECK(parseRetryAfterMs("0", now, 3'600'000) == 0);
    CHECK(parseRetryAfterMs("86400", now, 3'600'000) == 3'600'000);          // clamped
    CHECK(parseRetryAfterMs("99999999999999999999", now, 3'600'000) == 3'600'000);
}

TEST_CASE("Retry-After as an HTTP date, relative to the given now") {
    const std::int64_t now = 1'445'412'480'000;  // Wed, 21 Oct 2015 07:28:00 GMT
    CHECK(parseRetryAfterMs("Wed, 21 Oct 2015 07:28:30 GMT", now, 3'600'000) == 30'000);
    CHECK(parseRetryAfterMs("Wed, 21 Oct 2015 07:00:00 GMT", now, 3'600'000) == 0);  // in the past
    CHECK(parseRetryAfterMs("Thu, 22 Oct 2015 07:28:00 GMT", now, 3'600'000) == 3'600'000);
}

TEST_CASE("unusable Retry-After values are ignored") {
    const std::int64_t now = 1'700'000'000'000;
    CHECK_FALSE(parseRetryAfterMs("", now, 1000).has_value());
    CHECK_FALSE(parseRetryAfterMs("-5", now, 1000).has_value());
    CHECK_FALSE(parseRetryAfterMs("1.5", now, 1000).has_value());
    CHECK_FALSE(parseRetryAfterMs("soon", now, 1000).has_value());
    CHECK_FALSE(parseRetryAfterMs(std::string(5000, '9') + "x", now, 1000).has_value());
}

TEST_CASE("retry time: Retry-After wins over the record's own back-off both ways, within the floor and the cap") {
    BackoffPolicy p{1000ms, 60'000ms, 250ms};
    std::mt19937_64 rng(3);
    const std::int64_t now = 1'000'000;
    for (int i = 0; i < 200; ++i) {
        // The server's 30 s beats a 1 s jitter: never sooner, at most a tenth later.
        std::int64_t at = retryAtUnixMs(p, 0, 30'000, now, rng);
        CHECK(at >= now + 30'000);
        CHECK(at <= now + 33'000);
        // A record that met twenty failures still comes back when the server
        // said (Retry-After: 1), not at its own 60 s ceiling.
        std::int64_t soon = retryAtUnixMs(p, 20, 1000, now, rng);
        CHECK(soon >= now + 1000);
        CHECK(soon <= now + 1250);
        // A Retry-After of 0 or 10 ms: the floor, so nothing spins.
        std::int64_t tiny = retryAtUnixMs(p, 20, 10, now, rng);
        CHECK(tiny >= now + 250);
        CHECK(tiny <= now + 500);
    }
    CHECK(retryAtUnixMs(p, 0, 999'999'999, now, rng) == now + 60'000);  // never beyond the cap
    // No Retry-After: the record's own full-jitter back-off.
    std::int64_t at = retryAtUnixMs(p, 0, std::nullopt, now, rng);
    CHECK(at >= now + 250);
    CHECK(at <= now + 1000);
    std::int64_t late = retryAtUnixMs(p, 20, std::nullopt, now, rng);
    CHECK(late >= now + 250);
    CHECK(late <= now + 60'000);
}
