#include "sync/edfi/backoff.hpp"

#include "sync/transport/http.hpp"

#include <algorithm>
#include <limits>

namespace edsync::edfi {

std::int64_t backoffCeilingMs(const BackoffPolicy& policy, std::int64_t attempt) {
    const std::int64_t base = std::max<std::int64_t>(1, policy.base.count());
    const std::int64_t cap = std::max<std::int64_t>(base, policy.cap.count());
    if (attempt <= 0) return std::min(base, cap);
    // Double until the cap, without overflowing for huge attempt counts.
    std::int64_t value = base;
    for (std::int64_t i = 0; i < attempt && value < cap; ++i) value = value > cap / 2 ? cap : value * 2;
    return std::min(value, cap);
}

std::int64_t fullJitterDelayMs(const BackoffPolicy& policy, std::int64_t attempt, std::mt19937_64& rng) {
    const std::int64_t ceiling = backoffCeilingMs(policy, attempt);
    const std::int64_t floor = std::clamp<std::int64_t>(policy.floor.count(), 0, ceiling);
    std::uniform_int_distribution<std::int64_t> draw(floor, ceiling);
    return draw(rng);
}

std::optional<std::int64_t> parseRetryAfterMs(std::string_view value, std::int64_t nowUnixMs, std::int64_t maxMs) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.empty() || maxMs < 0) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        // delta-seconds; anything longer than 10 digits is past any sane cap anyway.
        if (value.size() > 10) return maxMs;
        std::int64_t seconds = 0;
        for (char c : value) seconds = seconds * 10 + (c - '0');
        return std::min(seconds * 1000, maxMs);
    }
    auto when = transport::parseHttpDate(value);
    if (!when) return std::nullopt;
    if (*when > std::numeric_limits<std::int64_t>::max() / 1000) return maxMs;
    std::int64_t delta = *when * 1000 - nowUnixMs;
    return std::clamp<std::int64_t>(delta, 0, maxMs);
}

std::int64_t retryAtUnixMs(const BackoffPolicy& policy, std::int64_t attempt, std::optional<std::int64_t> retryAfterMs,
                           std::int64_t nowUnixMs, std::mt19937_64& rng) {
    if (!retryAfterMs) return nowUnixMs + fullJitterDelayMs(policy, attempt, rng);
    // The server said when: that wins over the record's own schedule both
    // ways. Never sooner; and not an hour later either because the record
    // met many 429s, which say the server was busy, not that the record is
    // bad. A spread of up to a tenth (at least the floor) keeps kiosks that
    // were told the same second from coming back in lock-step.
    const std::int64_t cap = std::max<std::int64_t>(1, policy.cap.count());
    const std::int64_t wait = std::clamp<std::int64_t>(*retryAfterMs, policy.floor.count(), cap);
    std::uniform_int_distribution<std::int64_t> spread(0, std::max<std::int64_t>(policy.floor.count(), wait / 10));
    return nowUnixMs + std::min(cap, wait + spread(rng));
}

} // namespace edsync::edfi
