#pragma once
// What the kiosk's records mean in Ed-Fi (reference/edfi.md).
#include "kiosk/store/records.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kiosk::store {

inline constexpr std::string_view kStudentAssessments = "studentAssessments";

// studentAssessmentIdentifier: derived from administration + assessment +
// student only, so every kiosk computes the same key for the same sitting.
std::string studentAssessmentKey(const SessionInfo& session, std::string_view studentUniqueId);

// The whole StudentAssessment (POST is a full replacement).
nlohmann::json studentAssessmentJson(const SessionInfo& session, std::string_view studentUniqueId,
                                     const domain::Attendance& a);

} // namespace kiosk::store
