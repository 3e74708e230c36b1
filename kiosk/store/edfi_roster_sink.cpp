#include "kiosk/store/edfi_roster_sink.hpp"

#include <nlohmann/json.hpp>

namespace kiosk::store {

std::vector<edsync::edfi::PullResource> rosterPullResources() {
    return {{"assessmentAdministrations", true, false}, {"students", true, false}, {"studentAssessmentRegistrations", true, false}};
}

Status EdfiRosterSink::apply(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) {
    if (resource != "assessmentAdministrations" && resource != "students" && resource != "studentAssessmentRegistrations") return {};
    nlohmann::json root;
    root[std::string(resource)] = items;
    RosterData data;
    ImportReport report = parseRosterDocument(root, data, &db);
    m_skipped += static_cast<std::int64_t>(report.problems.size());
    return writeRosterRows(db, data);
}

Status EdfiRosterSink::applyDeletes(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) {
    // A registration withdrawn by the state leaves the roster unless the
    // student already has entries here: the kiosk's history is never dropped.
    if (resource != "studentAssessmentRegistrations") return {};
    auto stmt = db.prepare(
        "DELETE FROM registration WHERE session_id = ?1 AND student_unique_id = ?2 AND NOT EXISTS"
        " (SELECT 1 FROM event e WHERE e.session_id = ?1 AND e.student_unique_id = ?2);");
    if (!stmt) return edsync::fail(stmt.error());
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        // The server's data: a member of the wrong type is skipped, never thrown.
        std::string session;
        if (auto admin = item.find("assessmentAdministrationReference"); admin != item.end() && admin->is_object())
            if (auto id = admin->find("administrationIdentifier"); id != admin->end() && id->is_string()) session = id->get<std::string>();
        std::string student;
        for (const char* key : {"studentSchoolAssociationReference", "studentEducationOrganizationAssociationReference"}) {
            auto ref = item.find(key);
            if (student.empty() && ref != item.end() && ref->is_object() && ref->contains("studentUniqueId") && (*ref)["studentUniqueId"].is_string())
                student = (*ref)["studentUniqueId"].get<std::string>();
        }
        if (session.empty() || student.empty()) continue;
        stmt->reset();
        stmt->bind(1, session).bind(2, student);
        if (auto s = stmt->run(); !s) return s;
    }
    return {};
}

} // namespace kiosk::store
