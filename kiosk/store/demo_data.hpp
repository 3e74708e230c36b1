#pragma once
// A demo site, two sessions and a generated roster, so the kiosk runs with no
// server. Deterministic for a given seed.
#include "kiosk/store/roster_import.hpp"

namespace kiosk::store {

struct DemoOptions {
    int students = 300;
    unsigned seed = 2026;
    domain::Timestamp now{};  // session times are placed around it
};

RosterData makeDemoRoster(const DemoOptions& options);
// Writes the demo site and roster (upserts: running it twice changes nothing).
Status loadDemo(Store& store, const DemoOptions& options);

inline constexpr std::string_view kDemoNamespace = "uri://testsite.example.org/assessment";
inline constexpr std::string_view kDemoProctorId = "P001";
inline constexpr std::string_view kDemoProctorName = "Ms. Rivera";
inline constexpr std::string_view kDemoProctorPin = "2468";  // demo data only; README says so
// The documented demo student (README): signs in with this ID and date of
// birth on the demo data, out of the box (writeRoster keeps it as a hash).
inline constexpr std::string_view kDemoStudentId = "S100001";
inline constexpr std::string_view kDemoStudentBirthDate = "2009-04-02";
// True while the documented sign-ins above hold: nothing has written a
// roster or set a credential since loadDemo (kDemoCredentialsMeta).
bool demoCredentialsHold(Database& db);

inline constexpr std::string_view kDemoAccommodationNs = "uri://testsite.example.org/AccommodationDescriptor#";

} // namespace kiosk::store
