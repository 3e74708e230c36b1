#include "kiosk/store/edfi_mapping.hpp"

#include "kiosk/store/ids.hpp"

#include <nlohmann/json.hpp>

namespace kiosk::store {

using nlohmann::json;

std::string studentAssessmentKey(const SessionInfo& session, std::string_view studentUniqueId) {
    return deterministicKey("tsk-", {session.sessionId, session.assessmentIdentifier, session.assessmentNamespace, studentUniqueId});
}

bool hasSomethingToReport(const domain::Attendance& a) {
    return a.checkedInAt.has_value() || a.presence == domain::Presence::NoShow;
}

json studentAssessmentIdentity(const SessionInfo& session, std::string_view studentUniqueId) {
    json j;
    j["studentAssessmentIdentifier"] = studentAssessmentKey(session, studentUniqueId);
    j["assessmentReference"] = {{"assessmentIdentifier", session.assessmentIdentifier}, {"namespace", session.assessmentNamespace}};
    j["studentReference"] = {{"studentUniqueId", std::string(studentUniqueId)}};
    return j;
}

json studentAssessmentJson(const SessionInfo& session, std::string_view studentUniqueId, const domain::Attendance& a,
                           const domain::DescriptorMap& descriptors) {
    json j;
    j["studentAssessmentIdentifier"] = studentAssessmentKey(session, studentUniqueId);
    j["assessmentReference"] = {{"assessmentIdentifier", session.assessmentIdentifier}, {"namespace", session.assessmentNamespace}};
    j["studentReference"] = {{"studentUniqueId", std::string(studentUniqueId)}};
    if (session.schoolId) j["reportedSchoolReference"] = {{"schoolId", *session.schoolId}};

    if (a.checkedInAt) j["administrationDate"] = domain::formatUtc(*a.checkedInAt);
    if (auto end = a.endForState()) j["administrationEndDate"] = domain::formatUtc(*end);
    if (auto minutes = a.assessedMinutes()) j["assessedMinutes"] = *minutes;

    json acc = json::array();
    for (const auto& d : a.accommodations) acc.push_back({{"accommodationDescriptor", d.accommodation}});
    j["accommodations"] = acc;

    if (a.presence == domain::Presence::NoShow) {
        j["administrationDate"] = domain::formatUtc(session.scheduledStart);
        j["reasonNotTestedDescriptor"] = domain::stateDescriptor(descriptors, std::string(domain::kReasonNotTestedNs) + a.noShowReason);
    }
    // Ed-Fi holds one circumstance per record: the first one, with every
    // irregularity kept in the description (all of them stay in the event log).
    if (!a.irregularities.empty()) {
        j["eventCircumstanceDescriptor"] = domain::stateDescriptor(descriptors, a.irregularities.front().circumstance);
        std::string text;
        for (const auto& i : a.irregularities) {
            if (!text.empty()) text += " | ";
            text += domain::formatUtc(i.occurredAt) + " " + std::string(domain::descriptorCodeValue(i.circumstance)) + ": " + i.description;
        }
        // eventDescription is limited to 1024 characters in the data standard.
        if (text.size() > 1024) {
            std::size_t cut = 1021;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
            text = text.substr(0, cut) + "...";
        }
        j["eventDescription"] = text;
    }
    return j;
}

} // namespace kiosk::store
