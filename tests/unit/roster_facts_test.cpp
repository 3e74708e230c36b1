// A roster imported on one machine of a site reaches the others through the
// site log (kiosk/store/roster_facts.hpp), without the network: the facts one
// store publishes are applied to another through the site applier.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/site_apply.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/descriptor_map.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "support/kiosk_fixture.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <random>

using namespace kiosk;
using kiosk::test::kMathSession;

namespace {

store::Database::SealingKey keyOf(unsigned char b) {
    store::Database::SealingKey k{};
    k.fill(b);
    return k;
}

struct Machine {
    store::Store store = std::move(store::Store::openInMemory().value());
    service::SiteApplier applier;
    std::vector<std::string> published;

    explicit Machine(std::string kioskId, std::optional<store::Database::SealingKey> siteSeal = keyOf(7))
        : applier(store, [] { return nullptr; }, siteSeal) {
        // Each machine seals the factors it stores with its own key.
        store.db().setSealingKey(keyOf(static_cast<unsigned char>(kioskId.size() + 40)));
        store::RosterShareSetup setup;
        setup.kioskId = std::move(kioskId);
        setup.siteId = "site-1";
        setup.siteSeal = siteSeal;
        setup.sink = [this](store::Database&, const store::SiteFact& f) -> store::Status {
            published.push_back(f.json);
            return {};
        };
        store.setRosterShare(store::makeRosterShare(std::move(setup)));
    }
    store::ImportReport import(const std::string& json) { return store::importRosterText(store, json); }
    std::vector<service::ApplyOutcome> receive(const std::vector<std::string>& facts) {
        std::vector<service::ApplyOutcome> out;
        for (const auto& f : facts) {
            out.push_back(applier.apply(f));
            REQUIRE(out.back().ok());
        }
        applier.retryParked();
        return out;
    }
    std::vector<domain::RosterRow> roster(const std::string& session) {
        auto r = store::rosterForSession(store.db(), session);
        REQUIRE(r.ok());
        return *r;
    }
    std::optional<bool> birthDateMatches(const std::string& student, const std::string& date) {
        auto m = store::credentialMatches(store.db(), store::CredentialKind::StudentBirthDate, student, date);
        REQUIRE(m.ok());
        return *m;
    }
};

// The fixture's roster as a roster file, so it goes through the import.
std::string rosterFile(const store::RosterData& d) {
    nlohmann::json root;
    for (const auto& s : d.sessions)
        root["assessmentAdministrations"].push_back(
            {{"administrationIdentifier", s.sessionId},
             {"assessmentReference", {{"assessmentIdentifier", s.assessmentIdentifier}, {"namespace", s.assessmentNamespace}}},
             {"assigningEducationOrganizationReference", {{"educationOrganizationId", s.assigningEdOrgId}}},
             {"_ext", {{"testsite", {{"title", s.title}, {"room", s.room}, {"startTime", domain::formatUtc(s.scheduledStart)}}}}}});
    for (const auto& s : d.students) {
        nlohmann::json j{{"studentUniqueId", s.studentUniqueId}, {"firstName", s.firstName}, {"lastSurname", s.lastSurname}};
        if (!s.middleName.empty()) j["middleName"] = s.middleName;
        if (!s.birthDate.empty()) j["birthDate"] = s.birthDate;
        root["students"].push_back(j);
    }
    for (const auto& r : d.registrations) {
        nlohmann::json acc = nlohmann::json::array();
        for (const auto& a : r.scheduledAccommodations) acc.push_back({{"accommodationDescriptor", a}});
        root["studentAssessmentRegistrations"].push_back(
            {{"assessmentAdministrationReference", {{"administrationIdentifier", r.sessionId}}},
             {"studentSchoolAssociationReference", {{"studentUniqueId", r.studentUniqueId}}},
             {"assessmentAccommodations", acc}});
    }
    return root.dump();
}

std::vector<std::string> names(const std::vector<domain::RosterRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.student.studentUniqueId + " " + r.student.displayName());
    return out;
}

} // namespace

