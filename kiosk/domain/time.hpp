#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Minutes = std::chrono::minutes;

// "2026-11-23T14:05:09.120+00:00": UTC, with the offset written out (Ed-Fi
// wants ISO-8601 with an offset; UTC keeps lab clocks comparable).
std::string formatUtc(Timestamp t);
// Accepts "...Z", "...+hh:mm"/"-hh:mm", with or without fraction; a bare date
// "2026-11-23" is midnight UTC. nullopt on anything else.
std::optional<Timestamp> parseIso8601(std::string_view text);
// "14:05" in the given offset from UTC (minutes), for people.
std::string formatClock(Timestamp t, int utcOffsetMinutes);

} // namespace kiosk::domain
