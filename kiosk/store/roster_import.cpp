#include "kiosk/store/roster_import.hpp"

#include "kiosk/store/roster_facts.hpp"

#include "kiosk/domain/text_fold.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/core/files.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace kiosk::store {

using nlohmann::json;

namespace {

// Field limits from the Ed-Fi data standard (and sane caps where it has none).
constexpr std::size_t kMaxIdentifier = 60;
constexpr std::size_t kMaxUniqueId = 32;
constexpr std::size_t kMaxName = 75;
constexpr std::size_t kMaxNamespace = 255;
constexpr std::size_t kMaxTitle = 255;
constexpr std::size_t kMaxAccommodations = 50;

// Reads one field, recording why it is unusable. Empty optional on failure.
class ItemReader {
public:
    ItemReader(const json& item, std::string where) : m_item(item), m_where(std::move(where)) {}

    const json* object(const char* key, bool required = true) {
        auto it = m_item.find(key);
        if (it == m_item.end() || it->is_null()) {
            if (required) problem(std::string("missing \"") + key + "\"");
            return nullptr;
        }
        if (!it->is_object()) {
            problem(std::string("\"") + key + "\" must be an object");
            return nullptr;
        }
        return &*it;
    }

    std::optional<std::string> text(const json& obj, const char* key, std::size_t maxLen, bool required = true) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) {
            if (required) problem(std::string("missing \"") + key + "\"");
            return std::nullopt;
        }
        if (!it->is_string()) {
            problem(std::string("\"") + key + "\" must be text");
            return std::nullopt;
        }
        std::string v = it->get<std::string>();
        if (required && v.empty()) {
            problem(std::string("\"") + key + "\" is empty");
            return std::nullopt;
        }
        if (v.size() > maxLen) {
            problem(std::string("\"") + key + "\" is longer than " + std::to_string(maxLen) + " bytes");
            return std::nullopt;
        }
        if (!domain::isValidUtf8(v)) {
            problem(std::string("\"") + key + "\" is not valid UTF-8");
            return std::nullopt;
        }
        if (domain::hasControlCharacter(v)) {
            problem(std::string("\"") + key + "\" contains control characters");
            return std::nullopt;
        }
        return v;
    }
    std::optional<std::string> text(const char* key, std::size_t maxLen, bool required = true) {
        return text(m_item, key, maxLen, required);
    }

    std::optional<std::int64_t> integer(const json& obj, const char* key, std::int64_t lo, std::int64_t hi, bool required = true) {
        auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) {
            if (required) problem(std::string("missing \"") + key + "\"");
            return std::nullopt;
        }
        if (!it->is_number_integer()) {
            problem(std::string("\"") + key + "\" must be a whole number");
            return std::nullopt;
        }
        auto v = it->get<std::int64_t>();
        if (v < lo || v > hi) {
            problem(std::string("\"") + key + "\" is out of range");
            return std::nullopt;
        }
        return v;
    }

    void problem(std::string message) {
        if (m_message.empty()) m_message = std::move(message);
    }
    bool failed() const { return !m_message.empty(); }
    ImportProblem report() const { return {m_where, m_message}; }

private:
    const json& m_item;
    std::string m_where;
    std::string m_message;
};

const json* arrayOf(const json& root, const char* key, ImportReport& report) {
    auto it = root.find(key);
    if (it == root.end()) return nullptr;
    if (!it->is_array()) {
        report.problems.push_back({std::string("$.") + key, "must be a list; ignored"});
        return nullptr;
    }
    return &*it;
}

bool isDate(const std::string& s) { return s.size() == 10 && domain::parseIso8601(s).has_value(); }

