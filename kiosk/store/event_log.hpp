#pragma once
// The append-only event table. Rows are never updated or deleted (triggers
// refuse it); a correction is a new event pointing at the old one.
#include "kiosk/store/store.hpp"
#include "kiosk/domain/attendance.hpp"

#include <vector>

namespace kiosk::store {

struct EventContext {
    std::string kioskId;
    std::string siteId;
    std::string sessionId;
    std::optional<std::string> studentUniqueId;  // none for session-level events
    int localUtcOffsetMinutes = 0;
};

// Session-level kinds live beside the per-student domain kinds.
inline constexpr std::string_view kSessionOpened = "session_opened";
inline constexpr std::string_view kSessionSignedOff = "session_signed_off";

// `hlc`: the event's place in the site-wide order (Store::nextHlc).
Status appendEvent(Database& db, const EventContext& ctx, const domain::AttendanceEvent& e, std::string_view hlc = {});
Status appendSessionEvent(Database& db, const EventContext& ctx, std::string_view kind, std::int64_t seq,
                          std::string_view eventId, domain::Timestamp at, std::string_view proctor, std::string_view hlc = {});

// A student's events from every machine of the site, in the site-wide order
// (hybrid logical clock, then kiosk, then the kiosk's own sequence).

Result<std::vector<domain::AttendanceEvent>> eventsFor(Database& db, std::string_view sessionId, std::string_view studentUniqueId);

// For the history list: each event, and whether a correction withdrew it.
using domain::history;  // kiosk/domain/attendance.hpp
using domain::HistoryItem;

Result<std::int64_t> eventCount(Database& db);

// When this kiosk's last event (by its own sequence, not by time) was
// recorded; nothing before its first. What a clock that moved back is told by.
Result<std::optional<domain::Timestamp>> lastRecordedAt(Database& db, std::string_view kioskId);

} // namespace kiosk::store
