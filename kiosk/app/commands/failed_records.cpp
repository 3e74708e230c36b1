#include "kiosk/app/commands/failed_records.hpp"

#include "sync/edfi/uploader.hpp"

#include <cstdio>

namespace kiosk::app::ctl {

std::string terminalSafe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    auto hex = [&out](unsigned char c) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) {
            hex(c);
        } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            hex(static_cast<unsigned char>(text[++i]));  // a C1 control, UTF-8 encoded
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

void printFailedRecords(std::ostream& out, const std::vector<service::FailedRecord>& records) {
    for (const auto& r : records) {
        out << "  " << (r.refused ? "refused" : "waiting to retry") << (r.deletion ? " (removal)" : "") << ": " << terminalSafe(r.who) << "\n";
        out << "    ";
        if (r.httpStatus) {
            out << "HTTP " << *r.httpStatus;
            if (!r.problemType.empty()) out << " " << terminalSafe(r.problemType);
            if (!r.correlationId.empty()) out << " (correlationId " << terminalSafe(r.correlationId) << ")";
            out << ": ";
        }
        out << terminalSafe(!r.words.empty() ? r.words : r.cause) << "\n";
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
