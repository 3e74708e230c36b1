// Roster import: good, partly bad and hostile files; nothing stored is ever
// lost by an import; the demo roster generator.
#include "kiosk/domain/text_fold.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "support/fixed_zone.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;

namespace {

const std::string kNs = "uri://testsite.example.org/assessment";
const std::string kAcc = "uri://ed-fi.org/AccommodationDescriptor#";

json administration(const std::string& id, const std::string& start = "2026-11-23T13:00:00Z") {
    return {
        {"administrationIdentifier", id},
        {"assessmentReference", {{"assessmentIdentifier", "WK-APPLIED-MATH"}, {"namespace", kNs}}},
        {"assigningEducationOrganizationReference", {{"educationOrganizationId", 255901}}},
        {"_ext",
         {{"testsite",
           {{"title", "WorkKeys Applied Math"},
            {"room", "Room 114"},
            {"startTime", start},
            {"lateAfterMinutes", 10},
            {"noShowAfterMinutes", 20},
            {"schoolId", 255901001}}}}},
    };
}

json student(const std::string& id, const std::string& first, const std::string& last, const std::string& birth = "2009-04-12") {
    return {{"studentUniqueId", id}, {"firstName", first}, {"lastSurname", last}, {"birthDate", birth}};
}

json registration(const std::string& admin, const std::string& studentId, const std::vector<std::string>& accommodations = {}) {
    json acc = json::array();
    for (const auto& a : accommodations) acc.push_back({{"accommodationDescriptor", kAcc + a}});
    return {
        {"assessmentAdministrationReference",
         {{"administrationIdentifier", admin}, {"assessmentIdentifier", "WK-APPLIED-MATH"}, {"namespace", kNs}}},
        {"studentSchoolAssociationReference", {{"studentUniqueId", studentId}, {"schoolId", 255901001}}},
        {"assessmentAccommodations", acc},
    };
}

// File A: one session, three students, three registrations.
json fileA() {
    return {
        {"assessmentAdministrations", json::array({administration("ADM-1")})},
        {"students", json::array({student("S1", "Zoë", "Ñúñez"), student("S2", "Łukasz", "Dvořák"), student("S3", "Siobhán", "O'Brien")})},
        {"studentAssessmentRegistrations", json::array({registration("ADM-1", "S1", {"Scheduling"}), registration("ADM-1", "S2"),
                                                        registration("ADM-1", "S3", {"Settings", "Test material"})})},
    };
}

store::Store memoryStore() {
    auto s = store::Store::openInMemory();
    REQUIRE(s.ok());
    return std::move(s).value();
}

store::ImportReport importJson(store::Store& s, const json& j) { return store::importRosterText(s, j.dump()); }

// Every row of the reference tables, as text, to compare before and after.
std::vector<std::string> snapshot(store::Database& db) {
    std::vector<std::string> rows;
    for (const char* sql : {
             "SELECT session_id || '|' || assessment_identifier || '|' || namespace || '|' || assigning_ed_org_id || '|' ||"
             " coalesce(school_id, '') || '|' || title || '|' || room || '|' || scheduled_start || '|' || late_after_min || '|' ||"
             " no_show_after_min FROM assessment_session ORDER BY 1;",
             "SELECT student_unique_id || '|' || first_name || '|' || middle_name || '|' || last_surname || '|' || birth_date"
             " FROM student ORDER BY 1;",
             "SELECT session_id || '|' || student_unique_id || '|' || scheduled_accommodations || '|' || walk_in FROM registration"
             " ORDER BY 1;",
         }) {
        auto stmt = db.prepare(sql);
        REQUIRE(stmt.ok());
        for (;;) {
            auto row = stmt->step();
            REQUIRE(row.ok());
            if (!*row) break;
            rows.push_back(stmt->getText(0));
        }
    }
    return rows;
}

std::int64_t count(store::Store& s, const std::string& table) { return queryInt(s.db(), "SELECT count(*) FROM " + table + ";"); }

bool hasProblem(const store::ImportReport& r, const std::string& where, const std::string& words = {}) {
    return std::any_of(r.problems.begin(), r.problems.end(), [&](const store::ImportProblem& p) {
        return p.where == where && (words.empty() || p.message.find(words) != std::string::npos);
    });
}

std::string describeProblems(const store::ImportReport& r) {
    std::string out = r.fileError;
    for (const auto& p : r.problems) out += "\n" + p.where + ": " + p.message;
    return out;
}

bool containsAll(const std::vector<std::string>& big, const std::vector<std::string>& small) {
    return std::all_of(small.begin(), small.end(), [&](const std::string& x) { return std::find(big.begin(), big.end(), x) != big.end(); });
}

// The demo roster in the import file's shape, to check it against the rules.
json toImportJson(const store::RosterData& d) {
    json j;
    j["assessmentAdministrations"] = json::array();
    for (const auto& s : d.sessions) {
        j["assessmentAdministrations"].push_back({
            {"administrationIdentifier", s.sessionId},
            {"assessmentReference", {{"assessmentIdentifier", s.assessmentIdentifier}, {"namespace", s.assessmentNamespace}}},
            {"assigningEducationOrganizationReference", {{"educationOrganizationId", s.assigningEdOrgId}}},
            {"_ext", {{"testsite", {{"title", s.title}, {"room", s.room}, {"startTime", domain::formatUtc(s.scheduledStart)}}}}},
        });
    }
    j["students"] = json::array();
    for (const auto& s : d.students)
        j["students"].push_back({{"studentUniqueId", s.studentUniqueId}, {"firstName", s.firstName}, {"middleName", s.middleName},
                                 {"lastSurname", s.lastSurname}, {"birthDate", s.birthDate}});
    j["studentAssessmentRegistrations"] = json::array();
    for (const auto& r : d.registrations) {
        json acc = json::array();
        for (const auto& a : r.scheduledAccommodations) acc.push_back({{"accommodationDescriptor", a}});
        j["studentAssessmentRegistrations"].push_back({
            {"assessmentAdministrationReference", {{"administrationIdentifier", r.sessionId}}},
            {"studentSchoolAssociationReference", {{"studentUniqueId", r.studentUniqueId}}},
            {"assessmentAccommodations", acc},
        });
    }
    return j;
}

} // namespace

