#pragma once
// What follows from the events, rebuilt in the caller's transaction: a
// student's attendance row and StudentAssessment, a work entry, and the day's
// StudentProgramEvaluation. Local actions and facts from other machines of
// the site go through the same functions, so every kiosk holding the same
// events holds the same projections and the same records for the state.
#include "kiosk/store/records.hpp"
#include "kiosk/store/store.hpp"
#include "kiosk/store/work_repo.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

// The state the site's events give, for checking a new step against.
domain::Attendance currentAttendance(std::vector<domain::AttendanceEvent> events, const domain::SessionRules& rules);

// Folds every event of (session, student), whatever machine recorded it,
// writes the attendance row and puts the StudentAssessment in the outbox.
// Returns a problem in words, or nothing.
std::optional<std::string> rebuildAttendance(store::Store& store, const domain::SessionInfo& session, const std::string& studentId,
                                             std::int64_t seq);
std::optional<std::string> rebuildAttendance(store::Database& db, const domain::SessionInfo& session, const std::string& studentId,
                                             std::int64_t seq);

// The state's name for a descriptor was learnt (or changed): every sitting
// whose attendance names one of these kiosk URIs is rebuilt, so a record
// queued before the map was known goes with the state's URI (a new version;
// unchanged records queue nothing). In the caller's transaction.
std::optional<std::string> reprojectSittingsNaming(store::Database& db, const std::vector<std::string>& kioskUris);

// Folds every event of a work entry and writes the entry. When the entry is
// (or was) approved, the day's StudentProgramEvaluation is rebuilt from every
// approved entry of that student and day.
std::optional<std::string> rebuildWorkEntry(store::Store& store, const store::CatalogueDocument& catalogue, const std::string& entryId,
                                            std::int64_t seq);

std::optional<std::string> rebuildDayEvaluation(store::Store& store, const store::CatalogueDocument& catalogue,
                                                const std::string& studentId, const std::string& date, std::int64_t seq);

// The site learnt the state holds `body` for a day's StudentProgramEvaluation
// this kiosk has no row for (an uploader wrote it before the merge's
// rejection or discard of an approval reached it, then lost its lease).
// When this kiosk holds an entry of that student and day the merge closed
// without approval, the day's record is rebuilt: the same body settles,
// another waits to be sent, nothing approved queues the deletion. Otherwise
// nothing is done: the facts have not arrived, and the remembered news
// settles the row when they do. Other resources: nothing (a sitting's
// record always has a row on a kiosk whose facts ever reported it).
std::optional<std::string> rebuildFromStateNews(store::Store& store, const store::CatalogueDocument* catalogue, std::string_view resource,
                                                std::string_view naturalKey, std::string_view body);

} // namespace kiosk::service
