#pragma once
// What the durability driver and its harness agree on: the demo roster both
// build (the double is seeded with the same students), the proctor the driver
// sets up, and the lines the driver prints.
#include <string_view>

namespace kiosk::durability {

inline constexpr int kDefaultStudents = 90;
inline constexpr unsigned kRosterSeed = 2026;
inline constexpr std::string_view kProctorId = "P900";
inline constexpr std::string_view kProctorName = "Durability Proctor";
inline constexpr std::string_view kProctorPin = "13579";
inline constexpr std::string_view kClientId = "kiosk";
inline constexpr std::string_view kClientSecret = "kiosk-secret";

// The driver prints one line per record it was told is committed, after
// COMMIT returned, in one write(2):
//   committed event <event_id> <seq>
//   committed work_event <event_id> <seq>
//   committed outbox <resource> <natural_key> <local_version>
//   committed proctor <proctor_id> 1
inline constexpr std::string_view kCommitted = "committed";

} // namespace kiosk::durability