TEST_CASE("a roster imported on one machine reaches another: sessions, students, registrations and birth dates") {
    Machine door("door"), lab("lab-7");
    auto report = door.import(rosterFile(test::smallRoster()));
    REQUIRE(report.ok());
    REQUIRE(report.problems.empty());
    REQUIRE_FALSE(door.published.empty());
    // No birth date travels in the clear.
    for (const auto& f : door.published) CHECK(f.find("2009-04-12") == std::string::npos);

    lab.receive(door.published);
    CHECK(names(lab.roster(kMathSession)) == names(door.roster(kMathSession)));
    CHECK(names(lab.roster(test::kDocsSession)) == names(door.roster(test::kDocsSession)));
    auto zoe = lab.roster(kMathSession);
    auto it = std::find_if(zoe.begin(), zoe.end(), [](const auto& r) { return r.student.studentUniqueId == "S100001"; });
    REQUIRE(it != zoe.end());
    CHECK(it->scheduledAccommodations == std::vector<std::string>{"uri://ed-fi.org/AccommodationDescriptor#Scheduling"});
    auto session = store::findSession(lab.store.db(), kMathSession);
    REQUIRE(session.ok());
    REQUIRE(session->has_value());
    CHECK((*session)->room == "Room 114");
    CHECK((*session)->scheduledStart == test::sessionStart());
    // The student signs in on the lab machine with the birth date given at the door.
    CHECK(lab.birthDateMatches("S100001", "2009-04-12") == true);
    CHECK(lab.birthDateMatches("S100001", "2009-04-13") == false);
    CHECK_FALSE(lab.birthDateMatches("S100005", "2000-01-01").has_value());  // none on file anywhere
}

TEST_CASE("a large roster travels in several facts, each within the site log's limit, in any order") {
    store::RosterData big = test::smallRoster();
    for (int i = 0; i < 1500; ++i) {
        std::string id = "S2" + std::to_string(100000 + i);
        big.students.push_back({id, "Student" + std::to_string(i), "", "Ñúñez-Surname" + std::to_string(i), "2009-01-01"});
        big.registrations.push_back({kMathSession, id, {}, false});
    }
    Machine door("door"), lab("lab-3");
    REQUIRE(door.import(rosterFile(big)).problems.empty());
    REQUIRE(door.published.size() > 2);
    for (const auto& f : door.published) CHECK(f.size() <= store::kMaxFactBytes);
    // Registrations before their students: they wait, then apply.
    auto reversed = door.published;
    std::reverse(reversed.begin(), reversed.end());
    auto outcomes = lab.receive(reversed);
    CHECK(std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.what == service::ApplyOutcome::What::Parked; }));
    CHECK(lab.roster(kMathSession).size() == door.roster(kMathSession).size());
    CHECK(lab.roster(kMathSession).size() == 1505);
    CHECK(test::queryInt(lab.store.db(), "SELECT count(*) FROM site_parked;") == 0);
}

TEST_CASE("an older roster change that arrives late does not undo a newer one") {
    Machine a("a"), b("b"), c("c");
    auto first = test::smallRoster();
    REQUIRE(a.import(rosterFile(first)).ok());
    b.receive(a.published);
    // B corrects a name and withdraws nothing; its change is newer than A's.
    auto corrected = first;
    corrected.students[0].lastSurname = "Núñez-García";
    REQUIRE(b.import(rosterFile(corrected)).ok());
    // C gets B's change first, then A's older one.
    c.receive(b.published);
    c.receive(a.published);
    a.receive(b.published);
    for (Machine* m : {&a, &b, &c}) {
        auto s = store::findStudent(m->store.db(), "S100001");
        REQUIRE(s.ok());
        REQUIRE(s->has_value());
        CHECK((*s)->lastSurname == "Núñez-García");
    }
    CHECK(names(c.roster(kMathSession)) == names(b.roster(kMathSession)));
}

TEST_CASE("a roster fact sealed with another site's key is refused whole and kept for a technician") {
    Machine door("door", keyOf(7)), stranger("stranger", keyOf(9));
    REQUIRE(door.import(rosterFile(test::smallRoster())).ok());
    stranger.receive(door.published);
    CHECK(stranger.roster(kMathSession).empty());
    CHECK(test::queryInt(stranger.store.db(), "SELECT count(*) FROM site_parked WHERE waiting_for LIKE 'refused: %';") > 0);
}

TEST_CASE("a malformed roster fact is refused with a reason, never half applied") {
    Machine lab("lab");
    const std::string bad =
        R"({"v":1,"fact":"roster","eventId":"e1","kiosk":"k","site":"s","hlc":"000001700000000.0000000001",)"
        R"("roster":{"students":[{"studentUniqueId":"S1","firstName":"A","lastSurname":"B"},{"studentUniqueId":7}]}})";
    auto out = lab.applier.apply(bad);
    CHECK(out.what == service::ApplyOutcome::What::Refused);
    CHECK(test::queryInt(lab.store.db(), "SELECT count(*) FROM student;") == 0);
    auto noClock = lab.applier.apply(R"({"v":1,"fact":"roster","eventId":"e2","kiosk":"k","hlc":"soon"})");
    CHECK(noClock.what == service::ApplyOutcome::What::Refused);
}