// --- good files -------------------------------------------------------------

TEST_CASE("a good roster file imports completely") {
    auto s = memoryStore();
    auto report = importJson(s, fileA());
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.problems.empty());
    CHECK(report.sessions == 1);
    CHECK(report.students == 3);
    CHECK(report.registrations == 3);
    CHECK(count(s, "assessment_session") == 1);
    CHECK(count(s, "student") == 3);
    CHECK(count(s, "registration") == 3);

    auto session = store::findSession(s.db(), "ADM-1");
    REQUIRE(session.ok());
    REQUIRE(session->has_value());
    const auto& info = **session;
    CHECK(info.assessmentIdentifier == "WK-APPLIED-MATH");
    CHECK(info.assessmentNamespace == kNs);
    CHECK(info.assigningEdOrgId == 255901);
    CHECK(info.schoolId == 255901001);
    CHECK(info.title == "WorkKeys Applied Math");
    CHECK(info.room == "Room 114");
    CHECK(info.scheduledStart == sessionStart());
    CHECK(info.lateAfterMinutes == 10);
    CHECK(info.noShowAfterMinutes == 20);
    CHECK_FALSE(info.openedAt.has_value());

    auto zoe = store::findStudent(s.db(), "S1");
    REQUIRE(zoe->has_value());
    CHECK((*zoe)->firstName == "Zoë");
    CHECK((*zoe)->lastSurname == "Ñúñez");
    // The birth date is a sign-in factor: kept only as an Argon2id hash.
    CHECK((*zoe)->birthDate.empty());
    auto check = store::checkCredential(s.db(), store::CredentialKind::StudentBirthDate, "S1", "2009-04-12", sessionStart());
    REQUIRE(check.ok());
    CHECK(check->outcome == store::CheckOutcome::Accepted);
    auto reg = store::findRegistration(s.db(), "ADM-1", "S3");
    REQUIRE(reg->has_value());
    CHECK((*reg)->scheduledAccommodations == std::vector<std::string>{kAcc + "Settings", kAcc + "Test material"});
    CHECK_FALSE((*reg)->walkIn);

    auto roster = store::rosterForSession(s.db(), "ADM-1");
    REQUIRE(roster.ok());
    REQUIRE(roster->size() == 3);
    CHECK(roster->front().student.lastSurname == "Dvořák");  // sorted by surname
}

TEST_CASE("a session may give its start in periods.beginDate - defaults apply without _ext") {
    auto s = memoryStore();
    json admin = administration("ADM-2");
    admin.erase("_ext");
    admin["periods"] = json::array({{{"beginDate", "2026-11-24"}}});
    auto report = importJson(s, {{"assessmentAdministrations", json::array({admin})}});
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.problems.empty());
    auto session = store::findSession(s.db(), "ADM-2");
    REQUIRE(session->has_value());
    // A date alone means the school day's usual start: 08:00 on this machine's clock, that day.
    CHECK((*session)->scheduledStart == *domain::parseIso8601("2026-11-24") + std::chrono::hours{8} -
                                            std::chrono::minutes{store::localUtcOffsetMinutes(*domain::parseIso8601("2026-11-24T12:00:00Z"))});
    CHECK((*session)->title == "WK-APPLIED-MATH");
    CHECK((*session)->lateAfterMinutes == 15);
    CHECK((*session)->noShowAfterMinutes == 30);
    CHECK_FALSE((*session)->schoolId.has_value());

    json noStart = administration("ADM-3");
    noStart.erase("_ext");
    auto bad = importJson(s, {{"assessmentAdministrations", json::array({noStart})}});
    CHECK(hasProblem(bad, "$.assessmentAdministrations[0]", "start time"));
}

