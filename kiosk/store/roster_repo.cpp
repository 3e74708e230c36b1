#include "kiosk/store/roster_repo.hpp"

#include "kiosk/domain/text_fold.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kiosk::store {

using edsync::fail;

namespace {

std::optional<domain::Timestamp> optTime(const edsync::sqlite::Statement& s, int col) {
    if (s.isNull(col)) return std::nullopt;
    return domain::parseIso8601(s.getText(col));
}

std::vector<std::string> parseStringArray(const std::string& json) {
    std::vector<std::string> out;
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& v : j)
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

constexpr std::string_view kSessionColumns =
    "session_id, assessment_identifier, namespace, assigning_ed_org_id, school_id, title, room, scheduled_start,"
    " late_after_min, no_show_after_min, opened_at, opened_by, signed_off_at, signed_off_by";

SessionInfo readSession(const edsync::sqlite::Statement& s) {
    SessionInfo i;
    i.sessionId = s.getText(0);
    i.assessmentIdentifier = s.getText(1);
    i.assessmentNamespace = s.getText(2);
    i.assigningEdOrgId = s.getInt(3);
    i.schoolId = s.getOptionalInt(4);
    i.title = s.getText(5);
    i.room = s.getText(6);
    i.scheduledStart = domain::parseIso8601(s.getText(7)).value_or(domain::Timestamp{});
    i.lateAfterMinutes = static_cast<int>(s.getInt(8));
    i.noShowAfterMinutes = static_cast<int>(s.getInt(9));
    i.openedAt = optTime(s, 10);
    i.openedBy = s.getOptionalText(11).value_or("");
    i.signedOffAt = optTime(s, 12);
    i.signedOffBy = s.getOptionalText(13).value_or("");
    return i;
}

// Every row a session query gives, in its order.
Result<std::vector<SessionInfo>> readSessions(edsync::sqlite::Statement& stmt) {
    std::vector<SessionInfo> out;
    for (;;) {
        auto row = stmt.step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back(readSession(stmt));
    }
    return out;
}

} // namespace

