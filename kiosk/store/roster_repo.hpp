#pragma once
// Sessions, students and registrations: reference data the proctor works from.
#include "kiosk/store/records.hpp"
#include "kiosk/store/store.hpp"

#include <vector>

namespace kiosk::store {

Status upsertSession(Database& db, const SessionInfo& s);
Result<std::vector<SessionInfo>> listSessions(Database& db);
Result<std::optional<SessionInfo>> findSession(Database& db, std::string_view sessionId);
Status markSessionOpened(Database& db, std::string_view sessionId, domain::Timestamp at, std::string_view proctor);
Status markSessionSignedOff(Database& db, std::string_view sessionId, domain::Timestamp at, std::string_view proctor);

// A proctor's name and the state's staff ID (kept when none is given); active again.
Status upsertProctor(Database& db, std::string_view proctorId, std::string_view name, std::string_view staffUniqueId);

Status upsertStudent(Database& db, const Student& s);
Result<std::optional<Student>> findStudent(Database& db, std::string_view studentUniqueId);

// Keeps the walk-in flag once set: a later roster import does not hide it.
Status upsertRegistration(Database& db, const Registration& r);
// A registration the state withdrew leaves the roster unless the student
// already has entries here: the kiosk's history is never dropped.
Status withdrawRegistration(Database& db, std::string_view sessionId, std::string_view studentUniqueId);
// The state's enrolment names the student's grade (an ID aid at the door);
// a student not on this kiosk's roster is left alone.
Status setStudentGrade(Database& db, std::string_view studentUniqueId, std::string_view gradeLevel);
// The sessions a student (by their exact ID) is registered for, other than
// `exceptSession`, earliest first.
Result<std::vector<SessionInfo>> sessionsOfStudent(Database& db, std::string_view studentUniqueId, std::string_view exceptSession);
Result<std::optional<Registration>> findRegistration(Database& db, std::string_view sessionId, std::string_view studentUniqueId);

// The whole roster of a session with each student's current state, sorted
// by folded surname, first name, then ID: a total order, the same every time.
Result<std::vector<RosterRow>> rosterForSession(Database& db, std::string_view sessionId);
Result<SessionCounts> countsForSession(Database& db, std::string_view sessionId);

} // namespace kiosk::store
