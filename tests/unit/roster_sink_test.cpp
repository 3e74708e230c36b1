// The roster as the state's download gives it: grades come from the
// students' current school enrolments (studentSchoolAssociations).
#include "kiosk/app/edfi_roster_sink.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/attendance_repo.hpp"
#include "support/kiosk_fixture.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/descriptor_map.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/roster_repo.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace kiosk;
using nlohmann::json;

namespace {

json enrolment(const std::string& student, json grade) {
    return json{{"entryDate", "2024-08-19"},
                {"schoolReference", {{"schoolId", 255901001}}},
                {"studentReference", {{"studentUniqueId", student}}},
                {"entryGradeLevelDescriptor", std::move(grade)}};
}

std::string gradeOf(store::Store& s, const std::string& student) {
    auto found = store::findStudent(s.db(), student);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    return (*found)->gradeLevel;
}

} // namespace

TEST_CASE("the state's enrolments give each student's grade, and a past enrolment, a hostile member or a stranger change nothing") {
    auto opened = store::Store::openInMemory();
    REQUIRE(opened.ok());
    store::Store& s = *opened;
    store::DemoOptions demo;
    demo.students = 4;
    REQUIRE(store::loadDemo(s, demo).ok());
    const std::string before = gradeOf(s, "S100002");

    json withdrawn = enrolment("S100002", "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade");
    withdrawn["exitWithdrawDate"] = "2025-06-01";
    std::vector<json> items{
        enrolment("S100001", "uri://ed-fi.org/GradeLevelDescriptor#Eleventh grade"),
        withdrawn,
        enrolment("S100003", "uri://ed-fi.org/GradeLevelDescriptor#Ungraded"),
        enrolment("S100004", 12),                                             // not a descriptor: skipped
        json{{"studentReference", "S100004"}, {"entryGradeLevelDescriptor", "x"}},  // malformed: skipped
        json::array(),
        enrolment("S999999", "uri://ed-fi.org/GradeLevelDescriptor#Tenth grade"),  // not on this kiosk
    };
    app::EdfiRosterSink sink;
    REQUIRE(sink.apply(s.db(), "studentSchoolAssociations", items).ok());
    CHECK(gradeOf(s, "S100001") == "11");
    CHECK(gradeOf(s, "S100002") == before);
    CHECK(gradeOf(s, "S100003") == "Ungraded");
    CHECK_FALSE(store::findStudent(s.db(), "S999999")->has_value());

    // Pulled after the students, and optional: a client whose claims lack
    // enrolments still gets its roster.
    auto resources = app::rosterPullResources();
    auto enrolments = std::find_if(resources.begin(), resources.end(), [](const auto& r) { return r.name == "studentSchoolAssociations"; });
    REQUIRE(enrolments != resources.end());
    CHECK(enrolments->optional);
    CHECK_FALSE(enrolments->deletes);
    CHECK(std::find_if(resources.begin(), resources.end(), [](const auto& r) { return r.name == "students"; }) < enrolments);
}

TEST_CASE("descriptor values the state lists under its own names are written as the state spells them, and shared with the site") {
    auto opened = store::Store::openInMemory();
    REQUIRE(opened.ok());
    store::Store& s = *opened;
    app::EdfiRosterSink sink;
    std::vector<store::RosterChange> shared;
    sink.setShare([&shared](store::Database&, const store::RosterChange& c) -> store::Status {
        shared.push_back(c);
        return {};
    });
    const std::string stateNs = "uri://dese.mo.gov/ReasonNotTestedDescriptor";
    std::vector<json> reasons{
        json{{"namespace", stateNs}, {"codeValue", "absent"}, {"shortDescription", "Absent"}},              // the code, lower case
        json{{"namespace", "uri://ed-fi.org/ReasonNotTestedDescriptor"}, {"codeValue", "Other"}, {"shortDescription", "Other"}},
        json{{"namespace", stateNs}, {"codeValue", "MED"}, {"shortDescription", "Medical waiver"}},         // by its short description
        json{{"namespace", 7}, {"codeValue", "Refusal by student"}},                                        // hostile: skipped
    };
    REQUIRE(sink.apply(s.db(), "reasonNotTestedDescriptors", reasons).ok());
    auto map = store::loadDescriptorMap(s.db());
    REQUIRE(map.ok());
    CHECK(domain::stateDescriptor(*map, "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent") == stateNs + "#absent");
    CHECK(domain::stateDescriptor(*map, "uri://ed-fi.org/ReasonNotTestedDescriptor#Medical waiver") == stateNs + "#MED");
    CHECK(domain::stateDescriptor(*map, "uri://ed-fi.org/ReasonNotTestedDescriptor#Other") == "uri://ed-fi.org/ReasonNotTestedDescriptor#Other");
    CHECK(map->size() == 2);
    REQUIRE(shared.size() == 1);
    CHECK(shared[0].descriptors.size() == 2);
    // The same list again changes nothing and shares nothing.
    REQUIRE(sink.apply(s.db(), "reasonNotTestedDescriptors", reasons).ok());
    CHECK(shared.size() == 1);

    // A no-show's record names the state's value.
    domain::SessionInfo session;
    session.sessionId = "ADM-1";
    session.assessmentIdentifier = "WK";
    session.assessmentNamespace = "uri://testsite.example.org/assessment";
    domain::Attendance a;
    a.presence = domain::Presence::NoShow;
    a.noShowReason = "Absent";
    CHECK(store::studentAssessmentJson(session, "S1", a, *map)["reasonNotTestedDescriptor"] == stateNs + "#absent");
    CHECK(store::studentAssessmentJson(session, "S1", a)["reasonNotTestedDescriptor"] == "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent");

    // Read after the roster, optional: a client that may not read them keeps the Ed-Fi values.
    auto resources = app::rosterPullResources();
    REQUIRE(resources.size() >= 6);
    CHECK(resources[4].name == "reasonNotTestedDescriptors");
    CHECK(resources[4].optional);
    CHECK(resources[5].name == "eventCircumstanceDescriptors");
}