void parseAdministrations(const json& root, RosterData& out, ImportReport& report, std::set<std::string>& ids) {
    const json* list = arrayOf(root, "assessmentAdministrations", report);
    if (!list) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& item = (*list)[i];
        std::string where = "$.assessmentAdministrations[" + std::to_string(i) + "]";
        if (!item.is_object()) {
            report.problems.push_back({where, "must be an object"});
            continue;
        }
        ItemReader r(item, where);
        SessionInfo s;
        auto id = r.text("administrationIdentifier", kMaxIdentifier);
        const json* assessment = r.object("assessmentReference");
        const json* assigning = r.object("assigningEducationOrganizationReference");
        std::optional<std::string> assessmentId, ns;
        std::optional<std::int64_t> edOrg;
        if (assessment) {
            assessmentId = r.text(*assessment, "assessmentIdentifier", kMaxIdentifier);
            ns = r.text(*assessment, "namespace", kMaxNamespace);
        }
        if (assigning) edOrg = r.integer(*assigning, "educationOrganizationId", 1, INT64_MAX / 2);

        // Kiosk details travel in the Ed-Fi extension slot; defaults otherwise.
        std::optional<domain::Timestamp> start;
        if (auto periods = item.find("periods"); periods != item.end() && periods->is_array() && !periods->empty() &&
                                                 (*periods)[0].is_object()) {
            if (auto b = r.text((*periods)[0], "beginDate", 40, false)) {
                start = domain::parseIso8601(*b);
                if (!start) r.problem("periods[0].beginDate is not a date");
                else if (b->size() == 10)  // a date only: the school day's usual start, 08:00 here on that date
                    *start = localTimeOn(*start, std::chrono::hours{8});
            }
        }
        const json* ext = nullptr;
        if (auto e = item.find("_ext"); e != item.end() && e->is_object())
            if (auto t = e->find("testsite"); t != e->end() && t->is_object()) ext = &*t;
        if (ext) {
            s.title = r.text(*ext, "title", kMaxTitle, false).value_or("");
            s.room = r.text(*ext, "room", kMaxTitle, false).value_or("");
            if (auto st = r.text(*ext, "startTime", 40, false)) {
                start = domain::parseIso8601(*st);
                if (!start) r.problem("_ext.testsite.startTime is not an ISO-8601 time");
            }
            s.lateAfterMinutes = static_cast<int>(r.integer(*ext, "lateAfterMinutes", 0, 24 * 60, false).value_or(15));
            s.noShowAfterMinutes = static_cast<int>(r.integer(*ext, "noShowAfterMinutes", 0, 24 * 60, false).value_or(30));
            if (auto school = r.integer(*ext, "schoolId", 1, INT64_MAX / 2, false)) s.schoolId = *school;
        }
        if (!start) r.problem("no start time: give periods[0].beginDate or _ext.testsite.startTime");
        if (r.failed()) {
            report.problems.push_back(r.report());
            continue;
        }
        if (!ids.insert(*id).second) {
            report.problems.push_back({where, "duplicate administrationIdentifier \"" + *id + "\"; the first one was kept"});
            continue;
        }
        s.sessionId = *id;
        s.assessmentIdentifier = *assessmentId;
        s.assessmentNamespace = *ns;
        s.assigningEdOrgId = *edOrg;
        s.scheduledStart = *start;
        if (s.title.empty()) s.title = *assessmentId;
        out.sessions.push_back(std::move(s));
    }
}

} // namespace

std::optional<std::string> gradeFromWords(std::string_view words) {
    std::string v(words);
    if (auto hash = v.rfind('#'); hash != std::string::npos) v = v.substr(hash + 1);
    static const char* const kOrdinals[] = {"First", "Second", "Third", "Fourth", "Fifth", "Sixth",
                                            "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth"};
    for (int i = 0; i < 12; ++i)
        if (v == std::string(kOrdinals[i]) + " grade") return std::to_string(i + 1);
    if (v.size() > 40) return std::nullopt;
    return v;
}

