#include "kiosk/app/commands/failed_records.hpp"

#include "kiosk/app/printable.hpp"
#include "sync/edfi/uploader.hpp"

namespace kiosk::app::ctl {

void printFailedRecords(std::ostream& out, const std::vector<service::FailedRecord>& records) {
    for (const auto& r : records) {
        out << "  " << (r.refused ? "refused" : "waiting to retry") << (r.deletion ? " (removal)" : "") << ": " << printable(r.who) << "\n";
        out << "    ";
        if (r.httpStatus) {
            out << "HTTP " << *r.httpStatus;
            if (!r.problemType.empty()) out << " " << printable(r.problemType);
            if (!r.correlationId.empty()) out << " (correlationId " << printable(r.correlationId) << ")";
            out << ": ";
        }
        std::string_view text = !r.words.empty() ? r.words : r.cause;
        // The kiosk's own cause already starts with the status printed just before.
        if (r.httpStatus) {
            const std::string status = "HTTP " + std::to_string(*r.httpStatus) + ": ";
            if (text.starts_with(status)) text.remove_prefix(status.size());
        }
        out << printable(text) << "\n";
    }
}

nlohmann::json failedRecordsJson(const std::vector<service::FailedRecord>& records) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : records) {
        nlohmann::json j = {{"resource", r.resource}, {"naturalKey", r.naturalKey}, {"refused", r.refused}, {"deletion", r.deletion},
                            {"who", r.who}, {"problemType", r.problemType}, {"words", r.words}, {"correlationId", r.correlationId},
                            {"cause", r.cause}, {"attempts", r.attempts}};
        j["httpStatus"] = r.httpStatus ? nlohmann::json(*r.httpStatus) : nlohmann::json();
        j["at"] = r.at ? nlohmann::json(domain::formatUtc(*r.at)) : nlohmann::json();
        list.push_back(std::move(j));
    }
    return list;
}

std::string journalText(const service::FailedRecord& r) {
    return edsync::edfi::journalLine(r.httpStatus, r.problemType, r.correlationId);
}

} // namespace kiosk::app::ctl
