#include "kiosk/store/attendance_repo.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace kiosk::store {

using nlohmann::json;

json attendanceDetail(const domain::Attendance& a) {
    json d;
    d["walkIn"] = a.walkIn;
    d["lateReason"] = a.lateReason;
    d["idMethod"] = a.idMethod ? std::string(domain::idMethodCode(*a.idMethod)) : std::string();
    d["idVerifiedBy"] = a.idVerifiedBy;
    d["idRefused"] = a.idRefused;
    d["breaks"] = a.breaks;
    d["minutesOnBreak"] = a.minutesOnBreak.count();
    // The room board's "on break since".
    if (a.breakStartedAt) d["breakStartedAt"] = domain::formatUtc(*a.breakStartedAt);
    d["noShowReason"] = a.noShowReason;
    json acc = json::array();
    for (const auto& x : a.accommodations) acc.push_back({{"accommodation", x.accommodation}, {"at", domain::formatUtc(x.at)}});
    d["accommodations"] = acc;
    json irr = json::array();
    for (const auto& x : a.irregularities)
        irr.push_back({{"circumstance", x.circumstance}, {"description", x.description},
                       {"at", domain::formatUtc(x.occurredAt)}, {"reportedBy", x.reportedBy}});
    d["irregularities"] = irr;
    return d;
}

Status writeAttendance(Database& db, std::string_view sessionId, std::string_view studentUniqueId,
                       const domain::Attendance& a, std::int64_t lastSeq, std::string_view edfiKey) {
    auto stmt = db.prepare(
        "INSERT INTO attendance (session_id, student_unique_id, presence, late, seat, checked_in_at, checked_out_at, detail,"
        " last_seq, edfi_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (session_id, student_unique_id) DO UPDATE SET presence = excluded.presence, late = excluded.late,"
        " seat = excluded.seat, checked_in_at = excluded.checked_in_at, checked_out_at = excluded.checked_out_at,"
        " detail = excluded.detail, last_seq = excluded.last_seq, edfi_key = excluded.edfi_key;");
    if (!stmt) return edsync::fail(stmt.error());
    auto time = [](const std::optional<domain::Timestamp>& t) {
        return t ? std::optional<std::string>(domain::formatUtc(*t)) : std::nullopt;
    };
    stmt->bind(1, sessionId).bind(2, studentUniqueId).bind(3, domain::presenceCode(a.presence)).bind(4, a.late ? 1 : 0);
    stmt->bind(5, a.seat).bind(6, time(a.checkedInAt)).bind(7, time(a.checkedOutAt));
    stmt->bind(8, attendanceDetail(a).dump()).bind(9, lastSeq).bind(10, edfiKey);
    return stmt->run();
}

Result<std::string> attendanceEdfiKey(Database& db, std::string_view sessionId, std::string_view studentUniqueId) {
    auto stmt = db.prepare("SELECT edfi_key FROM attendance WHERE session_id = ?1 AND student_unique_id = ?2;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, studentUniqueId);
    auto row = stmt->step();
    if (!row) return edsync::fail(row.error());
    return *row ? stmt->getText(0) : std::string();
}

Result<std::vector<SittingRef>> sittingsNaming(Database& db, const std::vector<std::string>& values) {
    std::vector<SittingRef> found;
    if (values.empty()) return found;
    auto stmt = db.prepare("SELECT session_id, student_unique_id, last_seq FROM attendance WHERE instr(detail, ?1) > 0"
                           " ORDER BY last_seq;");
    if (!stmt) return edsync::fail(stmt.error());
    std::set<std::pair<std::string, std::string>> seen;
    for (const std::string& value : values) {
        stmt->reset();
        // As it is written inside the detail's JSON (a quote or a backslash escaped).
        std::string quoted = nlohmann::json(value).dump();
        stmt->bind(1, quoted);
        for (;;) {
            auto row = stmt->step();
            if (!row) return edsync::fail(row.error());
            if (!*row) break;
            SittingRef ref{stmt->getText(0), stmt->getText(1), stmt->getInt(2)};
            if (seen.emplace(ref.sessionId, ref.studentId).second) found.push_back(std::move(ref));
        }
    }
    return found;
}

} // namespace kiosk::store
