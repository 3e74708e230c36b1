#include "kiosk/service/session_queries.hpp"

#include "sync/core/files.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/session_report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

namespace kiosk::service {

using edsync::fail;

namespace {

StateCopy toStateCopy(const std::optional<edsync::outbox::RecordStatus>& st) {
    if (!st) return StateCopy::NoRecord;
    switch (st->state) {
    case edsync::outbox::State::Synced: return StateCopy::Synced;
    case edsync::outbox::State::NeedsAttention: return StateCopy::NeedsAttention;
    default: return StateCopy::Pending;
    }
}

void mix(std::uint64_t& h, std::string_view text) {
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // field separator: ("ab", "c") and ("a", "bc") differ
    h *= 0x100000001b3ULL;
}

} // namespace

std::uint64_t rosterRevision(const std::vector<domain::RosterRow>& roster) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const auto& r : roster) {
        mix(h, r.student.studentUniqueId);
        mix(h, r.student.firstName);
        mix(h, r.student.middleName);
        mix(h, r.student.lastSurname);
        mix(h, r.student.birthDate);
        mix(h, r.walkIn ? "w" : "r");
    }
    return h;
}

store::Result<std::vector<SessionSummary>> sessionList(store::Database& db) {
    auto list = store::listSessions(db);
    if (!list) return fail(list.error());
    std::vector<SessionSummary> out;
    for (auto& s : *list) {
        auto counts = store::countsForSession(db, s.sessionId);
        if (!counts) return fail(counts.error());
        out.push_back({std::move(s), *counts});
    }
    return out;
}

store::Result<std::vector<SessionSummary>> SessionQueries::sessions() { return sessionList(m_store.db()); }

store::Result<SessionSnapshot> sessionSnapshot(store::Database& db, const std::string& sessionId) {
    auto info = store::findSession(db, sessionId);
    if (!info) return fail(info.error());
    if (!*info) {
        store::Error e;
        e.code = 12;
        e.message = "no such session";
        return fail(e);
    }
    auto roster = store::rosterForSession(db, sessionId);
    if (!roster) return fail(roster.error());
    auto counts = store::countsForSession(db, sessionId);
    if (!counts) return fail(counts.error());
    std::uint64_t revision = rosterRevision(*roster);
    return SessionSnapshot{std::move(**info), std::move(*roster), *counts, revision};
}

store::Result<std::vector<StateCopy>> stateCopies(store::Database& db, const SessionSnapshot& snapshot) {
    std::vector<StateCopy> out;
    out.reserve(snapshot.roster.size());
    for (const auto& row : snapshot.roster) {
        if (!row.hasRecord) {
            out.push_back(StateCopy::NoRecord);
            continue;
        }
        auto st = edsync::outbox::status(db, store::kStudentAssessments, store::studentAssessmentKey(snapshot.info, row.student.studentUniqueId));
        if (!st) return fail(st.error());
        out.push_back(toStateCopy(*st));
    }
    return out;
}

store::Result<SessionSnapshot> SessionQueries::session(const std::string& sessionId) { return sessionSnapshot(m_store.db(), sessionId); }

store::Result<StudentDetail> studentDetail(store::Database& db, const domain::SessionInfo& info, const domain::RosterRow& row) {
    StudentDetail d;
    d.row = row;
    const std::string& studentId = row.student.studentUniqueId;
    auto events = store::eventsFor(db, info.sessionId, studentId);
    if (!events) return fail(events.error());
    d.attendance = domain::replay(*events, info.rules()).state;
    d.history = domain::history(*events);
    auto st = edsync::outbox::status(db, store::kStudentAssessments, store::studentAssessmentKey(info, studentId));
    if (!st) return fail(st.error());
    d.stateCopy = toStateCopy(*st);
    if (*st && (*st)->lastError) d.stateMessage = *(*st)->lastError;
    return d;
}

store::Result<std::optional<StudentElsewhere>> SessionQueries::studentElsewhere(const std::string& sessionId, const std::string& studentId,
                                                                                 domain::Timestamp now) {
    // As typed, else in capitals: "s100003" is how a hurried proctor types S100003.
    std::string id = studentId;
    auto sessions = store::sessionsOfStudent(m_store.db(), id, sessionId);
    if (!sessions) return fail(sessions.error());
    if (sessions->empty()) {
        std::transform(id.begin(), id.end(), id.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (id == studentId) return std::optional<StudentElsewhere>{};
        sessions = store::sessionsOfStudent(m_store.db(), id, sessionId);
        if (!sessions) return fail(sessions.error());
        if (sessions->empty()) return std::optional<StudentElsewhere>{};
    }
    // Of a student's several sessions, the one the student most likely came for.
    auto distance = [now](const domain::SessionInfo& s) { return s.scheduledStart > now ? s.scheduledStart - now : now - s.scheduledStart; };
    auto nearest = std::min_element(sessions->begin(), sessions->end(),
                                    [&](const auto& a, const auto& b) { return distance(a) < distance(b); });
    auto student = store::findStudent(m_store.db(), id);
    if (!student) return fail(student.error());
    if (!*student) return std::optional<StudentElsewhere>{};
    return std::optional<StudentElsewhere>{StudentElsewhere{std::move(**student), *nearest}};
}

store::Result<StudentDetail> SessionQueries::student(const std::string& sessionId, const std::string& studentId) {
    auto snapshotInfo = store::findSession(m_store.db(), sessionId);
    if (!snapshotInfo) return fail(snapshotInfo.error());
    if (!*snapshotInfo) {
        store::Error e;
        e.code = 12;
        e.message = "no such session";
        return fail(e);
    }
    auto roster = store::rosterForSession(m_store.db(), sessionId);  // small; keeps one source of row data
    if (!roster) return fail(roster.error());
    domain::RosterRow row;
    row.student.studentUniqueId = studentId;  // not on the roster: the events alone
    for (auto& r : *roster)
        if (r.student.studentUniqueId == studentId) row = r;
    return studentDetail(m_store.db(), **snapshotInfo, row);
}

store::Result<edsync::outbox::Counts> SessionQueries::outbox() { return edsync::outbox::counts(m_store.db()); }

store::Result<std::vector<StateCopy>> SessionQueries::stateCopies(const SessionSnapshot& snapshot) {
    return service::stateCopies(m_store.db(), snapshot);
}

std::optional<std::string> SessionQueries::exportReport(const std::string& sessionId, const std::filesystem::path& file) {
    auto csv = store::sessionReportCsv(m_store.db(), sessionId);
    if (!csv) return csv.error().message;
    // 0600: the report names students. Written whole or not at all.
    if (auto w = edsync::files::writeAtomically(file, *csv, 0600); !w) return w.error() + " (disk full or read-only?)";
    return std::nullopt;
}

} // namespace kiosk::service
