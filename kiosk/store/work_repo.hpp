#pragma once
// Work-readiness entries: their append-only events, the entry projection,
// the task catalogue, and what approved entries mean in Ed-Fi
// (studentProgramEvaluations, reference/edfi.md).
#include "kiosk/domain/work_entry.hpp"
#include "kiosk/domain/work_merge.hpp"
#include "kiosk/store/store.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kiosk::store {

inline constexpr std::string_view kStudentProgramEvaluations = "studentProgramEvaluations";

struct CatalogueDocument {
    domain::TaskCatalogue catalogue;
    nlohmann::json programEvaluation;  // the programEvaluationReference key fields
};

struct CatalogueLoad {
    std::optional<CatalogueDocument> document;
    std::string error;
};
// Parses a catalogue file; rejects anything malformed with a clear error.
CatalogueLoad parseCatalogue(std::string_view jsonText);
Status saveCatalogue(Database& db, std::string_view jsonText);
Result<std::optional<std::string>> savedCatalogue(Database& db);

struct WorkEventRecord {
    std::string eventId;
    std::int64_t seq = 0;
    std::string entryId;
    std::string studentId;
    std::string kind;  // draft_saved, submitted, approved, sent_back, rejected, discarded
    std::string actor;
    domain::Timestamp at{};
    std::string payloadJson;
    std::string kioskId;  // read back: the machine that recorded it
    std::string hlc;
};
Status appendWorkEvent(Database& db, const std::string& kioskId, const WorkEventRecord& e);
Status writeWorkEntry(Database& db, const domain::WorkEntry& entry, std::int64_t lastSeq);
// Every event of one entry, whatever machine recorded it, in the site-wide order.
Result<std::vector<WorkEventRecord>> workEventsFor(Database& db, std::string_view entryId);
Result<std::optional<domain::WorkEntry>> findWorkEntry(Database& db, std::string_view entryId);
Result<std::vector<domain::WorkEntry>> workEntriesForStudent(Database& db, std::string_view studentId);
Result<std::vector<domain::WorkEntry>> workEntriesWithStatus(Database& db, domain::EntryStatus status);

// One StudentProgramEvaluation per student and day: Ed-Fi's natural key is
// (evaluationDate, programEvaluation, student), so a day's approved tasks are
// its elements, each rated in minutes.
std::string programEvaluationKey(const CatalogueDocument& doc, std::string_view studentId, std::string_view date);
// `day`: every approved entry of that student and day, from every machine (domain::dayEvaluation).
nlohmann::json studentProgramEvaluationJson(const CatalogueDocument& doc, const domain::DayEvaluation& day);
// Its natural key members (the upsert body's, as for a lookup by key).
nlohmann::json studentProgramEvaluationIdentity(const CatalogueDocument& doc, std::string_view studentId, std::string_view date);

} // namespace kiosk::store