TEST_CASE("a record queued before the state's descriptor names were known goes again under the state's names, and others queue nothing") {
    using namespace kiosk::test;
    auto opened = store::Store::openInMemory();
    REQUIRE(opened.ok());
    store::Store& s = *opened;
    REQUIRE(store::writeRoster(s.db(), smallRoster()).ok());
    ManualClock clock(atMinute(-10));
    service::AttendanceService svc(s, clock.clock());
    REQUIRE(svc.openSession(kMathSession, kProctor).saved);
    clock.set(atMinute(5));
    service::CheckInDetails details;
    REQUIRE(svc.checkIn(kMathSession, "S100002", kProctor, details).saved);
    const std::string circumstance = std::string(domain::kEventCircumstanceNs) + std::string(domain::eventCircumstances()[0]);
    REQUIRE(svc.recordIrregularity(kMathSession, "S100002", kProctor, {circumstance, "the lab's power went out", std::nullopt}).saved);
    REQUIRE(svc.checkIn(kMathSession, "S100003", kProctor, details).saved);
    clock.set(atMinute(60));
    REQUIRE(svc.markNoShow(kMathSession, "S100001", kProctor, "Absent").saved);

    auto row = [&](const std::string& student) {
        auto key = store::attendanceEdfiKey(s.db(), kMathSession, student);
        REQUIRE(key.ok());
        return std::pair{queryText(s.db(), "SELECT body FROM outbox WHERE natural_key = " + sqlQuote(*key)),
                         queryInt(s.db(), "SELECT local_version FROM outbox WHERE natural_key = " + sqlQuote(*key))};
    };
    auto [absentBefore, absentVersion] = row("S100001");
    auto [irregularBefore, irregularVersion] = row("S100002");
    auto [presentBefore, presentVersion] = row("S100003");
    CHECK(absentBefore.find("uri://ed-fi.org/ReasonNotTestedDescriptor#Absent") != std::string::npos);

    app::EdfiRosterSink sink;
    const std::string reasonNs = "uri://dese.mo.gov/ReasonNotTestedDescriptor";
    const std::string circumstanceNs = "uri://dese.mo.gov/EventCircumstanceDescriptor";
    REQUIRE(sink.apply(s.db(), "reasonNotTestedDescriptors", {json{{"namespace", reasonNs}, {"codeValue", "absent"}}}).ok());
    REQUIRE(sink.apply(s.db(), "eventCircumstanceDescriptors",
                       {json{{"namespace", circumstanceNs}, {"codeValue", std::string(domain::eventCircumstances()[0])}}})
                .ok());

    auto [absentAfter, absentVersionAfter] = row("S100001");
    CHECK(json::parse(absentAfter)["reasonNotTestedDescriptor"] == reasonNs + "#absent");
    CHECK(absentVersionAfter == absentVersion + 1);
    auto [irregularAfter, irregularVersionAfter] = row("S100002");
    CHECK(json::parse(irregularAfter)["eventCircumstanceDescriptor"] == circumstanceNs + "#" + std::string(domain::eventCircumstances()[0]));
    CHECK(irregularVersionAfter == irregularVersion + 1);
    auto [presentAfter, presentVersionAfter] = row("S100003");
    CHECK(presentAfter == presentBefore);  // names neither: not rebuilt, nothing new to send
    CHECK(presentVersionAfter == presentVersion);
}

TEST_CASE("a descriptor match is the Ed-Fi value, the state's same code, or one unambiguous short description or longer name") {
    using domain::ListedDescriptor;
    const std::string uri = "uri://ed-fi.org/AccommodationDescriptor#Test administration";
    CHECK(domain::matchDescriptor(uri, {{"uri://ed-fi.org/AccommodationDescriptor", "Test administration", ""}}) == uri);
    CHECK(domain::matchDescriptor(uri, {{"uri://state.gov/AccommodationDescriptor", "Test administration accommodation", ""}}) ==
          "uri://state.gov/AccommodationDescriptor#Test administration accommodation");
    // Two candidates are a guess: none.
    CHECK_FALSE(domain::matchDescriptor(uri, {{"uri://s/A", "Test administration accommodation", ""}, {"uri://s/A", "TA", "Test administration"}}));
    CHECK_FALSE(domain::matchDescriptor(uri, {{"uri://s/A", "Test", ""}, {"uri://s/A", "administration", ""}}));
    CHECK_FALSE(domain::matchDescriptor("no hash here", {{"uri://s/A", "no hash here", ""}}));
}