TEST_CASE("a proctor's PIN set at one station signs that proctor in at another, and a student's PIN too") {
    Machine door("door"), second("door-2");
    REQUIRE(door.import(rosterFile(test::smallRoster())).ok());
    service::SecurityService security{door.store, [] { return test::sessionStart(); }};
    REQUIRE(security.setProctor("P7", "Ms. Rivera", "482913", "STAFF-7").saved);
    REQUIRE(security.setStudentPin("S100002", "5150").saved);
    second.receive(door.published);
    auto pin = store::credentialMatches(second.store.db(), store::CredentialKind::ProctorPin, "P7", "482913");
    REQUIRE(pin.ok());
    CHECK(*pin == std::optional<bool>(true));
    CHECK(test::queryText(second.store.db(), "SELECT name || '/' || staff_unique_id FROM proctor WHERE proctor_id = 'P7';") ==
          "Ms. Rivera/STAFF-7");
    auto studentPin = store::credentialMatches(second.store.db(), store::CredentialKind::StudentPin, "S100002", "5150");
    REQUIRE(studentPin.ok());
    CHECK(*studentPin == std::optional<bool>(true));
    for (const auto& f : door.published) CHECK(f.find("482913") == std::string::npos);
}

TEST_CASE("a task catalogue imported on one machine reaches the others, and the shipped default never overrides it") {
    Machine door("door"), lab("lab");
    service::SecurityService doorSecurity{door.store, [] { return test::sessionStart(); }};
    service::WorkService doorWork{door.store, [] { return test::sessionStart(); }, doorSecurity};
    service::SecurityService labSecurity{lab.store, [] { return test::sessionStart(); }};
    service::WorkService labWork{lab.store, [] { return test::sessionStart(); }, labSecurity};
    const auto shipped = std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json";
    // The lab starts on the shipped default: nothing goes to the site for it.
    REQUIRE_FALSE(labWork.loadCatalogue(shipped).has_value());
    CHECK(lab.published.empty());

    auto text = nlohmann::json::parse(std::ifstream(shipped));
    text["areas"][0]["tasks"][0]["title"] = "Résumé and cover letter (district version)";
    REQUIRE_FALSE(doorWork.importCatalogue(text.dump()).has_value());
    REQUIRE(door.published.size() == 1);
    lab.receive(door.published);
    labWork.refreshCatalogue();
    REQUIRE(labWork.catalogue() != nullptr);
    const auto firstId = text["areas"][0]["tasks"][0]["id"].get<std::string>();
    REQUIRE(labWork.catalogue()->catalogue.task(firstId) != nullptr);
    CHECK(labWork.catalogue()->catalogue.task(firstId)->title == "Résumé and cover letter (district version)");

    // A catalogue that is not one is refused whole.
    CHECK(doorWork.importCatalogue(R"({"tasks": 7})").has_value());
    CHECK(door.published.size() == 1);
}

TEST_CASE("the state's descriptor names learnt by the uploader reach every machine, so all build the same record, one queued before them too") {
    Machine uploader("uploader"), lab("lab");
    // The lab machine recorded a no-show before the names reached it: queued under the Ed-Fi name.
    REQUIRE(store::writeRoster(lab.store.db(), test::smallRoster()).ok());
    test::ManualClock clock(test::atMinute(-10));
    service::AttendanceService door(lab.store, clock.clock());
    REQUIRE(door.openSession(kMathSession, test::kProctor).saved);
    clock.setMinute(60);
    REQUIRE(door.markNoShow(kMathSession, "S100001", test::kProctor, "Absent").saved);
    const char* body = "SELECT body FROM outbox WHERE resource = 'studentAssessments';";
    CHECK(test::queryText(lab.store.db(), body).find("ReasonNotTestedDescriptor#Absent") != std::string::npos);

    store::RosterChange change;
    change.descriptors.emplace_back("uri://ed-fi.org/ReasonNotTestedDescriptor#Absent", "uri://dese.mo.gov/ReasonNotTestedDescriptor#ABS");
    REQUIRE(uploader.store.rosterShare()(uploader.store.db(), change).ok());
    lab.receive(uploader.published);
    auto map = store::loadDescriptorMap(lab.store.db());
    REQUIRE(map.ok());
    CHECK(domain::stateDescriptor(*map, "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent") == "uri://dese.mo.gov/ReasonNotTestedDescriptor#ABS");
    // ... and the record waiting there goes under the state's name.
    CHECK(nlohmann::json::parse(test::queryText(lab.store.db(), body))["reasonNotTestedDescriptor"] ==
          "uri://dese.mo.gov/ReasonNotTestedDescriptor#ABS");
}
