#pragma once
#include "kiosk/domain/time.hpp"

#include <functional>
#include <string>

namespace kiosk::store {

// RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits (libsodium).
std::string uuidV7(domain::Timestamp now);

using domain::Clock;  // kiosk/domain/time.hpp
using domain::systemNow;
// This machine's offset from UTC right now, in minutes (for people, not order).
int localUtcOffsetMinutes();
// The offset the zone's rules give at that instant (the system's tz database,
// through localtime_r): a time after a DST change is shown in the new offset
// even by a process started before it.
int localUtcOffsetMinutes(domain::Timestamp at);
// The instant a time of day on a date is here: `day` is the date's midnight
// as parseIso8601 reads a bare date, the offset the one the zone's rules give
// then (a date after a DST change gets its own offset, not today's).
domain::Timestamp localTimeOn(domain::Timestamp day, std::chrono::minutes timeOfDay);

// Deterministic Ed-Fi natural key: the same inputs always give the same
// 36-character identifier (BLAKE2b), so a replay upserts, never duplicates.
std::string deterministicKey(std::string_view prefix, std::initializer_list<std::string_view> parts);

} // namespace kiosk::store
