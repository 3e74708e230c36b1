#pragma once
// How status, sync and import-pending print the records the state has not
// taken: the student and date (or session) beside the server's own words.
// Server text and names go to the terminal escaped (printable.hpp), never to
// the journal.
#include "kiosk/service/sync_view.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::app::ctl {

// "  refused: Ñúñez, Zoë (S100001) · 2026-03-14 · WorkKeys Applied Math\n
//      HTTP 409 urn:ed-fi:... (correlationId c-1): the server's words"
void printFailedRecords(std::ostream& out, const std::vector<service::FailedRecord>& records);

nlohmann::json failedRecordsJson(const std::vector<service::FailedRecord>& records);

// For the journal: the HTTP status, problem type and correlationId only.
std::string journalText(const service::FailedRecord& record);

} // namespace kiosk::app::ctl
