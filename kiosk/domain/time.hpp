#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Minutes = std::chrono::minutes;

// "2026-11-23T14:05:09.120+00:00": UTC, with the offset written out (Ed-Fi
// wants ISO-8601 with an offset; UTC keeps lab clocks comparable).
std::string formatUtc(Timestamp t);
// "2026-11-23T14-05-09": UTC to the second, safe in a file name (exports, saved copies).
std::string fileStamp(Timestamp t);
// Accepts "...Z", "...+hh:mm"/"-hh:mm", with or without fraction; a bare date
// "2026-11-23" is midnight UTC. nullopt on anything else.
std::optional<Timestamp> parseIso8601(std::string_view text);
// "14:05" in the given offset from UTC (minutes), for people.
std::string formatClock(Timestamp t, int utcOffsetMinutes);

// A wall clock stepped back (NTP after a bad start, a technician, a flat
// CMOS battery) further than this between two events of one kiosk moved
// back; within it, it is a clock being corrected by a hair.
inline constexpr std::chrono::seconds kClockBackTolerance{2};
// How far the clock moved back when a kiosk records at `now` after its last
// event at `last`; nothing when `now` is not earlier by more than the tolerance.
std::optional<std::chrono::seconds> clockMovedBack(Timestamp last, Timestamp now);

// The kiosk's clock, injectable so tests control time.
using Clock = std::function<Timestamp()>;
Timestamp systemNow();

} // namespace kiosk::domain