Status upsertSession(Database& db, const SessionInfo& s) {
    auto stmt = db.prepare(
        "INSERT INTO assessment_session (session_id, assessment_identifier, namespace, assigning_ed_org_id, school_id,"
        " title, room, scheduled_start, late_after_min, no_show_after_min)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (session_id) DO UPDATE SET assessment_identifier = excluded.assessment_identifier,"
        " namespace = excluded.namespace, assigning_ed_org_id = excluded.assigning_ed_org_id,"
        " school_id = excluded.school_id, title = excluded.title, room = excluded.room,"
        " scheduled_start = excluded.scheduled_start, late_after_min = excluded.late_after_min,"
        " no_show_after_min = excluded.no_show_after_min;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, s.sessionId).bind(2, s.assessmentIdentifier).bind(3, s.assessmentNamespace).bind(4, s.assigningEdOrgId);
    stmt->bind(5, s.schoolId).bind(6, s.title).bind(7, s.room).bind(8, domain::formatUtc(s.scheduledStart));
    stmt->bind(9, s.lateAfterMinutes).bind(10, s.noShowAfterMinutes);
    return stmt->run();
}

Result<std::vector<SessionInfo>> listSessions(Database& db) {
    auto stmt = db.prepare("SELECT " + std::string(kSessionColumns) + " FROM assessment_session ORDER BY scheduled_start, title;");
    if (!stmt) return fail(stmt.error());
    return readSessions(*stmt);
}

Result<std::optional<SessionInfo>> findSession(Database& db, std::string_view sessionId) {
    auto stmt = db.prepare("SELECT " + std::string(kSessionColumns) + " FROM assessment_session WHERE session_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<SessionInfo>{};
    return std::optional<SessionInfo>{readSession(*stmt)};
}

Result<std::vector<SessionInfo>> sessionsOfStudent(Database& db, std::string_view studentUniqueId, std::string_view exceptSession) {
    auto stmt = db.prepare("SELECT " + std::string(kSessionColumns) +
                           " FROM assessment_session WHERE session_id <> ?2 AND session_id IN"
                           " (SELECT session_id FROM registration WHERE student_unique_id = ?1)"
                           " ORDER BY scheduled_start, session_id;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, studentUniqueId).bind(2, exceptSession);
    return readSessions(*stmt);
}

Status markSessionOpened(Database& db, std::string_view sessionId, domain::Timestamp at, std::string_view proctor) {
    auto stmt = db.prepare(
        "UPDATE assessment_session SET opened_at = coalesce(opened_at, ?2), opened_by = coalesce(opened_by, ?3) WHERE session_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, domain::formatUtc(at)).bind(3, proctor);
    return stmt->run();
}

Status markSessionSignedOff(Database& db, std::string_view sessionId, domain::Timestamp at, std::string_view proctor) {
    auto stmt = db.prepare("UPDATE assessment_session SET signed_off_at = ?2, signed_off_by = ?3 WHERE session_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, domain::formatUtc(at)).bind(3, proctor);
    return stmt->run();
}

Status upsertProctor(Database& db, std::string_view proctorId, std::string_view name, std::string_view staffUniqueId) {
    auto stmt = db.prepare("INSERT INTO proctor (proctor_id, name, active, staff_unique_id) VALUES (?1, ?2, 1, ?3)"
                           " ON CONFLICT (proctor_id) DO UPDATE SET name = excluded.name, active = 1,"
                           " staff_unique_id = CASE WHEN excluded.staff_unique_id = '' THEN staff_unique_id ELSE excluded.staff_unique_id END;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, proctorId).bind(2, name).bind(3, staffUniqueId);
    return stmt->run();
}

Status upsertStudent(Database& db, const Student& s) {
    auto stmt = db.prepare(
        "INSERT INTO student (student_unique_id, first_name, middle_name, last_surname, birth_date, grade_level)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT (student_unique_id) DO UPDATE SET first_name = excluded.first_name, middle_name = excluded.middle_name,"
        " last_surname = excluded.last_surname, birth_date = excluded.birth_date, grade_level = excluded.grade_level;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, s.studentUniqueId).bind(2, s.firstName).bind(3, s.middleName).bind(4, s.lastSurname).bind(5, s.birthDate).bind(6, s.gradeLevel);
    return stmt->run();
}

Result<std::optional<Student>> findStudent(Database& db, std::string_view studentUniqueId) {
    auto stmt = db.prepare(
        "SELECT student_unique_id, first_name, middle_name, last_surname, birth_date, grade_level FROM student WHERE student_unique_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, studentUniqueId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<Student>{};
    return std::optional<Student>{Student{stmt->getText(0), stmt->getText(1), stmt->getText(2), stmt->getText(3), stmt->getText(4), stmt->getText(5)}};
}

Status withdrawRegistration(Database& db, std::string_view sessionId, std::string_view studentUniqueId) {
    auto stmt = db.prepare(
        "DELETE FROM registration WHERE session_id = ?1 AND student_unique_id = ?2 AND NOT EXISTS"
        " (SELECT 1 FROM event e WHERE e.session_id = ?1 AND e.student_unique_id = ?2);");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, studentUniqueId);
    return stmt->run();
}

Status setStudentGrade(Database& db, std::string_view studentUniqueId, std::string_view gradeLevel) {
    auto stmt = db.prepare("UPDATE student SET grade_level = ?2 WHERE student_unique_id = ?1 AND grade_level IS NOT ?2;");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, studentUniqueId).bind(2, gradeLevel);
    return stmt->run();
}

Status upsertRegistration(Database& db, const Registration& r) {
    nlohmann::json acc = r.scheduledAccommodations;
    auto stmt = db.prepare(
        "INSERT INTO registration (session_id, student_unique_id, scheduled_accommodations, walk_in) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (session_id, student_unique_id) DO UPDATE SET"
        " scheduled_accommodations = excluded.scheduled_accommodations, walk_in = max(walk_in, excluded.walk_in);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, r.sessionId).bind(2, r.studentUniqueId).bind(3, acc.dump()).bind(4, r.walkIn ? 1 : 0);
    return stmt->run();
}

Result<std::optional<Registration>> findRegistration(Database& db, std::string_view sessionId, std::string_view studentUniqueId) {
    auto stmt = db.prepare(
        "SELECT scheduled_accommodations, walk_in FROM registration WHERE session_id = ?1 AND student_unique_id = ?2;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId).bind(2, studentUniqueId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<Registration>{};
    Registration r{std::string(sessionId), std::string(studentUniqueId), parseStringArray(stmt->getText(0)), stmt->getInt(1) != 0};
    return std::optional<Registration>{std::move(r)};
}

Result<std::vector<RosterRow>> rosterForSession(Database& db, std::string_view sessionId) {
    auto stmt = db.prepare(
        "SELECT s.student_unique_id, s.first_name, s.middle_name, s.last_surname, s.birth_date,"
        " r.scheduled_accommodations, r.walk_in, a.presence, a.late, a.seat, a.checked_in_at, a.checked_out_at,"
        // A damaged detail must not take the roster down with it: json_valid first.
        " CASE WHEN json_valid(a.detail) THEN json_extract(a.detail, '$.breakStartedAt') END,"
        " CASE WHEN json_valid(a.detail) THEN json_array_length(a.detail, '$.accommodations') END,"
        " s.grade_level"
        " FROM registration r JOIN student s ON s.student_unique_id = r.student_unique_id"
        " LEFT JOIN attendance a ON a.session_id = r.session_id AND a.student_unique_id = r.student_unique_id"
        " WHERE r.session_id = ?1 ORDER BY s.last_surname, s.first_name, s.student_unique_id;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId);
    std::vector<RosterRow> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        RosterRow r;
        r.student = Student{stmt->getText(0), stmt->getText(1), stmt->getText(2), stmt->getText(3), stmt->getText(4), stmt->getText(14)};
        r.scheduledAccommodations = parseStringArray(stmt->getText(5));
        r.walkIn = stmt->getInt(6) != 0;
        if (!stmt->isNull(7)) {
            r.hasRecord = true;
            std::string code = stmt->getText(7);
            for (auto p : {domain::Presence::Expected, domain::Presence::Present, domain::Presence::OnBreak,
                           domain::Presence::CheckedOut, domain::Presence::NoShow})
                if (domain::presenceCode(p) == code) r.presence = p;
            r.late = stmt->getInt(8) != 0;
            r.seat = stmt->getText(9);
            r.checkedInAt = optTime(*stmt, 10);
            r.checkedOutAt = optTime(*stmt, 11);
            if (r.presence == domain::Presence::OnBreak) r.breakStartedAt = optTime(*stmt, 12);
            r.accommodationsDelivered = static_cast<int>(stmt->getInt(13));
        }
        out.push_back(std::move(r));
    }
    // People look for "Ñúñez" under N: sort by the folded name, not by bytes.
    std::vector<std::pair<std::string, std::size_t>> keys;
    keys.reserve(out.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        keys.emplace_back(domain::foldForSearch(out[i].student.lastSurname) + '\x01' + domain::foldForSearch(out[i].student.firstName) +
                              '\x01' + out[i].student.studentUniqueId,
                          i);
    std::sort(keys.begin(), keys.end());
    std::vector<RosterRow> sorted;
    sorted.reserve(out.size());
    for (const auto& k : keys) sorted.push_back(std::move(out[k.second]));
    return sorted;
}

Result<SessionCounts> countsForSession(Database& db, std::string_view sessionId) {
    auto stmt = db.prepare(
        "SELECT coalesce(a.presence, 'expected'), count(*), sum(r.walk_in), sum(coalesce(a.late, 0))"
        " FROM registration r LEFT JOIN attendance a"
        " ON a.session_id = r.session_id AND a.student_unique_id = r.student_unique_id"
        " WHERE r.session_id = ?1 GROUP BY 1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, sessionId);
    SessionCounts c;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        std::string p = stmt->getText(0);
        int n = static_cast<int>(stmt->getInt(1));
        c.walkIns += static_cast<int>(stmt->getInt(2));
        c.late += static_cast<int>(stmt->getInt(3));
        if (p == "present") c.present = n;
        else if (p == "on_break") c.onBreak = n;
        else if (p == "checked_out") c.checkedOut = n;
        else if (p == "no_show") c.noShow = n;
        else c.expected += n;
    }
    auto irregular = db.prepare("SELECT count(*) FROM event WHERE session_id = ?1 AND kind = 'irregularity';");
    if (!irregular) return fail(irregular.error());
    irregular->bind(1, sessionId);
    auto row = irregular->step();
    if (!row) return fail(row.error());
    if (*row) c.irregularities = static_cast<int>(irregular->getInt(0));
    return c;
}

} // namespace kiosk::store