TEST_CASE("a date-only session starts at 08:00 in the offset of its own date, across a DST change") {
    // America/Chicago: CST (-6 h) until 2026-03-08 08:00 UTC, then CDT (-5 h).
    // The import runs at one instant; each date gets its own offset.
    FixedZone zone("America/Chicago");
    auto s = memoryStore();
    json list = json::array();
    for (const auto& [id, date] : {std::pair{"ADM-WINTER", "2026-01-12"}, {"ADM-CHANGE", "2026-03-08"}, {"ADM-AFTER", "2026-03-09"},
                                   {"ADM-SUMMER", "2026-07-13"}}) {
        json admin = administration(id);
        admin.erase("_ext");
        admin["periods"] = json::array({{{"beginDate", date}}});
        list.push_back(admin);
    }
    auto report = importJson(s, {{"assessmentAdministrations", list}});
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    auto start = [&](const char* id) { return domain::formatUtc(store::findSession(s.db(), id)->value().scheduledStart); };
    CHECK(start("ADM-WINTER") == "2026-01-12T14:00:00.000+00:00");  // 08:00 CST
    CHECK(start("ADM-CHANGE") == "2026-03-08T13:00:00.000+00:00");  // 08:00 CDT, the morning of the change
    CHECK(start("ADM-AFTER") == "2026-03-09T13:00:00.000+00:00");
    CHECK(start("ADM-SUMMER") == "2026-07-13T13:00:00.000+00:00");
}

TEST_CASE("a roster file is read from disk - a missing file is reported") {
    auto s = memoryStore();
    TempDir dir;
    {
        std::ofstream out(dir / "roster.json", std::ios::binary);
        out << fileA().dump(2);
    }
    auto report = store::importRosterFile(s, dir / "roster.json");
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.students == 3);
    auto missing = store::importRosterFile(s, dir / "nope.json");
    CHECK_FALSE(missing.ok());
    CHECK(missing.fileError.find("cannot read") != std::string::npos);
    CHECK(count(s, "student") == 3);
}

TEST_CASE("a UTF-8 byte order mark at the start of the file is accepted") {
    auto s = memoryStore();
    auto report = store::importRosterText(s, "\xEF\xBB\xBF" + fileA().dump());
    INFO(describeProblems(report));
    CHECK(report.ok());
    CHECK(report.students == 3);
}

TEST_CASE("an empty object imports nothing and is not an error") {
    auto s = memoryStore();
    auto report = store::importRosterText(s, "{}");
    CHECK(report.ok());
    CHECK(report.problems.empty());
    CHECK(report.students == 0);
    auto unknown = store::importRosterText(s, R"({"somethingElse": [1, 2, 3], "students": []})");
    CHECK(unknown.ok());
    CHECK(unknown.problems.empty());
}

TEST_CASE("a file with none of the roster's lists is reported and not taken for an empty roster") {
    auto s = memoryStore();
    json j = fileA();
    json wrong = {{"Students", j["students"]}, {"registrations", j["studentAssessmentRegistrations"]}};
    auto report = store::importRosterText(s, wrong.dump());
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$", "none of assessmentAdministrations"));
    CHECK(report.students == 0);
    CHECK(count(s, "student") == 0);
}

// --- partly bad files -------------------------------------------------------

TEST_CASE("each bad row is reported with its position and skipped - the rest is imported") {
    auto s = memoryStore();
    json j = fileA();
    json missingFirst = student("S4", "x", "Kowalski");
    missingFirst.erase("firstName");
    j["students"] = json::array({
        student("S1", "Zoë", "Ñúñez"),                 // 0 good
        missingFirst,                                  // 1 missing firstName
        student("S2", "Łukasz", "Dvořák"),             // 2 good
        student("S5", "Ana", "García", "2009-02-30"),  // 3 impossible date
        42,                                            // 4 not an object
        student("S3", "Siobhán", "O'Brien"),           // 5 good
        student("S6", "", "Empty"),                    // 6 empty first name
    });
    j["studentAssessmentRegistrations"].push_back(registration("ADM-1", "S4"));       // [3] the skipped student
    j["studentAssessmentRegistrations"].push_back(registration("ADM-9", "S1"));       // [4] unknown administration
    j["studentAssessmentRegistrations"].push_back(registration("ADM-1", "NOBODY"));   // [5] unknown student
    j["studentAssessmentRegistrations"].push_back(registration("ADM-1", "S1"));       // [6] duplicate
    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.students == 3);
    CHECK(report.registrations == 3);
    CHECK(hasProblem(report, "$.students[1]", "missing \"firstName\""));
    CHECK(hasProblem(report, "$.students[3]", "birthDate"));
    CHECK(hasProblem(report, "$.students[4]", "must be an object"));
    CHECK(hasProblem(report, "$.students[6]", "empty"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[3]", "student"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[4]", "ADM-9"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[5]", "student"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[6]", "duplicate"));
    CHECK(report.problems.size() == 8);
    CHECK(count(s, "student") == 3);
    CHECK(count(s, "registration") == 3);
    CHECK_FALSE(store::findStudent(s.db(), "S4")->has_value());
    CHECK_FALSE(store::findStudent(s.db(), "S5")->has_value());
    for (const auto& p : report.problems) CHECK_FALSE(p.message.empty());
}

