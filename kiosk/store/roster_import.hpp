#pragma once
// Roster import from a JSON file in Ed-Fi shapes (reference/edfi.md):
//   {"assessmentAdministrations": [...], "students": [...],
//    "studentAssessmentRegistrations": [...]}
// Each malformed item is reported with its position ($.students[17]) and
// skipped; the rest is written in one transaction; nothing stored is lost.
#include "kiosk/store/records.hpp"
#include "kiosk/store/store.hpp"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::store {

struct RosterData {
    std::vector<SessionInfo> sessions;
    std::vector<Student> students;
    std::vector<Registration> registrations;
};

struct ImportProblem {
    std::string where;    // JSON path of the item, e.g. "$.students[17]"
    std::string message;  // what is wrong with it
};

struct ImportReport {
    int sessions = 0;
    int students = 0;
    int registrations = 0;
    std::vector<ImportProblem> problems;
    std::string fileError;  // set when nothing could be read at all
    bool storageFailed = false;  // the file was good; its rows could not be written (fileError says why)
    bool ok() const { return fileError.empty(); }
};

// A grade from its words: "11", "Eleventh grade" or a GradeLevelDescriptor
// URI give "11"; other levels ("Ungraded") their words; nullopt past 40 bytes.
std::optional<std::string> gradeFromWords(std::string_view words);

// Parses and validates; never touches the database. Pure, so it is fuzzed.
ImportReport parseRoster(std::string_view jsonText, RosterData& out);
// The same on a parsed document; with `db`, references may also point at
// what is already stored (the sync pull hands over one resource at a time).
ImportReport parseRosterDocument(const nlohmann::json& root, RosterData& out, Database* db);

// Writes validated data in one transaction (upserts; never deletes).
Status writeRoster(Database& db, const RosterData& data);
// The same rows inside the caller's transaction.
Status writeRosterRows(Database& db, const RosterData& data);

// Reads, validates against the file and the store, writes. `report.fileError`
// holds a database failure too, in which case nothing was written.
ImportReport importRosterFile(Store& store, const std::filesystem::path& file);
ImportReport importRosterText(Store& store, std::string_view jsonText);

inline constexpr std::size_t kMaxRosterFileBytes = 256u * 1024u * 1024u;

} // namespace kiosk::store
