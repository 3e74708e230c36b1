#pragma once
// Time sources, injectable so tests never depend on the wall clock.
#include <cstdint>

namespace edsync::edfi {

class Clock {
public:
    virtual ~Clock() = default;
    // Wall clock (outbox due times, Date-header offset). Lab machines' clocks lie;
    // nothing here orders records by it.
    virtual std::int64_t unixMs() const = 0;
    // Monotonic (token lifetime, drain rate).
    virtual std::int64_t steadyMs() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t unixMs() const override;
    std::int64_t steadyMs() const override;
};

} // namespace edsync::edfi
