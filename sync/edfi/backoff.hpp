#pragma once
// Full-jitter exponential backoff (never giving up) and Retry-After parsing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace edsync::edfi {

struct BackoffPolicy {
    std::chrono::milliseconds base{1'000};
    std::chrono::milliseconds cap{3'600'000};
    std::chrono::milliseconds floor{250};  // never sooner: a zero draw would spin
};

// The largest delay for the n-th consecutive failure (0-based): min(cap, base * 2^n).
std::int64_t backoffCeilingMs(const BackoffPolicy& policy, std::int64_t attempt);

// A delay drawn uniformly from [floor, ceiling]: "full jitter", so many kiosks
// that lost the network together do not come back in lock-step.
std::int64_t fullJitterDelayMs(const BackoffPolicy& policy, std::int64_t attempt, std::mt19937_64& rng);

// Retry-After as milliseconds from `nowUnixMs`: delta-seconds or an HTTP date.
// nullopt when absent or unusable; a date in the past gives 0; the result is
// clamped to `maxMs` so a confused server cannot park us for days.
std::optional<std::int64_t> parseRetryAfterMs(std::string_view value, std::int64_t nowUnixMs, std::int64_t maxMs);

// When to try again: now + the jittered delay for this attempt; with a
// Retry-After, now + what the server asked (a little spread, never past the cap).
std::int64_t retryAtUnixMs(const BackoffPolicy& policy, std::int64_t attempt, std::optional<std::int64_t> retryAfterMs,
                           std::int64_t nowUnixMs, std::mt19937_64& rng);

} // namespace edsync::edfi
