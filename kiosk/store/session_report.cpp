#include "kiosk/store/session_report.hpp"

#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"

namespace kiosk::store {

std::string csvField(std::string_view text) {
    // A spreadsheet runs a cell starting with = + - @ (after leading spaces)
    // as a formula. One set to split on ';', ',', '|' or tab, or that breaks
    // at CR or LF, makes a new cell after each, so every such start is
    // defused with an apostrophe, not just the first: "a;=cmd" becomes
    // "a;'=cmd", "a\t =cmd" becomes "a\t '=cmd", and the field is quoted.
    auto risky = [](char c) { return c == '=' || c == '+' || c == '-' || c == '@'; };
    auto separator = [](char c) { return c == ';' || c == ',' || c == '|' || c == '\t' || c == '\n' || c == '\r'; };
    std::string v;
    v.reserve(text.size() + 2);
    bool cellStart = true;
    for (char c : text) {
        if (cellStart && c == ' ') {
            v.push_back(c);
            continue;
        }
        if (cellStart && risky(c)) v.push_back('\'');
        v.push_back(c);
        cellStart = separator(c);
    }
    // Quoted whenever a separator is inside, so a reader that honours quotes keeps one cell.
    bool quote = v.find_first_of(",;|\t\"\r\n") != std::string::npos;
    if (!quote) return v;
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += "\"\"";
        else out.push_back(c);
    }
    out += "\"";
    return out;
}

namespace {

std::string joinList(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += "; ";
        out += domain::descriptorCodeValue(i);
    }
    return out;
}

std::string timeOrEmpty(const std::optional<domain::Timestamp>& t) { return t ? domain::formatUtc(*t) : std::string(); }

} // namespace

Result<std::string> sessionReportCsv(Database& db, std::string_view sessionId) {
    auto session = findSession(db, sessionId);
    if (!session) return edsync::fail(session.error());
    if (!*session) {
        Error e;
        e.code = 12;  // SQLITE_NOTFOUND
        e.message = "no session \"" + std::string(sessionId) + "\"";
        return edsync::fail(e);
    }
    const SessionInfo& info = **session;
    auto roster = rosterForSession(db, sessionId);
    if (!roster) return edsync::fail(roster.error());

    std::string csv =
        "session_id,assessment,room,scheduled_start,signed_off_at,signed_off_by,student_unique_id,last_surname,first_name,"
        "status,walk_in,late,checked_in_at,checked_out_at,clock_moved_back,assessed_minutes,seat,id_method,id_verified_by,id_refused,"
        "breaks,minutes_on_break,accommodations_scheduled,accommodations_delivered,irregularities,no_show_reason,"
        "state_has_latest,audit_head\r\n";
    // The audit chain's head at export, on every row (as on the papers'
    // footer): a copy outside the database that `verify-audit --printed-head` checks.
    auto auditHead = printableAuditHead(db);
    if (!auditHead) return edsync::fail(auditHead.error());
    for (const RosterRow& row : *roster) {
        auto events = eventsFor(db, sessionId, row.student.studentUniqueId);
        if (!events) return edsync::fail(events.error());
        domain::Attendance a = domain::replay(*events, info.rules()).state;
        std::vector<std::string> delivered;
        for (const auto& d : a.accommodations) delivered.push_back(d.accommodation);
        std::string irregularities;
        for (const auto& i : a.irregularities) {
            if (!irregularities.empty()) irregularities += " | ";
            irregularities += domain::formatUtc(i.occurredAt) + " " + std::string(domain::descriptorCodeValue(i.circumstance)) +
                              ": " + i.description + " (" + i.reportedBy + ")";
        }
        std::string synced;
        if (row.hasRecord) {
            auto st = edsync::outbox::status(db, kStudentAssessments, studentAssessmentKey(info, row.student.studentUniqueId));
            if (!st) return edsync::fail(st.error());
            synced = (*st && (*st)->state == edsync::outbox::State::Synced) ? "yes" : "no";
        }
        std::vector<std::string> cells{
            info.sessionId, info.title, info.room, domain::formatUtc(info.scheduledStart), timeOrEmpty(info.signedOffAt),
            info.signedOffBy, row.student.studentUniqueId, row.student.lastSurname, row.student.firstName,
            std::string(domain::presenceCode(a.presence)), a.walkIn || row.walkIn ? "yes" : "no", a.late ? "yes" : "no",
            timeOrEmpty(a.checkedInAt), timeOrEmpty(a.checkedOutAt),
            // Both times as recorded; "yes": the state got the check-in time as the end (Attendance::endForState).
            a.checkOutBeforeCheckIn() ? "yes" : "",
            a.assessedMinutes() ? std::to_string(*a.assessedMinutes()) : std::string(), a.seat,
            a.idMethod ? std::string(domain::idMethodCode(*a.idMethod)) : std::string(), a.idVerifiedBy,
            a.idRefused ? "yes" : "no", std::to_string(a.breaks), std::to_string(a.minutesOnBreak.count()),
            joinList(row.scheduledAccommodations), joinList(delivered), irregularities, a.noShowReason, synced, *auditHead,
        };
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (i) csv += ',';
            csv += csvField(cells[i]);
        }
        csv += "\r\n";
    }
    return csv;
}

} // namespace kiosk::store
