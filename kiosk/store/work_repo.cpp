#include "kiosk/store/work_repo.hpp"

#include "kiosk/domain/text_fold.hpp"
#include "kiosk/store/ids.hpp"

#include <map>
#include <set>

namespace kiosk::store {

using edsync::fail;
using nlohmann::json;

namespace {

constexpr std::array<const char*, 6> kProgramKeyFields{
    "programEducationOrganizationId", "programEvaluationPeriodDescriptor", "programEvaluationTitle",
    "programEvaluationTypeDescriptor", "programName", "programTypeDescriptor",
};

// Ed-Fi's limits on the programEvaluationReference's text: a name, a title
// and descriptor URIs (a 255-byte namespace, '#', a 50-byte code value).
std::size_t programTextMax(const std::string& key) {
    if (key == "programName") return 60;
    if (key == "programEvaluationTitle") return 50;
    return 306;
}

// Text a catalogue file gives: shown on screens and papers, sent to the state.
bool cleanText(const std::string& text, std::size_t max) {
    return !text.empty() && text.size() <= max && domain::isValidUtf8(text) && !domain::hasControlCharacter(text);
}

bool shortText(const json& j, const char* key, std::size_t max, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return cleanText(out, max);
}

// Optional "titles": {"es": "…"}: the same title in other languages.
bool otherTitles(const json& obj, domain::OtherTitles& out) {
    auto it = obj.find("titles");
    if (it == obj.end()) return true;
    if (!it->is_object() || it->size() > 20) return false;
    for (const auto& [language, text] : it->items()) {
        if (!cleanText(language, 16) || !text.is_string()) return false;
        std::string value = text.get<std::string>();
        if (!cleanText(value, 200)) return false;
        out.emplace(language, std::move(value));
    }
    return true;
}

} // namespace

CatalogueLoad parseCatalogue(std::string_view text) {
    CatalogueLoad r;
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        r.error = "the task catalogue is not a JSON object";
        return r;
    }
    CatalogueDocument d;
    auto& c = d.catalogue;
    if (!shortText(doc, "title", 200, c.title) || !otherTitles(doc, c.titles)) {
        r.error = "the catalogue needs a \"title\" (and \"titles\", if given, maps languages to text)";
        return r;
    }
    auto intField = [&](const char* key, int lo, int hi, int& out) {
        auto it = doc.find(key);
        if (it == doc.end()) return true;
        if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) return false;
        out = it->get<int>();
        return true;
    };
    if (!intField("roundingMinutes", 1, 60, c.roundingMinutes) || !intField("maxMinutesPerEntry", 1, 1440, c.maxMinutesPerEntry) ||
        !intField("maxDaysBack", 0, 3660, c.maxDaysBack)) {
        r.error = "roundingMinutes (1-60), maxMinutesPerEntry (1-1440) and maxDaysBack (0-3660) must be whole numbers in range";
        return r;
    }
    if (auto it = doc.find("rounding"); it != doc.end()) {
        std::string v = it->is_string() ? it->get<std::string>() : "";
        if (v == "down") c.rounding = domain::Rounding::Down;
        else if (v == "nearest") c.rounding = domain::Rounding::Nearest;
        else if (v == "up") c.rounding = domain::Rounding::Up;
        else {
            r.error = "\"rounding\" must be down, nearest or up";
            return r;
        }
    }
    auto pe = doc.find("programEvaluation");
    if (pe == doc.end() || !pe->is_object()) {
        r.error = "the catalogue needs \"programEvaluation\" with the Ed-Fi programEvaluationReference fields";
        return r;
    }
    for (const char* key : kProgramKeyFields) {
        auto it = pe->find(key);
        const std::string name = key;
        bool ok = it != pe->end() && (name == "programEducationOrganizationId" ? it->is_number_integer() : it->is_string());
        if (!ok) {
            r.error = "programEvaluation." + name + " is missing or of the wrong type";
            return r;
        }
        // Every work-readiness record the state gets names this: a value the
        // state cannot take is refused here, not at each upload for weeks.
        if (name == "programEducationOrganizationId") {
            if (it->get<std::int64_t>() < 1) {
                r.error = "programEvaluation.programEducationOrganizationId must be a positive whole number";
                return r;
            }
        } else if (std::size_t max = programTextMax(name); !cleanText(it->get<std::string>(), max)) {
            r.error = "programEvaluation." + name + " must be 1 to " + std::to_string(max) + " bytes of text without control characters";
            return r;
        }
        d.programEvaluation[key] = *it;
    }
    auto areas = doc.find("areas");
    if (areas == doc.end() || !areas->is_array() || areas->empty() || areas->size() > 50) {
        r.error = "the catalogue needs 1 to 50 \"areas\"";
        return r;
    }
    std::set<std::string> taskIds, areaIds;
    for (std::size_t i = 0; i < areas->size(); ++i) {
        const json& a = (*areas)[i];
        std::string where = "areas[" + std::to_string(i) + "]";
        domain::CatalogueArea area;
        if (!a.is_object() || !shortText(a, "id", 60, area.id) || !shortText(a, "title", 200, area.title) || !otherTitles(a, area.titles)) {
            r.error = where + " needs an \"id\" and a \"title\" (and \"titles\", if given, maps languages to text)";
            return r;
        }
        if (!areaIds.insert(area.id).second) {
            r.error = where + ": duplicate area id \"" + area.id + "\"";
            return r;
        }
        auto hours = a.find("requiredHours");
        auto tasksNeeded = a.find("requiredTasks");
        if (hours == a.end() || !hours->is_number() || hours->get<double>() < 0 || hours->get<double>() > 10000 || tasksNeeded == a.end() ||
            !tasksNeeded->is_number_integer() || tasksNeeded->get<int>() < 0 || tasksNeeded->get<int>() > 1000) {
            r.error = where + " needs requiredHours (0-10000) and requiredTasks (0-1000)";
            return r;
        }
        area.requiredMinutes = static_cast<int>(hours->get<double>() * 60.0 + 0.5);
        area.requiredTasks = tasksNeeded->get<int>();
        auto tasks = a.find("tasks");
        if (tasks == a.end() || !tasks->is_array() || tasks->empty() || tasks->size() > 500) {
            r.error = where + " needs 1 to 500 \"tasks\"";
            return r;
        }
        for (std::size_t k = 0; k < tasks->size(); ++k) {
            domain::CatalogueTask t;
            t.areaId = area.id;
            if (!(*tasks)[k].is_object() || !shortText((*tasks)[k], "id", 60, t.id) || !shortText((*tasks)[k], "title", 200, t.title) ||
                !otherTitles((*tasks)[k], t.titles)) {
                r.error = where + ".tasks[" + std::to_string(k) + "] needs an \"id\" and a \"title\" (and \"titles\", if given, maps languages to text)";
                return r;
            }
            if (!taskIds.insert(t.id).second) {
                r.error = where + ".tasks[" + std::to_string(k) + "]: duplicate task id \"" + t.id + "\"";
                return r;
            }
            c.tasks.push_back(std::move(t));
        }
        c.areas.push_back(std::move(area));
    }
    r.document = std::move(d);
    return r;
}

