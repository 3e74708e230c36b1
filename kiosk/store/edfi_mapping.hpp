#pragma once
// What the kiosk's records mean in Ed-Fi (reference/edfi.md).
#include "kiosk/domain/descriptors.hpp"
#include "kiosk/store/records.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kiosk::store {

inline constexpr std::string_view kStudentAssessments = "studentAssessments";

// studentAssessmentIdentifier: derived from administration + assessment +
// student only, so every kiosk computes the same key for the same sitting.
std::string studentAssessmentKey(const SessionInfo& session, std::string_view studentUniqueId);

// Ed-Fi requires an administrationDate: a sitting with no check-in and no
// no-show (e.g. its only check-in withdrawn by a correction) has nothing to
// report, and the state's record of it must be deleted, not left empty.
bool hasSomethingToReport(const domain::Attendance& a);

// The StudentAssessment's identity (its natural key members, references as
// objects): what the uploader looks the record up by to delete it.
nlohmann::json studentAssessmentIdentity(const SessionInfo& session, std::string_view studentUniqueId);

// The whole StudentAssessment (POST is a full replacement).
// `descriptors`: the state's URIs for the values the kiosk offers (descriptor_map.hpp).
nlohmann::json studentAssessmentJson(const SessionInfo& session, std::string_view studentUniqueId,
                                     const domain::Attendance& a, const domain::DescriptorMap& descriptors = domain::DescriptorMap{});

} // namespace kiosk::store
