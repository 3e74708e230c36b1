#pragma once
// The session report a test coordinator files: attendance, times, seats,
// accommodations delivered, irregularities — one CSV row per student.
#include "kiosk/store/store.hpp"

#include <string>

namespace kiosk::store {

Result<std::string> sessionReportCsv(Database& db, std::string_view sessionId);

// Quotes a CSV field (RFC 4180) and defuses spreadsheet formulas.
std::string csvField(std::string_view text);

} // namespace kiosk::store