// --- hostile files ----------------------------------------------------------

TEST_CASE("10 MB strings are refused per field, not by the whole file") {
    auto s = memoryStore();
    const std::string huge(10 * 1024 * 1024, 'A');
    json j = fileA();
    j["students"].push_back(student("S7", huge, "Big"));
    j["students"].push_back(student(huge, "Big", "Id"));
    j["students"].push_back(student("S8", "Ok", "Ok", huge));
    json admin = administration(huge);
    j["assessmentAdministrations"].push_back(admin);
    json titled = administration("ADM-T");
    titled["_ext"]["testsite"]["title"] = huge;
    j["assessmentAdministrations"].push_back(titled);
    j["studentAssessmentRegistrations"].push_back(registration("ADM-1", "S1", {huge}));
    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$.students[3]", "longer than"));
    CHECK(hasProblem(report, "$.students[4]", "longer than"));
    CHECK(hasProblem(report, "$.students[5]", "longer than"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[1]", "longer than"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[2]", "longer than"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[3]", "longer than"));
    CHECK(report.students == 3);
    CHECK(report.sessions == 1);
    for (const auto& p : report.problems) CHECK(p.message.size() < 300);  // the message does not echo the string
    CHECK(queryInt(s.db(), "SELECT max(length(first_name)) FROM student;") < 100);
}

TEST_CASE("wrong types are reported, never crash") {
    auto s = memoryStore();
    json j = fileA();
    j["students"] = json::array({
        {{"studentUniqueId", 42}, {"firstName", "A"}, {"lastSurname", "B"}},                      // 0
        {{"studentUniqueId", "S10"}, {"firstName", json::array({"A"})}, {"lastSurname", "B"}},  // 1
        {{"studentUniqueId", "S11"}, {"firstName", true}, {"lastSurname", "B"}},                // 2
        {{"studentUniqueId", "S12"}, {"firstName", {{"a", 1}}}, {"lastSurname", "B"}},          // 3
        {{"studentUniqueId", "S13"}, {"firstName", "A"}, {"lastSurname", nullptr}},             // 4
        {{"studentUniqueId", "S14"}, {"firstName", "A"}, {"lastSurname", "B"}, {"birthDate", 20090412}},  // 5
        student("S1", "Zoë", "Ñúñez"),                                                          // 6
    });
    json badRef = administration("ADM-2");
    badRef["assessmentReference"] = "WK-APPLIED-MATH";
    json badOrg = administration("ADM-3");
    badOrg["assigningEducationOrganizationReference"]["educationOrganizationId"] = "255901";
    json floatOrg = administration("ADM-4");
    floatOrg["assigningEducationOrganizationReference"]["educationOrganizationId"] = 2559.01;
    json negative = administration("ADM-5");
    negative["_ext"]["testsite"]["lateAfterMinutes"] = -1;
    json tooLate = administration("ADM-6");
    tooLate["_ext"]["testsite"]["noShowAfterMinutes"] = 100000;
    json badStart = administration("ADM-7", "tomorrow morning");
    json badPeriods = administration("ADM-8");
    badPeriods["_ext"].erase("testsite");
    badPeriods["periods"] = json::array({{{"beginDate", 17}}});
    j["assessmentAdministrations"] = json::array({administration("ADM-1"), badRef, badOrg, floatOrg, negative, tooLate, badStart, badPeriods});
    json accObject = registration("ADM-1", "S1");
    accObject["assessmentAccommodations"] = {{"accommodationDescriptor", "x"}};
    json accStrings = registration("ADM-1", "S1");
    accStrings["assessmentAccommodations"] = json::array({"Scheduling"});
    json accMany = registration("ADM-1", "S1");
    accMany["assessmentAccommodations"] = json::array();
    for (int i = 0; i < 51; ++i) accMany["assessmentAccommodations"].push_back({{"accommodationDescriptor", kAcc + std::to_string(i)}});
    json noStudentRef = registration("ADM-1", "S1");
    noStudentRef.erase("studentSchoolAssociationReference");
    json refAsString = registration("ADM-1", "S1");
    refAsString["assessmentAdministrationReference"] = "ADM-1";
    j["studentAssessmentRegistrations"] = json::array({accObject, accStrings, accMany, noStudentRef, refAsString});

    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$.students[0]", "must be text"));
    CHECK(hasProblem(report, "$.students[1]", "must be text"));
    CHECK(hasProblem(report, "$.students[2]", "must be text"));
    CHECK(hasProblem(report, "$.students[3]", "must be text"));
    CHECK(hasProblem(report, "$.students[4]", "missing"));
    CHECK(hasProblem(report, "$.students[5]", "must be text"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[1]", "must be an object"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[2]", "whole number"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[3]", "whole number"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[4]", "out of range"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[5]", "out of range"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[6]", "ISO-8601"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[7]"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[0]", "must be a list"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[1]", "must be an object"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[2]", "too many"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[3]", "studentUniqueId"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[4]", "must be an object"));
    CHECK(report.students == 1);
    CHECK(report.sessions == 1);
    CHECK(report.registrations == 0);
}

TEST_CASE("top-level lists of the wrong type are reported and ignored") {
    auto s = memoryStore();
    auto report = store::importRosterText(
        s, R"({"students": "S1,S2", "assessmentAdministrations": {"a": 1}, "studentAssessmentRegistrations": 7})");
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$.students", "must be a list"));
    CHECK(hasProblem(report, "$.assessmentAdministrations", "must be a list"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations", "must be a list"));
    CHECK(count(s, "student") == 0);
}

TEST_CASE("deeply nested garbage is reported, never crashes") {
    auto s = memoryStore();
    const int depth = 100000;
    std::string nestedArray = std::string(depth, '[') + std::string(depth, ']');
    std::string nestedObject;
    for (int i = 0; i < depth; ++i) nestedObject += "{\"a\":";
    nestedObject += "1" + std::string(depth, '}');
    std::string text = R"({"students": [)" + nestedArray + R"(, {"studentUniqueId": "S1", "firstName": )" + nestedObject +
                       R"(, "lastSurname": "X"}, {"studentUniqueId": "S2", "firstName": "Ana", "lastSurname": "Ruiz"}]})";
    auto report = store::importRosterText(s, text);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$.students[0]", "must be an object"));
    CHECK(hasProblem(report, "$.students[1]", "must be text"));
    CHECK(report.students == 1);
    CHECK(count(s, "student") == 1);
}

TEST_CASE("invalid JSON, or JSON that is not an object, writes nothing and says why") {
    auto s = memoryStore();
    const std::vector<std::string> invalid{
        "",
        "{",
        R"({"students": [})",
        "{\"students\": [{\"studentUniqueId\": \"S1\", \"firstName\": \"Zo\xff\", \"lastSurname\": \"X\"}]}",  // invalid UTF-8
        "{} trailing",
        "nul",
        R"({"a": 1,})",
        std::string("{\"students\": [\0]}", 17),
    };
    for (const auto& text : invalid) {
        CAPTURE(text.size());
        auto report = store::importRosterText(s, text);
        CHECK_FALSE(report.ok());
        CHECK(report.fileError.find("not valid JSON") != std::string::npos);
        CHECK(report.students == 0);
    }
    for (const char* text : {"[]", "42", "\"roster\"", "null", "true", R"([{"students": []}])"}) {
        CAPTURE(text);
        auto report = store::importRosterText(s, text);
        CHECK_FALSE(report.ok());
        CHECK(report.fileError.find("must be a JSON object") != std::string::npos);
    }
    CHECK(count(s, "student") == 0);
    CHECK(count(s, "assessment_session") == 0);
}

TEST_CASE("duplicates in the file: the first is kept, the rest reported") {
    auto s = memoryStore();
    json j = fileA();
    j["students"].push_back(student("S1", "Impostor", "Twice"));
    json secondAdmin = administration("ADM-1", "2030-01-01T00:00:00Z");
    j["assessmentAdministrations"].push_back(secondAdmin);
    j["studentAssessmentRegistrations"].push_back(registration("ADM-1", "S2", {"Settings"}));
    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(hasProblem(report, "$.students[3]", "duplicate studentUniqueId"));
    CHECK(hasProblem(report, "$.assessmentAdministrations[1]", "duplicate administrationIdentifier"));
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[3]", "duplicate registration"));
    CHECK((*store::findStudent(s.db(), "S1"))->firstName == "Zoë");
    CHECK((*store::findSession(s.db(), "ADM-1"))->scheduledStart == sessionStart());
    CHECK((*store::findRegistration(s.db(), "ADM-1", "S2"))->scheduledAccommodations.empty());
}

TEST_CASE("control characters and bad lengths in names are refused") {
    auto s = memoryStore();
    json j = fileA();
    j["students"] = json::array({
        student("S1", "Zo\x01" "e", "Ñúñez"),             // 0 SOH
        student("S2", "Łukasz\n", "Dvořák"),              // 1 newline
        student("S3", "Siobhán", "O'\tBrien"),            // 2 tab
        student("S4", std::string("A\0B", 3), "Nul"),     // 3 NUL
        student("S5", "Ana", "Ruiz\x1b[2J"),              // 4 escape sequence
        student(std::string(33, '9'), "Long", "Id"),      // 5 ID longer than 32
        student("S6", std::string(76, 'a'), "Long"),      // 6 name longer than 75
        student("S7", "Ana", "Ruiz", "2009-04-12T00:00"), // 7 birth date with a time
        student("S8", "Emma", "Smith"),                   // 8 good
        student("S9", "Zo\xc3\xab\xc2\x9b" "2J", "Ruiz"),     // 9 C1 CSI, U+009B (valid UTF-8; ESC [ to xterm)
        student("S1\xc2\x85", "Ana", "Ruiz"),              // 10 C1 NEL, U+0085, in the ID
        student("S10", "Ana", "Ruiz\x7f"),                // 11 DEL
    });
    j["studentAssessmentRegistrations"] = json::array();
    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    for (int i : {0, 1, 2, 3, 4, 9, 10, 11}) CHECK(hasProblem(report, "$.students[" + std::to_string(i) + "]", "control characters"));
    CHECK(hasProblem(report, "$.students[5]", "longer than 32"));
    CHECK(hasProblem(report, "$.students[6]", "longer than 75"));
    CHECK(hasProblem(report, "$.students[7]"));
    CHECK(report.students == 1);
    CHECK(count(s, "student") == 1);
}

TEST_CASE("a student's grade: a number, its Ed-Fi words or descriptor, kept short, nonsense refused with its row") {
    auto s = memoryStore();
    json j = fileA();
    auto graded = [](const std::string& id, json grade) {
        json st = student(id, "Ana", "Ruiz");
        st["gradeLevel"] = std::move(grade);
        return st;
    };
    j["students"] = json::array({
        graded("S1", "11"),                                                // 0 as text
        graded("S2", 12),                                                  // 1 as a number
        graded("S3", "Tenth grade"),                                       // 2 Ed-Fi's words
        graded("S4", "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"),  // 3 the descriptor
        graded("S5", "Ungraded"),                                          // 4 other levels as their words
        graded("S6", 13),                                                  // 5 no such grade
        graded("S7", std::string(41, 'x')),                                // 6 too long
        graded("S8", json::array({11})),                                   // 7 wrong type
        student("S9", "Emma", "Smith"),                                    // 8 none given
    });
    j["studentAssessmentRegistrations"] = json::array();
    auto report = importJson(s, j);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.students == 6);
    CHECK(hasProblem(report, "$.students[5]", "1 to 12"));
    CHECK(hasProblem(report, "$.students[6]", "longer than 40"));
    CHECK(hasProblem(report, "$.students[7]", "must be text"));
    auto grade = [&](const std::string& id) { return store::findStudent(s.db(), id).value().value().gradeLevel; };
    CHECK(grade("S1") == "11");
    CHECK(grade("S2") == "12");
    CHECK(grade("S3") == "10");
    CHECK(grade("S4") == "9");
    CHECK(grade("S5") == "Ungraded");
    CHECK(grade("S9").empty());
    CHECK_FALSE(store::findStudent(s.db(), "S6").value().has_value());
    // A later roster that gives none clears it (the roster is the source of truth).
    json again = fileA();
    again["students"] = json::array({student("S1", "Ana", "Ruiz")});
    again["studentAssessmentRegistrations"] = json::array();
    REQUIRE(importJson(s, again).ok());
    CHECK(grade("S1").empty());
}

TEST_CASE("parseRoster never touches a database and refers only to the file") {
    store::RosterData data;
    json j = fileA();
    j["studentAssessmentRegistrations"].push_back(registration("ADM-OTHER", "S1"));
    auto report = store::parseRoster(j.dump(), data);
    REQUIRE(report.ok());
    CHECK(data.sessions.size() == 1);
    CHECK(data.students.size() == 3);
    CHECK(data.registrations.size() == 3);
    CHECK(hasProblem(report, "$.studentAssessmentRegistrations[3]", "ADM-OTHER"));
}

// --- nothing stored is lost -------------------------------------------------

TEST_CASE("importing a bad or partly bad file after a good one loses nothing of the first") {
    auto s = memoryStore();
    REQUIRE(importJson(s, fileA()).ok());
    const auto before = snapshot(s.db());
    REQUIRE(before.size() == 7);

    SUBCASE("invalid JSON") {
        CHECK_FALSE(store::importRosterText(s, "{\"students\": [").ok());
        CHECK(snapshot(s.db()) == before);
    }
    SUBCASE("not an object") {
        CHECK_FALSE(store::importRosterText(s, "[]").ok());
        CHECK(snapshot(s.db()) == before);
    }
    SUBCASE("empty lists") {
        CHECK(store::importRosterText(s, R"({"students": [], "assessmentAdministrations": [], "studentAssessmentRegistrations": []})").ok());
        CHECK(snapshot(s.db()) == before);
    }
    SUBCASE("bad versions of stored rows are skipped, so the stored rows stay as they were") {
        json b;
        json noFirst = student("S1", "x", "Ñúñez");
        noFirst.erase("firstName");
        json badAdmin = administration("ADM-1");
        badAdmin["assessmentReference"] = nullptr;
        b["students"] = json::array({noFirst, student("S2", "Łukasz\x07", "Dvořák"), student("S9", "Ana", "Ruiz")});
        b["assessmentAdministrations"] = json::array({badAdmin});
        b["studentAssessmentRegistrations"] = json::array({registration("ADM-1", "S9"), registration("ADM-1", "S1", {"Bogus\x01"})});
        auto report = importJson(s, b);
        INFO(describeProblems(report));
        REQUIRE(report.ok());
        CHECK(report.problems.size() == 4);
        auto after = snapshot(s.db());
        CHECK(containsAll(after, before));
        CHECK(after.size() == before.size() + 2);  // S9 and its registration
        // The registration used the session stored before: the store is consulted.
        CHECK(store::findRegistration(s.db(), "ADM-1", "S9")->has_value());
    }
    SUBCASE("a registration may name a student who is only in the store") {
        json b;
        b["studentAssessmentRegistrations"] = json::array({registration("ADM-1", "S1", {"Scheduling", "Settings"})});
        auto report = importJson(s, b);
        INFO(describeProblems(report));
        CHECK(report.problems.empty());
        CHECK(report.registrations == 1);
        CHECK((*store::findRegistration(s.db(), "ADM-1", "S1"))->scheduledAccommodations.size() == 2);
        CHECK(count(s, "student") == 3);
    }
    SUBCASE("a write that fails (disk full) writes nothing of the second file") {
        json b = fileA();
        for (int i = 0; i < 3000; ++i) b["students"].push_back(student("X" + std::to_string(i), std::string(70, 'n'), std::string(70, 'm')));
        const auto pages = queryInt(s.db(), "PRAGMA page_count;");
        REQUIRE(s.db().exec("PRAGMA max_page_count = " + std::to_string(pages) + ";").ok());
        auto report = importJson(s, b);
        CHECK_FALSE(report.ok());
        CHECK(report.fileError.find("nothing was imported") != std::string::npos);
        CHECK(report.fileError.find("disk is full") != std::string::npos);
        CHECK(report.students == 0);
        CHECK(snapshot(s.db()) == before);
        REQUIRE(s.db().exec("PRAGMA max_page_count = 1073741823;").ok());
        CHECK(importJson(s, b).ok());
        CHECK(count(s, "student") == 3003);
    }
}

TEST_CASE("re-importing a roster keeps events, attendance and the walk-in flag") {
    auto s = memoryStore();
    REQUIRE(importJson(s, fileA()).ok());
    ManualClock clock(atMinute(-5));
    service::AttendanceService svc(s, clock.clock());
    REQUIRE(svc.openSession("ADM-1", kProctor).saved);
    REQUIRE(svc.checkIn("ADM-1", "S1", kProctor, {}).saved);
    REQUIRE(svc.addWalkIn("ADM-1", {"S50", "Kwame", "", "Okafor", ""}, kProctor).saved);
    const auto events = count(s, "event");
    const auto attendance = count(s, "attendance");

    json again = fileA();
    again["students"].push_back(student("S50", "Kwame", "Okafor"));
    again["studentAssessmentRegistrations"].push_back(registration("ADM-1", "S50", {"Settings"}));
    auto report = importJson(s, again);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(count(s, "event") == events);
    CHECK(count(s, "attendance") == attendance);
    auto reg = store::findRegistration(s.db(), "ADM-1", "S50");
    REQUIRE(reg->has_value());
    CHECK((*reg)->walkIn);  // a later import does not hide it
    CHECK((*reg)->scheduledAccommodations == std::vector<std::string>{kAcc + "Settings"});
    CHECK((*store::findSession(s.db(), "ADM-1"))->openedAt.has_value());  // re-import does not close the session
}

// --- demo data --------------------------------------------------------------

TEST_CASE("loadDemo writes N students in two sessions with diacritics and some accommodations") {
    auto s = memoryStore();
    store::DemoOptions options;
    options.students = 600;
    options.now = sessionStart();
    REQUIRE(store::loadDemo(s, options).ok());
    CHECK(count(s, "student") == 600);
    CHECK(count(s, "assessment_session") == 2);
    CHECK(count(s, "registration") == 600);
    CHECK(s.siteId() == "255901001");
    CHECK_FALSE(s.siteName().empty());

    auto sessions = store::listSessions(s.db());
    REQUIRE(sessions->size() == 2);
    CHECK((*sessions)[0].scheduledStart <= options.now);  // one under way
    CHECK((*sessions)[1].scheduledStart > options.now);   // one later today
    std::size_t total = 0;
    for (const auto& session : *sessions) {
        auto roster = store::rosterForSession(s.db(), session.sessionId);
        REQUIRE(roster.ok());
        CHECK(roster->size() > 100);
        total += roster->size();
    }
    CHECK(total == 600);  // each student in exactly one session

    auto zoe = store::findStudent(s.db(), "S100001");
    REQUIRE(zoe->has_value());
    CHECK((*zoe)->displayName() == "Ñúñez, Zoë");
    auto lukasz = store::findStudent(s.db(), "S100002");
    REQUIRE(lukasz->has_value());
    CHECK((*lukasz)->displayName() == "Dvořák, Łukasz");
    const auto nonAscii = queryInt(s.db(), "SELECT count(*) FROM student WHERE first_name || last_surname GLOB '*[^ -~]*';");
    CHECK(nonAscii > 100);
    const auto withAccommodations = queryInt(s.db(), "SELECT count(*) FROM registration WHERE scheduled_accommodations <> '[]';");
    CHECK(withAccommodations > 0);
    CHECK(withAccommodations < 600);
    CHECK((*store::findRegistration(s.db(), (*sessions)[0].sessionId, "S100001"))->scheduledAccommodations.size() >= 1);

    // Loading twice changes nothing.
    const auto before = snapshot(s.db());
    REQUIRE(store::loadDemo(s, options).ok());
    CHECK(snapshot(s.db()) == before);
}

TEST_CASE("the demo's documented sign-ins are named while they hold: a roster written or a credential set afterwards ends that") {
    store::DemoOptions options;
    options.students = 10;
    options.now = sessionStart();
    {
        auto s = store::Store::openInMemory().value();
        CHECK_FALSE(store::demoCredentialsHold(s.db()));  // an empty store has none
        REQUIRE(store::loadDemo(s, options).ok());
        auto demo = service::SecurityService(s, [&] { return options.now; }).demoSignIns();
        REQUIRE(demo.has_value());
        CHECK(demo->proctorId == "P001");
        CHECK(demo->proctorPin == "2468");
        CHECK(demo->studentId == "S100001");
        CHECK(demo->studentBirthDate == "2009-04-02");
        // ... and they sign in.
        CHECK(service::SecurityService(s, [&] { return options.now; }).checkProctorPin("P001", "2468", "sign_in").ok);
        // A real roster imported over the demo: the demo's sign-ins are no longer the kiosk's to name.
        REQUIRE(store::writeRoster(s.db(), smallRoster()).ok());
        CHECK_FALSE(store::demoCredentialsHold(s.db()));
        // Loading the demo again over a proctor PIN that exists names nothing: that PIN may be anyone's.
        REQUIRE(store::loadDemo(s, options).ok());
        CHECK_FALSE(store::demoCredentialsHold(s.db()));
    }
    {
        auto s = store::Store::openInMemory().value();
        REQUIRE(store::loadDemo(s, options).ok());
        REQUIRE(store::setCredential(s.db(), store::CredentialKind::StudentPin, "S100001", "4321", store::HashCost::Bulk, options.now).ok());
        CHECK_FALSE(store::demoCredentialsHold(s.db()));
    }
}

TEST_CASE("the demo roster is deterministic per seed and passes the import rules") {
    store::DemoOptions options;
    options.students = 400;
    options.now = sessionStart();
    auto a = store::makeDemoRoster(options);
    auto b = store::makeDemoRoster(options);
    auto sameStudents = [](const store::RosterData& x, const store::RosterData& y) {
        if (x.students.size() != y.students.size()) return false;
        for (std::size_t i = 0; i < x.students.size(); ++i)
            if (x.students[i].displayName() != y.students[i].displayName() || x.students[i].birthDate != y.students[i].birthDate)
                return false;
        return true;
    };
    CHECK(sameStudents(a, b));
    options.seed = 7;
    CHECK_FALSE(sameStudents(a, store::makeDemoRoster(options)));

    for (const auto& st : a.students) {
        CHECK(domain::isValidUtf8(st.firstName));
        CHECK(domain::isValidUtf8(st.lastSurname));
    }
    store::RosterData parsed;
    auto report = store::parseRoster(toImportJson(a).dump(), parsed);
    INFO(describeProblems(report));
    REQUIRE(report.ok());
    CHECK(report.problems.empty());
    CHECK(parsed.students.size() == 400);
    CHECK(parsed.registrations.size() == 400);
}
