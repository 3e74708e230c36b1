#pragma once
// Times on paper are the site's wall-clock time. The offset comes from the
// caller (store::localUtcOffsetMinutes in the CLI and the kiosk, a fixed one
// in tests), so nothing here reads the machine's clock or zone.
#include "kiosk/domain/time.hpp"

#include <functional>
#include <optional>
#include <string>

namespace kiosk::papers {

struct LocalClock {
    domain::Timestamp now{};                                    // "printed ..."
    std::function<int(domain::Timestamp)> utcOffsetAt;          // minutes east of UTC at that instant
    int offsetAt(domain::Timestamp t) const { return utcOffsetAt ? utcOffsetAt(t) : 0; }
};

// "14:05", or "" when there is no time.
std::string localClock(const std::optional<domain::Timestamp>& t, const LocalClock& clock);
// "Monday, November 23, 2026"
std::string localLongDate(domain::Timestamp t, const LocalClock& clock);
// "2026-11-23 14:05"
std::string localDateTime(domain::Timestamp t, const LocalClock& clock);

} // namespace kiosk::papers
