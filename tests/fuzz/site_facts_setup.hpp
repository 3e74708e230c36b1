#pragma once
// What fuzz_site_facts and its seed maker (site_facts_seeds.cpp) share: the
// roster both stores hold, the site's sealing key, and where the task
// catalogue is, so the committed seeds refer to rows the fuzzed store has.
#include "kiosk/store/store.hpp"

#include <string_view>

namespace kiosk::fuzz {

inline constexpr std::string_view kSession = "ADM-FUZZ-1";

// One session, three students (birth dates as second factors), registered.
inline constexpr std::string_view kRosterJson = R"({
  "assessmentAdministrations": [{
    "administrationIdentifier": "ADM-FUZZ-1",
    "assessmentReference": {"assessmentIdentifier": "WK-APPLIED-MATH", "namespace": "uri://testsite.example.org/assessment"},
    "assigningEducationOrganizationReference": {"educationOrganizationId": 255901},
    "_ext": {"testsite": {"title": "WorkKeys Applied Math", "room": "Room 114", "startTime": "2026-11-23T13:00:00Z"}}}],
  "students": [
    {"studentUniqueId": "S1", "firstName": "Zoë", "lastSurname": "Ñúñez", "birthDate": "2009-04-12"},
    {"studentUniqueId": "S2", "firstName": "Łukasz", "lastSurname": "Dvořák", "birthDate": "2008-11-02"},
    {"studentUniqueId": "S3", "firstName": "Siobhán", "lastSurname": "O'Brien", "birthDate": "2009-01-30"}],
  "studentAssessmentRegistrations": [
    {"assessmentAdministrationReference": {"administrationIdentifier": "ADM-FUZZ-1"}, "studentSchoolAssociationReference": {"studentUniqueId": "S1"}},
    {"assessmentAdministrationReference": {"administrationIdentifier": "ADM-FUZZ-1"}, "studentSchoolAssociationReference": {"studentUniqueId": "S2"}},
    {"assessmentAdministrationReference": {"administrationIdentifier": "ADM-FUZZ-1"}, "studentSchoolAssociationReference": {"studentUniqueId": "S3"}}]
})";

// The site's key for sign-in factors on the log (in a kiosk, derived from
// site.key: kiosk::app::siteCredentialSeal); fixed here so seeds open.
inline store::Database::SealingKey siteSeal() {
    store::Database::SealingKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(0x5e ^ (i * 29));
    return k;
}

// Each kiosk seals what it stores with its own credential key.
inline store::Database::SealingKey localKey(unsigned char b) {
    store::Database::SealingKey k{};
    k.fill(b);
    return k;
}

} // namespace kiosk::fuzz
