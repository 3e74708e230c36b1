#include "kiosk/app/edfi_roster_sink.hpp"

#include "kiosk/domain/descriptors.hpp"
#include "kiosk/service/projections.hpp"
#include "kiosk/store/descriptor_map.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/roster_repo.hpp"

#include <nlohmann/json.hpp>

namespace kiosk::app {

using store::Database;
using store::Status;

std::vector<edsync::edfi::PullResource> rosterPullResources() {
    // Enrolments only for the grade shown beside a name at the door: after
    // the students, optional (a client whose claims lack them still gets
    // its roster), and no /deletes (an old enrolment leaves the grade be).
    // The descriptor lists last and optional too: the state's own URIs for the
    // values a proctor chooses (descriptor_map.hpp); a client that may not read
    // them keeps the Ed-Fi ones (the pre-flight says which the state lacks).
    return {{"assessmentAdministrations", true, false},
            {"students", true, false},
            {"studentAssessmentRegistrations", true, false},
            {"studentSchoolAssociations", false, false, true},
            {"reasonNotTestedDescriptors", false, false, true},
            {"eventCircumstanceDescriptors", false, false, true}};
}

namespace {

// A current enrolment's entry grade (none once the student withdrew from
// that school). The server's data: a member of the wrong type is skipped.
Status applyGrades(Database& db, const std::vector<nlohmann::json>& items, store::RosterChange& change) {
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        if (auto exit = item.find("exitWithdrawDate"); exit != item.end() && !exit->is_null()) continue;
        auto ref = item.find("studentReference");
        auto grade = item.find("entryGradeLevelDescriptor");
        if (ref == item.end() || !ref->is_object() || grade == item.end() || !grade->is_string()) continue;
        auto id = ref->find("studentUniqueId");
        if (id == ref->end() || !id->is_string() || id->get_ref<const std::string&>().size() > 32) continue;
        auto words = store::gradeFromWords(grade->get_ref<const std::string&>());
        if (!words) continue;
        if (auto s = store::setStudentGrade(db, id->get_ref<const std::string&>(), *words); !s) return s;
        change.grades.push_back({id->get<std::string>(), *words});
    }
    return {};
}

// A page of the state's descriptor list: for each value the kiosk offers
// that it names (under its own namespace or code), the state's URI. A value
// this page does not name keeps what was learnt before.
Status applyDescriptors(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items, store::RosterChange& change) {
    const bool reasons = resource == "reasonNotTestedDescriptors";
    const std::string_view ns = reasons ? domain::kReasonNotTestedNs : domain::kEventCircumstanceNs;
    std::vector<domain::ListedDescriptor> listed;
    for (const auto& item : items) {
        if (!item.is_object()) continue;
        auto n = item.find("namespace");
        auto code = item.find("codeValue");
        if (n == item.end() || !n->is_string() || code == item.end() || !code->is_string()) continue;
        if (n->get_ref<const std::string&>().size() > 255 || code->get_ref<const std::string&>().size() > 50) continue;
        domain::ListedDescriptor d{n->get<std::string>(), code->get<std::string>(), {}};
        if (auto sd = item.find("shortDescription"); sd != item.end() && sd->is_string() && sd->get_ref<const std::string&>().size() <= 75)
            d.shortDescription = sd->get<std::string>();
        listed.push_back(std::move(d));
    }
    for (auto code : reasons ? domain::reasonsNotTested() : domain::eventCircumstances()) {
        const std::string kioskUri = std::string(ns) + std::string(code);
        auto stateUri = domain::matchDescriptor(kioskUri, listed);
        if (!stateUri) continue;
        auto changed = store::setDescriptorMapping(db, kioskUri, *stateUri);
        if (!changed) return edsync::fail(changed.error());
        if (*changed) change.descriptors.emplace_back(kioskUri, *stateUri);
    }
    return {};
}

// Records queued before the state's names were known go again with them.
Status reproject(Database& db, const store::RosterChange& change) {
    if (change.descriptors.empty()) return {};
    std::vector<std::string> kioskUris;
    for (const auto& [kiosk, state] : change.descriptors) kioskUris.push_back(kiosk);
    if (auto problem = service::reprojectSittingsNaming(db, kioskUris)) {
        store::Error e;
        e.code = 1;  // SQLITE_ERROR: the rebuild's own words follow
        e.message = "rebuilding records for the state's descriptor names: " + *problem;
        return edsync::fail(std::move(e));
    }
    return {};
}

} // namespace

Status EdfiRosterSink::share(Database& db, const store::RosterChange& change) {
    if (!m_share || change.empty()) return {};
    return m_share(db, change);
}

Status EdfiRosterSink::apply(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) {
    if (resource == "studentSchoolAssociations") {
        store::RosterChange change;
        if (auto s = applyGrades(db, items, change); !s) return s;
        return share(db, change);
    }
    if (resource == "reasonNotTestedDescriptors" || resource == "eventCircumstanceDescriptors") {
        store::RosterChange change;
        if (auto s = applyDescriptors(db, resource, items, change); !s) return s;
        if (auto s = reproject(db, change); !s) return s;
        return share(db, change);
    }
    if (resource != "assessmentAdministrations" && resource != "students" && resource != "studentAssessmentRegistrations") return {};
    nlohmann::json root;
    root[std::string(resource)] = items;
    store::RosterData data;
    store::ImportReport report = store::parseRosterDocument(root, data, &db);
    m_skipped += static_cast<std::int64_t>(report.problems.size());
    if (auto s = store::writeRosterRows(db, data); !s) return s;
    return share(db, store::rosterChangeOf(data));
}

Status EdfiRosterSink::applyDeletes(Database& db, std::string_view resource, const std::vector<nlohmann::json>& items) {
    if (resource != "studentAssessmentRegistrations") return {};
    store::RosterChange change;
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
        if (auto s = store::withdrawRegistration(db, session, student); !s) return s;
        change.withdrawn.push_back({session, student});
    }
    return share(db, change);
}

} // namespace kiosk::app
