#include "kiosk/store/record_subject.hpp"

#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/work_repo.hpp"

#include <nlohmann/json.hpp>

namespace kiosk::store {

std::string RecordSubject::describe(const DateFormat& formatDate) const {
    if (!known()) return {};
    std::string out = studentName.empty() ? studentUniqueId : studentName + " (" + studentUniqueId + ")";
    if (!date.empty()) out += " · " + (formatDate ? formatDate(date) : date);
    if (!sessionTitle.empty()) out += " · " + sessionTitle;
    else if (!sessionId.empty()) out += " · " + sessionId;
    return out;
}

void RecordSubjects::addName(RecordSubject& s) {
    auto stmt = m_db.prepare("SELECT last_surname || ', ' || first_name FROM student WHERE student_unique_id = ?1;");
    if (!stmt) return;
    stmt->bind(1, s.studentUniqueId);
    if (stmt->step().value_or(false)) s.studentName = stmt->getText(0);
}

void RecordSubjects::loadEvaluationKeys() {
    m_evaluationsLoaded = true;
    auto text = savedCatalogue(m_db);
    if (!text || !*text) return;
    auto loaded = parseCatalogue(**text);
    if (!loaded.document) return;
    auto stmt = m_db.prepare("SELECT DISTINCT student_id, work_date FROM work_entry WHERE status = 'approved';");
    if (!stmt) return;
    while (stmt->step().value_or(false)) {
        std::string student = stmt->getText(0), date = stmt->getText(1);
        m_evaluations[programEvaluationKey(*loaded.document, student, date)] = {student, date};
    }
}

RecordSubject RecordSubjects::of(std::string_view resource, std::string_view naturalKey, std::string_view body) {
    RecordSubject s;
    if (resource == kStudentAssessments) {
        auto stmt = m_db.prepare(
            "SELECT a.student_unique_id, a.session_id, x.title, substr(coalesce(a.checked_in_at, x.scheduled_start), 1, 10)"
            " FROM attendance a JOIN assessment_session x ON x.session_id = a.session_id WHERE a.edfi_key = ?1;");
        if (stmt) {
            stmt->bind(1, naturalKey);
            if (stmt->step().value_or(false)) {
                s.studentUniqueId = stmt->getText(0);
                s.sessionId = stmt->getText(1);
                s.sessionTitle = stmt->getText(2);
                s.date = stmt->getText(3);
            }
        }
    } else if (resource == kStudentProgramEvaluations) {
        if (!m_evaluationsLoaded) loadEvaluationKeys();
        if (auto it = m_evaluations.find(naturalKey); it != m_evaluations.end()) {
            s.studentUniqueId = it->second.first;
            s.date = it->second.second;
        }
    }
    if (!s.known() && !body.empty()) {
        // Another kiosk's record (a USB import): its own JSON names the student and date.
        auto doc = nlohmann::json::parse(body, nullptr, false);
        if (doc.is_object()) {
            auto text = [](const nlohmann::json& o, const char* key) {
                auto it = o.find(key);
                return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
            };
            if (auto ref = doc.find("studentReference"); ref != doc.end() && ref->is_object()) s.studentUniqueId = text(*ref, "studentUniqueId");
            std::string date = text(doc, "administrationDate");
            if (date.empty()) date = text(doc, "evaluationDate");
            s.date = date.substr(0, 10);
        }
    }
    if (s.known()) addName(s);
    return s;
}

} // namespace kiosk::store
