#pragma once
// A wall clock that moved backwards: noticed when this kiosk records an
// event, written to the audit chain once per jump, shown by `status`. How far
// counts as "back" is the domain's rule (domain::clockMovedBack); the events
// keep the times recorded, and the state's record never ends before it
// starts (domain::Attendance::endForState).
#include "kiosk/domain/time.hpp"
#include "kiosk/store/store.hpp"

#include <optional>
#include <string_view>

namespace kiosk::service {

inline constexpr std::string_view kClockMovedBack = "clock.moved_back";

// In the caller's transaction, just before the event at `now` is written:
// when `now` is earlier than this kiosk's last event beyond the tolerance,
// one audit entry with the two times (no person, no session). The next event
// compares with this one, so a jump is recorded once.
store::Status noteClockStep(store::Store& store, domain::Timestamp now);

struct ClockHealth {
    std::int64_t movedBack = 0;               // jumps recorded
    std::optional<domain::Timestamp> lastAt;  // the clock's time when the last one was noticed
    std::int64_t lastSeconds = 0;             // how far back that one went
};
store::Result<ClockHealth> clockHealth(store::Database& db);

} // namespace kiosk::service
