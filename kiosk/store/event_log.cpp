#include "kiosk/store/event_log.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace kiosk::store {

using edsync::fail;
using nlohmann::json;

namespace {

json payloadOf(const domain::AttendanceEvent& e) {
    json p = json::object();
    if (e.idMethod) p["idMethod"] = domain::idMethodCode(*e.idMethod);
    if (!e.idVerifiedBy.empty()) p["idVerifiedBy"] = e.idVerifiedBy;
    if (!e.seat.empty()) p["seat"] = e.seat;
    if (!e.accommodation.empty()) p["accommodation"] = e.accommodation;
    if (!e.circumstance.empty()) p["circumstance"] = e.circumstance;
    if (!e.reason.empty()) p["reason"] = e.reason;
    if (!e.description.empty()) p["description"] = e.description;
    if (e.occurredAt) p["occurredAt"] = domain::formatUtc(*e.occurredAt);
    return p;
}

// Events recorded before schema 3 have no stamp: their recorded time and
// per-kiosk seq order one kiosk's events as seq does.
domain::Hlc provisionalHlc(domain::Timestamp at, std::int64_t seq) {
    return {std::max<std::int64_t>(0, at.time_since_epoch().count()), static_cast<std::uint32_t>(seq & 0xffffffff)};
}

std::string str(const json& p, const char* key) {
    auto it = p.find(key);
    return it != p.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

Status appendEvent(Database& db, const EventContext& ctx, const domain::AttendanceEvent& e, std::string_view hlc) {
    auto stmt = db.prepare(
        "INSERT INTO event (seq, event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor, recorded_at,"
        " local_utc_offset_min, payload, corrects_event_id, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, e.seq).bind(2, e.id).bind(3, ctx.kioskId).bind(4, ctx.siteId).bind(5, ctx.sessionId);
    stmt->bind(6, ctx.studentUniqueId).bind(7, domain::eventKindCode(e.kind)).bind(8, e.proctor);
    stmt->bind(9, domain::formatUtc(e.at)).bind(10, ctx.localUtcOffsetMinutes).bind(11, payloadOf(e).dump());
    if (e.correctsEventId.empty()) stmt->bind(12, nullptr);
    else stmt->bind(12, e.correctsEventId);
    stmt->bind(13, hlc.empty() ? std::string_view("") : hlc);  // never NULL: a default view has no data
    return stmt->run();
}

Status appendSessionEvent(Database& db, const EventContext& ctx, std::string_view kind, std::int64_t seq,
                          std::string_view eventId, domain::Timestamp at, std::string_view proctor, std::string_view hlc) {
    auto stmt = db.prepare(
        "INSERT INTO event (seq, event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor, recorded_at,"
        " local_utc_offset_min, payload, hlc) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8, ?9, '{}', ?10);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, seq).bind(2, eventId).bind(3, ctx.kioskId).bind(4, ctx.siteId).bind(5, ctx.sessionId);
    stmt->bind(6, kind).bind(7, proctor).bind(8, domain::formatUtc(at)).bind(9, ctx.localUtcOffsetMinutes).bind(10, hlc.empty() ? std::string_view("") : hlc);
    return stmt->run();
}

Result<std::vector<domain::AttendanceEvent>> eventsFor(Database& db, std::string_view sessionId, std::string_view studentUniqueId) {
    auto stmt = db.prepare(
        "SELECT seq, event_id, kind, proctor, recorded_at, payload, corrects_event_id, kiosk_id, hlc FROM event"
        " WHERE session_id = ?1 AND student_unique_id = ?2 ORDER BY hlc, kiosk_id, seq;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, studentUniqueId);
    std::vector<domain::AttendanceEvent> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        auto kind = domain::eventKindFromCode(stmt->getText(2));
        if (!kind) continue;  // a kind from a newer build: kept in the log, not interpreted
        domain::AttendanceEvent e;
        e.seq = stmt->getInt(0);
        e.id = stmt->getText(1);
        e.kind = *kind;
        e.proctor = stmt->getText(3);
        e.at = domain::parseIso8601(stmt->getText(4)).value_or(domain::Timestamp{});
        json p = json::parse(stmt->getText(5), nullptr, false);
        if (p.is_object()) {
            e.idMethod = domain::idMethodFromCode(str(p, "idMethod"));
            e.idVerifiedBy = str(p, "idVerifiedBy");
            e.seat = str(p, "seat");
            e.accommodation = str(p, "accommodation");
            e.circumstance = str(p, "circumstance");
            e.reason = str(p, "reason");
            e.description = str(p, "description");
            if (auto t = str(p, "occurredAt"); !t.empty()) e.occurredAt = domain::parseIso8601(t);
        }
        e.correctsEventId = stmt->getOptionalText(6).value_or("");
        e.kioskId = stmt->getText(7);
        e.hlc = domain::parseHlc(stmt->getText(8)).value_or(provisionalHlc(e.at, e.seq));
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::int64_t> eventCount(Database& db) {
    auto stmt = db.prepare("SELECT count(*) FROM event;");
    if (!stmt) return fail(stmt.error());
    auto row = stmt->step();
    if (!row) return fail(row.error());
    return stmt->getInt(0);
}

Result<std::optional<domain::Timestamp>> lastRecordedAt(Database& db, std::string_view kioskId) {
    // Newest first by rowid: stops at this kiosk's last row, whatever other machines' rows came after it.
    auto stmt = db.prepare("SELECT recorded_at FROM event WHERE kiosk_id = ?1 ORDER BY seq DESC LIMIT 1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, kioskId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<domain::Timestamp>();
    return domain::parseIso8601(stmt->getText(0));
}

} // namespace kiosk::store
