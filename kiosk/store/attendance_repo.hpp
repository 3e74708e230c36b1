#pragma once
// The attendance projection: one row per registered student who has events.
#include "kiosk/store/store.hpp"
#include "kiosk/domain/attendance.hpp"

#include <nlohmann/json_fwd.hpp>

namespace kiosk::store {

Status writeAttendance(Database& db, std::string_view sessionId, std::string_view studentUniqueId,
                       const domain::Attendance& a, std::int64_t lastSeq, std::string_view edfiKey);

// The sittings whose attendance detail holds any of these values as a whole
// JSON string (an irregularity's circumstance URI, a no-show reason's code),
// with the sequence of their last write.
struct SittingRef {
    std::string sessionId;
    std::string studentId;
    std::int64_t lastSeq = 0;
};
Result<std::vector<SittingRef>> sittingsNaming(Database& db, const std::vector<std::string>& values);

// The Ed-Fi key the sitting's record was last put under ("" when none).
Result<std::string> attendanceEdfiKey(Database& db, std::string_view sessionId, std::string_view studentUniqueId);

// The projection's detail (accommodations, irregularities, ID check ...) as
// stored, for reports.
nlohmann::json attendanceDetail(const domain::Attendance& a);

} // namespace kiosk::store