namespace {

// A grade as people say it at the door: "11" for 11, "11", "Eleventh grade"
// or its Ed-Fi descriptor URI; other levels ("Ungraded", "Postsecondary")
// as their words. Empty when the roster gives none.
std::optional<std::string> gradeOf(const json& item, ItemReader& r) {
    auto it = item.find("gradeLevel");
    if (it == item.end() || it->is_null()) return std::string();
    if (it->is_number_integer()) {
        auto n = it->get<long long>();
        if (n < 1 || n > 12) {
            r.problem("\"gradeLevel\" is not a grade from 1 to 12");
            return std::nullopt;
        }
        return std::to_string(n);
    }
    auto text = r.text("gradeLevel", 200, false);
    if (!text) return std::nullopt;
    auto grade = gradeFromWords(*text);
    if (!grade) r.problem("\"gradeLevel\" is longer than 40 bytes");
    return grade;
}

void parseStudents(const json& root, RosterData& out, ImportReport& report, std::set<std::string>& ids) {
    const json* list = arrayOf(root, "students", report);
    if (!list) return;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& item = (*list)[i];
        std::string where = "$.students[" + std::to_string(i) + "]";
        if (!item.is_object()) {
            report.problems.push_back({where, "must be an object"});
            continue;
        }
        ItemReader r(item, where);
        auto id = r.text("studentUniqueId", kMaxUniqueId);
        auto first = r.text("firstName", kMaxName);
        auto middle = r.text("middleName", kMaxName, false);
        auto last = r.text("lastSurname", kMaxName);
        auto birth = r.text("birthDate", 10, false);
        if (birth && !isDate(*birth)) r.problem("\"birthDate\" is not a date (YYYY-MM-DD)");
        auto grade = gradeOf(item, r);
        if (r.failed()) {
            report.problems.push_back(r.report());
            continue;
        }
        if (!ids.insert(*id).second) {
            // The position names the row; the ID itself stays out of reports and logs.
            report.problems.push_back({where, "duplicate studentUniqueId (an earlier row has the same one); the first one was kept"});
            continue;
        }
        out.students.push_back(Student{*id, *first, middle.value_or(""), *last, birth.value_or(""), grade.value_or("")});
    }
}

void parseRegistrations(const json& root, RosterData& out, ImportReport& report, const std::set<std::string>& sessionIds,
                        const std::set<std::string>& studentIds, Database* db) {
    const json* list = arrayOf(root, "studentAssessmentRegistrations", report);
    if (!list) return;
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& item = (*list)[i];
        std::string where = "$.studentAssessmentRegistrations[" + std::to_string(i) + "]";
        if (!item.is_object()) {
            report.problems.push_back({where, "must be an object"});
            continue;
        }
        ItemReader r(item, where);
        std::optional<std::string> adminId, studentId;
        if (const json* admin = r.object("assessmentAdministrationReference"))
            adminId = r.text(*admin, "administrationIdentifier", kMaxIdentifier);
        // The student is named by either association reference.
        for (const char* key : {"studentSchoolAssociationReference", "studentEducationOrganizationAssociationReference"}) {
            if (studentId) break;
            if (const json* ref = r.object(key, false)) studentId = r.text(*ref, "studentUniqueId", kMaxUniqueId);
        }
        if (!studentId && !r.failed()) r.problem("no studentUniqueId in studentSchoolAssociationReference");
        std::vector<std::string> accommodations;
        if (auto acc = item.find("assessmentAccommodations"); acc != item.end() && !acc->is_null()) {
            if (!acc->is_array()) r.problem("\"assessmentAccommodations\" must be a list");
            else if (acc->size() > kMaxAccommodations) r.problem("too many assessmentAccommodations");
            else
                for (const json& a : *acc) {
                    if (!a.is_object()) {
                        r.problem("each assessmentAccommodation must be an object");
                        break;
                    }
                    if (auto d = r.text(a, "accommodationDescriptor", kMaxNamespace)) accommodations.push_back(*d);
                }
        }
        if (r.failed()) {
            report.problems.push_back(r.report());
            continue;
        }
        auto known = [&](const std::set<std::string>& inFile, bool session, const std::string& id) {
            if (inFile.count(id)) return true;
            if (!db) return false;
            if (session) {
                auto s = findSession(*db, id);
                return s && s->has_value();
            }
            auto s = findStudent(*db, id);
            return s && s->has_value();
        };
        if (!known(sessionIds, true, *adminId)) {
            report.problems.push_back({where, "refers to administration \"" + *adminId + "\", which is not in the file or the kiosk"});
            continue;
        }
        if (!known(studentIds, false, *studentId)) {
            report.problems.push_back({where, "refers to a student who is not in the file or the kiosk"});
            continue;
        }
        if (!seen.insert({*adminId, *studentId}).second) {
            report.problems.push_back({where, "duplicate registration; the first one was kept"});
            continue;
        }
        out.registrations.push_back(Registration{*adminId, *studentId, std::move(accommodations), false});
    }
}