Status saveCatalogue(Database& db, std::string_view jsonText) { return setMeta(db, "task_catalogue", jsonText); }
Result<std::optional<std::string>> savedCatalogue(Database& db) { return getMeta(db, "task_catalogue"); }

Status appendWorkEvent(Database& db, const std::string& kioskId, const WorkEventRecord& e) {
    auto stmt = db.prepare(
        "INSERT INTO work_event (seq, event_id, kiosk_id, entry_id, student_id, kind, actor, recorded_at, payload, hlc)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, e.seq).bind(2, e.eventId).bind(3, kioskId).bind(4, e.entryId).bind(5, e.studentId).bind(6, e.kind);
    stmt->bind(7, e.actor).bind(8, domain::formatUtc(e.at)).bind(9, e.payloadJson.empty() ? "{}" : e.payloadJson).bind(10, e.hlc);
    return stmt->run();
}

Status writeWorkEntry(Database& db, const domain::WorkEntry& w, std::int64_t lastSeq) {
    auto stmt = db.prepare(
        "INSERT INTO work_entry (entry_id, student_id, task_id, work_date, minutes, place, reflection, status, reviewer,"
        " reviewer_comment, reviewed_at, last_seq, reviewer_staff_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        " ON CONFLICT (entry_id) DO UPDATE SET task_id = excluded.task_id, work_date = excluded.work_date,"
        " minutes = excluded.minutes, place = excluded.place, reflection = excluded.reflection, status = excluded.status,"
        " reviewer = excluded.reviewer, reviewer_comment = excluded.reviewer_comment, reviewed_at = excluded.reviewed_at,"
        " last_seq = excluded.last_seq, reviewer_staff_id = excluded.reviewer_staff_id;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, w.entryId).bind(2, w.studentId).bind(3, w.taskId).bind(4, w.date).bind(5, w.minutes).bind(6, w.place);
    stmt->bind(7, w.reflection).bind(8, domain::entryStatusCode(w.status)).bind(9, w.reviewer).bind(10, w.reviewerComment);
    if (w.reviewedAt) stmt->bind(11, domain::formatUtc(*w.reviewedAt));
    else stmt->bind(11, nullptr);
    stmt->bind(12, lastSeq).bind(13, w.reviewerStaffId);
    return stmt->run();
}

namespace {

constexpr std::string_view kEntryColumns =
    "entry_id, student_id, task_id, work_date, minutes, place, reflection, status, reviewer, reviewer_comment, reviewed_at,"
    " reviewer_staff_id";

domain::WorkEntry readEntry(const edsync::sqlite::Statement& s) {
    domain::WorkEntry w;
    w.entryId = s.getText(0);
    w.studentId = s.getText(1);
    w.taskId = s.getText(2);
    w.date = s.getText(3);
    w.minutes = static_cast<int>(s.getInt(4));
    w.place = s.getText(5);
    w.reflection = s.getText(6);
    w.status = domain::entryStatusFromCode(s.getText(7)).value_or(domain::EntryStatus::Draft);
    w.reviewer = s.getText(8);
    w.reviewerComment = s.getText(9);
    if (auto t = s.getOptionalText(10)) w.reviewedAt = domain::parseIso8601(*t);
    w.reviewerStaffId = s.getText(11);
    return w;
}

Result<std::vector<domain::WorkEntry>> readAll(edsync::sqlite::Statement& s) {
    std::vector<domain::WorkEntry> out;
    for (;;) {
        auto row = s.step();
        if (!row) return fail(row.error());
        if (!*row) break;
        out.push_back(readEntry(s));
    }
    return out;
}

} // namespace

Result<std::vector<WorkEventRecord>> workEventsFor(Database& db, std::string_view entryId) {
    auto stmt = db.prepare(
        "SELECT event_id, seq, entry_id, student_id, kind, actor, recorded_at, payload, kiosk_id, hlc FROM work_event"
        " WHERE entry_id = ?1 ORDER BY hlc, kiosk_id, seq;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, entryId);
    std::vector<WorkEventRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        WorkEventRecord e{stmt->getText(0), stmt->getInt(1), stmt->getText(2), stmt->getText(3), stmt->getText(4), stmt->getText(5),
                          domain::parseIso8601(stmt->getText(6)).value_or(domain::Timestamp{}), stmt->getText(7), stmt->getText(8),
                          stmt->getText(9)};
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::optional<domain::WorkEntry>> findWorkEntry(Database& db, std::string_view entryId) {
    auto stmt = db.prepare("SELECT " + std::string(kEntryColumns) + " FROM work_entry WHERE entry_id = ?1;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, entryId);
    auto row = stmt->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<domain::WorkEntry>{};
    return std::optional<domain::WorkEntry>{readEntry(*stmt)};
}

Result<std::vector<domain::WorkEntry>> workEntriesForStudent(Database& db, std::string_view studentId) {
    auto stmt = db.prepare("SELECT " + std::string(kEntryColumns) + " FROM work_entry WHERE student_id = ?1 ORDER BY work_date DESC, last_seq DESC;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, studentId);
    return readAll(*stmt);
}

Result<std::vector<domain::WorkEntry>> workEntriesWithStatus(Database& db, domain::EntryStatus status) {
    auto stmt = db.prepare("SELECT " + std::string(kEntryColumns) + " FROM work_entry WHERE status = ?1 ORDER BY last_seq;");
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, domain::entryStatusCode(status));
    return readAll(*stmt);
}

std::string programEvaluationKey(const CatalogueDocument& doc, std::string_view studentId, std::string_view date) {
    return deterministicKey("spe-", {doc.programEvaluation.dump(), studentId, date});
}

json studentProgramEvaluationIdentity(const CatalogueDocument& doc, std::string_view studentId, std::string_view date) {
    json j;
    j["evaluationDate"] = std::string(date);
    j["programEvaluationReference"] = doc.programEvaluation;
    j["studentReference"] = {{"studentUniqueId", std::string(studentId)}};
    return j;
}

json studentProgramEvaluationJson(const CatalogueDocument& doc, const domain::DayEvaluation& day) {
    json j;
    j["evaluationDate"] = day.date;
    j["programEvaluationReference"] = doc.programEvaluation;
    j["studentReference"] = {{"studentUniqueId", day.studentId}};
    const std::map<std::string, int>& minutesByTask = day.minutesByTask;
    if (!day.evaluator.empty()) j["staffEvaluatorStaffReference"] = {{"staffUniqueId", day.evaluator}};
    json elements = json::array();
    for (const auto& [taskId, minutes] : minutesByTask) {
        const auto* task = doc.catalogue.task(taskId);
        json ref = doc.programEvaluation;
        ref["programEvaluationElementTitle"] = task ? task->title : taskId;
        elements.push_back({{"programEvaluationElementReference", ref}, {"evaluationElementNumericRating", minutes}});
    }
    j["studentEvaluationElements"] = elements;
    j["summaryEvaluationComment"] = std::to_string(day.approved.size()) + " verified work-readiness task(s), minutes per task";
    return j;
}

} // namespace kiosk::store
