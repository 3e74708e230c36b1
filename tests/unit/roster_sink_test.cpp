// The roster as the state's download gives it: grades come from the
// students' current school enrolments (studentSchoolAssociations).
#include "kiosk/app/edfi_roster_sink.hpp"
#include "kiosk/store/demo_data.hpp"
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
    REQUIRE(resources.back().name == "studentSchoolAssociations");
    CHECK(resources.back().optional);
    CHECK_FALSE(resources.back().deletes);
    CHECK(std::find_if(resources.begin(), resources.end(), [](const auto& r) { return r.name == "students"; }) < resources.end() - 1);
}