ImportReport parseWith(std::string_view jsonText, RosterData& out, Database* db) {
    ImportReport report;
    if (jsonText.size() > kMaxRosterFileBytes) {
        report.fileError = "the roster file is larger than 256 MB";
        return report;
    }
    json root;
    try {
        root = json::parse(jsonText);
    } catch (const json::parse_error& e) {
        report.fileError = "the roster is not valid JSON (at byte " + std::to_string(e.byte) + ")";
        return report;
    } catch (const json::exception&) {
        // e.g. a number too large for any type: out_of_range, not parse_error
        report.fileError = "the roster holds a value that cannot be read (a number out of range?)";
        return report;
    }
    if (!root.is_object()) {
        report.fileError = "the roster must be a JSON object with assessmentAdministrations, students and studentAssessmentRegistrations";
        return report;
    }
    report = parseRosterDocument(root, out, db);
    // A file whose keys are all someone else's ("Students", "roster") would
    // otherwise "import 0" and look done. An empty object is no mistake.
    if (!root.empty() && !root.contains("assessmentAdministrations") && !root.contains("students") &&
        !root.contains("studentAssessmentRegistrations"))
        report.problems.push_back({"$", "none of assessmentAdministrations, students or studentAssessmentRegistrations is in the file "
                                        "(the names are case-sensitive); nothing was imported"});
    return report;
}

} // namespace

ImportReport parseRosterDocument(const json& root, RosterData& out, Database* db) {
    ImportReport report;
    std::set<std::string> sessionIds, studentIds;
    parseAdministrations(root, out, report, sessionIds);
    parseStudents(root, out, report, studentIds);
    parseRegistrations(root, out, report, sessionIds, studentIds, db);
    report.sessions = static_cast<int>(out.sessions.size());
    report.students = static_cast<int>(out.students.size());
    report.registrations = static_cast<int>(out.registrations.size());
    return report;
}

ImportReport parseRoster(std::string_view jsonText, RosterData& out) { return parseWith(jsonText, out, nullptr); }

Status writeRoster(Database& db, const RosterData& data) {
    auto tx = edsync::sqlite::Transaction::begin(db);
    if (!tx) return edsync::fail(tx.error());
    if (auto s = writeRosterRows(db, data); !s) return s;
    return tx->commit();
}

Status writeRosterRows(Database& db, const RosterData& data) {
    if (auto st = deleteMeta(db, kDemoCredentialsMeta); !st) return st;
    for (const auto& s : data.sessions)
        if (auto st = upsertSession(db, s); !st) return st;
    domain::Timestamp now = systemNow();
    for (const auto& s : data.students) {
        // The birth date is a sign-in factor: it is kept only as a hash.
        Student stored = s;
        stored.birthDate.clear();
        if (auto st = upsertStudent(db, stored); !st) return st;
        if (!s.birthDate.empty())
            if (auto st = setCredential(db, CredentialKind::StudentBirthDate, s.studentUniqueId, s.birthDate, HashCost::Bulk, now); !st)
                return st;
    }
    for (const auto& r : data.registrations)
        if (auto st = upsertRegistration(db, r); !st) return st;
    return {};
}

ImportReport importRosterText(Store& store, std::string_view jsonText) {
    RosterData data;
    ImportReport report = parseWith(jsonText, data, &store.db());
    if (!report.ok()) return report;
    // The rows and their place on the site log commit together.
    auto written = [&]() -> Status {
        auto tx = edsync::sqlite::Transaction::begin(store.db());
        if (!tx) return edsync::fail(tx.error());
        if (auto s = writeRosterRows(store.db(), data); !s) return s;
        if (store.rosterShare())
            if (auto s = store.rosterShare()(store.db(), rosterChangeOf(data)); !s) return s;
        return tx->commit();
    }();
    if (!written) {
        report.fileError = "nothing was imported: " + written.error().describe();
        report.storageFailed = true;
        report.sessions = report.students = report.registrations = 0;
    }
    return report;
}

ImportReport importRosterFile(Store& store, const std::filesystem::path& file) {
    // Size and the opening '{' are checked before the body is read.
    auto text = edsync::files::readBounded(file, {.maxBytes = kMaxRosterFileBytes, .magic = {}, .jsonObject = true});
    if (!text) {
        ImportReport r;
        r.fileError = text.error();
        return r;
    }
    return importRosterText(store, text.value());
}

} // namespace kiosk::store
