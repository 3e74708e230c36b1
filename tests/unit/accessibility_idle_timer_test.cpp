// The idle time-out's arithmetic with an injected clock (WCAG 2.2.1): warned
// at least 20 s ahead, extendable, stretched by the student's multiplier.
#include "accessibility/accommodation_profile.hpp"
#include "accessibility/idle_timer.hpp"

#include <doctest/doctest.h>

using namespace kiosk::accessibility;
using namespace std::chrono_literals;

namespace {

// A fake monotonic clock: the test moves it, nothing sleeps.
struct FakeClock {
    Millis now{1'000'000};
    void advance(Millis d) { now += d; }
};

} // namespace

TEST_CASE("the warning comes at least 20 s before the end, then the session expires") {
    FakeClock clock;
    IdleTimer t({.timeout = 5min, .warning = 30s}, clock.now);
    CHECK(t.phase(clock.now) == IdlePhase::Active);
    CHECK(t.timeout() == Millis(5min));
    CHECK(t.deadline() - t.warningAt() >= kMinimumWarning);

    clock.advance(4min + 29s);
    CHECK(t.phase(clock.now) == IdlePhase::Active);
    clock.advance(1s);  // 30 s left
    CHECK(t.phase(clock.now) == IdlePhase::Warning);
    CHECK(t.remaining(clock.now) == Millis(30s));
    clock.advance(29s);
    CHECK(t.phase(clock.now) == IdlePhase::Warning);
    CHECK(t.remaining(clock.now) == Millis(1s));
    clock.advance(1s);
    CHECK(t.phase(clock.now) == IdlePhase::Expired);
    CHECK(t.remaining(clock.now) == Millis(0));
    clock.advance(1h);
    CHECK(t.remaining(clock.now) == Millis(0));
}

TEST_CASE("a warning shorter than 20 s is raised to 20 s, and the time-out is never shorter than its warning") {
    FakeClock clock;
    IdleTimer shortWarning({.timeout = 2min, .warning = 5s}, clock.now);
    CHECK(shortWarning.warningLead() == Millis(20s));
    clock.advance(1min + 39s);
    CHECK(shortWarning.phase(clock.now) == IdlePhase::Active);
    clock.advance(1s);
    CHECK(shortWarning.phase(clock.now) == IdlePhase::Warning);

    IdleTimer tiny({.timeout = 10s, .warning = 5s}, clock.now);
    CHECK(tiny.timeout() == Millis(20s));
    CHECK(tiny.phase(clock.now) == IdlePhase::Warning);  // warned for all of its 20 s
}

TEST_CASE("input restarts the time-out, and nothing brings back an expired session") {
    FakeClock clock;
    IdleTimer t({.timeout = 1min, .warning = 20s}, clock.now);
    clock.advance(50s);
    CHECK(t.phase(clock.now) == IdlePhase::Warning);
    t.activity(clock.now);
    CHECK(t.phase(clock.now) == IdlePhase::Active);
    CHECK(t.remaining(clock.now) == Millis(1min));
    CHECK(t.extensionsUsed() == 0);  // input is not an extension

    clock.advance(1min);
    CHECK(t.phase(clock.now) == IdlePhase::Expired);
    t.activity(clock.now);
    CHECK(t.phase(clock.now) == IdlePhase::Expired);
    CHECK_FALSE(t.extend(clock.now));
    CHECK(t.phase(clock.now) == IdlePhase::Expired);
}

TEST_CASE("the student can extend from the warning at least ten times") {
    FakeClock clock;
    IdleTimer unlimited({.timeout = 1min, .warning = 20s}, clock.now);
    CHECK(unlimited.extensionsLeft() == -1);
    for (int i = 0; i < 25; ++i) {
        clock.advance(45s);
        REQUIRE(unlimited.phase(clock.now) == IdlePhase::Warning);
        REQUIRE(unlimited.extend(clock.now));
        CHECK(unlimited.remaining(clock.now) == Millis(1min));
    }
    CHECK(unlimited.extensionsUsed() == 25);

    // A site that limits extensions cannot go under WCAG's ten.
    IdleTimer limited({.timeout = 1min, .warning = 20s, .maxExtensions = 3}, clock.now);
    CHECK(limited.extensionsLeft() == kMinimumExtensions);
    for (int i = 0; i < kMinimumExtensions; ++i) {
        clock.advance(45s);
        REQUIRE(limited.extend(clock.now));
    }
    CHECK(limited.extensionsLeft() == 0);
    clock.advance(45s);
    CHECK_FALSE(limited.extend(clock.now));
    CHECK(limited.phase(clock.now) == IdlePhase::Warning);
    clock.advance(15s);
    CHECK(limited.phase(clock.now) == IdlePhase::Expired);
}

TEST_CASE("a time multiplier stretches the time-out and the warning") {
    FakeClock clock;
    const IdlePolicy site{.timeout = 4min, .warning = 30s};
    struct Row {
        TimeAllowance allowance;
        Millis timeout, warning;
    };
    const Row rows[] = {
        {TimeAllowance::standard(), 4min, 30s},
        {TimeAllowance::times(1.5), 6min, 45s},
        {TimeAllowance::times(2.0), 8min, 60s},
        {TimeAllowance::times(3.0), 12min, 90s},
        {TimeAllowance::unlimited(), 40min, 300s},
    };
    for (const auto& row : rows) {
        INFO("stretch " << row.allowance.stretch());
        IdlePolicy policy = site;
        policy.stretch = row.allowance.stretch();
        IdleTimer t(policy, clock.now);
        CHECK(t.timeout() == row.timeout);
        CHECK(t.warningLead() == row.warning);
        CHECK(t.phase(clock.now + row.timeout - row.warning - 1ms) == IdlePhase::Active);
        CHECK(t.phase(clock.now + row.timeout - row.warning) == IdlePhase::Warning);
        CHECK(t.phase(clock.now + row.timeout) == IdlePhase::Expired);
    }
    // A nonsense multiplier never shortens the time-out.
    IdlePolicy odd = site;
    odd.stretch = 0.5;
    CHECK(IdleTimer(odd, clock.now).timeout() == Millis(4min));
}
