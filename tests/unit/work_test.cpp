#include "kiosk/service/work_service.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/store.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/outbox/outbox.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

using namespace kiosk;

namespace {

struct Lab {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T15:00:00Z").value();
    store::Store store = std::move(store::Store::openInMemory().value());
    service::SecurityService security{store, [this] { return now; }};
    service::WorkService work{store, [this] { return now; }, security};
    Lab() {
        store::RosterData data;
        data.students = {domain::Student{"S1", "Zoë", "", "Ñúñez", "", ""}};
        REQUIRE(store::writeRoster(store.db(), data).ok());
        REQUIRE_FALSE(work.loadCatalogue(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json").has_value());
        REQUIRE(security.setProctor("P1", "Mr. Okafor", "2468").saved);
    }
    std::string logged(const std::string& task, int minutes, const std::string& date = "2026-11-20") {
        auto r = work.saveDraft("S1", "", {task, date, minutes, "Riverbend Hardware", "Restocked shelves and helped customers."});
        REQUIRE(r.saved);
        REQUIRE(work.submit("S1", r.eventId).saved);
        return r.eventId;
    }
};

} // namespace

TEST_CASE("a draft may be incomplete, but submitting needs every field") {
    Lab lab;
    auto draft = lab.work.saveDraft("S1", "", {"comm-customer", "", 0, "", ""});
    REQUIRE(draft.saved);
    auto refused = lab.work.submit("S1", draft.eventId);
    CHECK_FALSE(refused.saved);
    CHECK(refused.message.find("minutes") != std::string::npos);
    REQUIRE(lab.work.saveDraft("S1", draft.eventId, {"comm-customer", "2026-11-30", 45, "Library", "Helped"}).saved);
    auto future = lab.work.submit("S1", draft.eventId);
    CHECK_FALSE(future.saved);
    CHECK(future.message.find("future") != std::string::npos);
    REQUIRE(lab.work.saveDraft("S1", draft.eventId, {"comm-customer", "2026-11-22", 45, "Library", "Helped"}).saved);
    CHECK(lab.work.submit("S1", draft.eventId).saved);
    // Submitted entries cannot be edited any more.
    CHECK_FALSE(lab.work.saveDraft("S1", draft.eventId, {"comm-customer", "2026-11-22", 600, "x", "y"}).saved);
    CHECK_FALSE(lab.work.saveDraft("S1", "", {"no-such-task", "", 0, "", ""}).saved);
}

TEST_CASE("a student deletes a draft or a sent-back entry, never one submitted or approved, and a deleted one stays deleted") {
    Lab lab;
    auto draft = lab.work.saveDraft("S1", "", {"", "", 0, "Lib", ""});  // what a time-out kept: no task chosen
    REQUIRE(draft.saved);
    auto deleted = lab.work.discard("S1", draft.eventId);
    INFO(deleted.message);
    REQUIRE(deleted.saved);
    auto entries = lab.work.entries("S1").value();
    REQUIRE(entries.size() == 1);
    CHECK(entries.front().status == domain::EntryStatus::Discarded);
    auto edited = lab.work.saveDraft("S1", draft.eventId, {"comm-customer", "2026-11-20", 30, "Lib", "x"});
    CHECK_FALSE(edited.saved);
    CHECK(edited.message == "This entry was deleted, on this machine or another one of the site.");
    CHECK_FALSE(lab.work.submit("S1", draft.eventId).saved);
    CHECK_FALSE(lab.work.discard("S1", draft.eventId).saved);
    CHECK_FALSE(lab.work.discard("S2", draft.eventId).saved);  // nobody else's to delete

    auto submitted = lab.logged("comm-customer", 60);
    auto refused = lab.work.discard("S1", submitted);
    CHECK_FALSE(refused.saved);
    CHECK(refused.message == "This entry has been submitted and can no longer be deleted.");
    REQUIRE(lab.work.review(submitted, service::Review::SendBack, "P1", "2468", "Say which customer.").saved);
    CHECK(lab.work.discard("S1", submitted).saved);  // sent back: the student may withdraw it instead
    CHECK(lab.work.progress("S1").value().totalHours == 0.0);
    auto audit = store::recentAudit(lab.store.db(), 100).value();
    CHECK(std::count_if(audit.begin(), audit.end(), [](const auto& e) { return e.action == "work.discarded"; }) == 2);
}

TEST_CASE("a refusal with a value keeps its sentence translatable: the pattern and the value apart, the English filled in") {
    Lab lab;
    auto r = lab.work.saveDraft("S1", "", {"comm-customer", "2026-11-22", 100000, "Library", "Helped"});
    REQUIRE_FALSE(r.saved);
    CHECK_FALSE(r.storageFailed);  // the rules said no; the disk is fine
    CHECK(r.sentence.pattern == "Minutes must be between 1 and {max}.");
    REQUIRE(r.sentence.args.size() == 1);
    CHECK(r.sentence.args[0].first == "max");
    CHECK(r.message == "Minutes must be between 1 and " + r.sentence.args[0].second + ".");
    CHECK(r.message == r.sentence.english());
    // A sentence without values is its own pattern.
    auto plain = lab.work.saveDraft("S1", "", {"no-such-task", "", 0, "", ""});
    CHECK(plain.sentence.pattern == plain.message);
    CHECK(plain.sentence.args.empty());
}

TEST_CASE("a storage failure is told apart from a refusal") {
    Lab lab;
    REQUIRE(lab.store.db().exec("PRAGMA query_only = ON;").ok());  // every write now fails, as on a read-only disk
    auto r = lab.work.saveDraft("S1", "", {"comm-customer", "2026-11-22", 45, "Library", "Helped"});
    CHECK_FALSE(r.saved);
    CHECK(r.storageFailed);
    CHECK_FALSE(r.message.empty());  // the technical detail, for the technician
}

TEST_CASE("review needs a proctor PIN, and approve, send back and reject each do what they say") {
    Lab lab;
    auto a = lab.logged("comm-customer", 50);
    auto b = lab.logged("comm-written", 40);
    auto c = lab.logged("ps-measure", 30);
    CHECK(lab.work.awaitingReview().value().size() == 3);
    CHECK_FALSE(lab.work.review(a, service::Review::Approve, "P1", "0000", "").saved);
    CHECK(lab.work.review(a, service::Review::Approve, "P1", "2468", "").saved);
    CHECK_FALSE(lab.work.review(b, service::Review::SendBack, "P1", "2468", "").saved);  // needs a comment
    CHECK(lab.work.review(b, service::Review::SendBack, "P1", "2468", "Say which customer system you used").saved);
    CHECK(lab.work.review(c, service::Review::Reject, "P1", "2468", "Not a work task").saved);
    CHECK_FALSE(lab.work.review(a, service::Review::Reject, "P1", "2468", "too late").saved);  // already approved
    auto entries = lab.work.entries("S1").value();
    auto statusOf = [&](const std::string& id) {
        for (const auto& e : entries)
            if (e.entryId == id) return e.status;
        return domain::EntryStatus::Draft;
    };
    CHECK(statusOf(a) == domain::EntryStatus::Approved);
    CHECK(statusOf(b) == domain::EntryStatus::SentBack);
    CHECK(statusOf(c) == domain::EntryStatus::Rejected);
    // A sent-back entry can be corrected and submitted again.
    CHECK(lab.work.saveDraft("S1", b, {"comm-written", "2026-11-20", 40, "Riverbend Hardware", "Used the POS system."}).saved);
    CHECK(lab.work.submit("S1", b).saved);
}

TEST_CASE("only approved entries count, and hours round the catalogue's way (down to 15 minutes)") {
    Lab lab;
    auto a = lab.logged("comm-customer", 50);
    auto b = lab.logged("comm-written", 44);
    lab.logged("comm-meeting", 120);  // submitted, never reviewed
    REQUIRE(lab.work.review(a, service::Review::Approve, "P1", "2468", "").saved);
    REQUIRE(lab.work.review(b, service::Review::Approve, "P1", "2468", "").saved);
    auto p = lab.work.progress("S1").value();
    const domain::AreaProgress* comm = nullptr;
    for (const auto& area : p.areas)
        if (area.areaId == "communication") comm = &area;
    REQUIRE(comm != nullptr);
    CHECK(comm->approvedMinutes == 94);
    CHECK(comm->hours == doctest::Approx(1.5));  // 94 min -> 90 min
    CHECK(comm->tasksDone == 2);
    CHECK(comm->requiredTasks == 3);
    CHECK_FALSE(comm->complete());
    CHECK_FALSE(p.certificateReady());
    domain::TaskCatalogue nearest = lab.work.catalogue()->catalogue;
    nearest.rounding = domain::Rounding::Nearest;
    CHECK(domain::roundedHours(94, nearest) == doctest::Approx(1.5));
    CHECK(domain::roundedHours(98, nearest) == doctest::Approx(1.75));
}

TEST_CASE("approved work goes to the outbox as one StudentProgramEvaluation per student and day") {
    Lab lab;
    auto a = lab.logged("comm-customer", 50);
    auto b = lab.logged("ps-measure", 30);
    CHECK(edsync::outbox::counts(lab.store.db()).value().pending == 0);  // nothing verified yet
    REQUIRE(lab.work.review(a, service::Review::Approve, "P1", "2468", "").saved);
    REQUIRE(lab.work.review(b, service::Review::Approve, "P1", "2468", "").saved);
    auto claims = edsync::outbox::claimDue(lab.store.db(), 0, 10).value();
    REQUIRE(claims.size() == 1);
    CHECK(claims[0].resource == "studentProgramEvaluations");
    CHECK(claims[0].version == 2);
    auto j = nlohmann::json::parse(claims[0].json);
    CHECK(j["evaluationDate"] == "2026-11-20");
    CHECK(j["studentReference"]["studentUniqueId"] == "S1");
    CHECK(j["programEvaluationReference"]["programName"] == "Career Readiness");
    // P1 has no state staff ID on file: the record names no evaluator rather than the kiosk's own ID.
    CHECK_FALSE(j.contains("staffEvaluatorStaffReference"));
    CHECK(claims[0].json.find("\"P1\"") == std::string::npos);
    CHECK(j["studentEvaluationElements"].size() == 2);
}

TEST_CASE("the evaluator of approved work is named by the state's staffUniqueId, carried by the review itself") {
    Lab lab;
    REQUIRE(lab.security.setProctor("P1", "Mr. Okafor", "2468", "10071").saved);
    CHECK(lab.security.proctorStaffId("P1") == "10071");
    // Setting the PIN again without a staff ID keeps the one on file.
    REQUIRE(lab.security.setProctor("P1", "Mr. Okafor", "2468").saved);
    CHECK(lab.security.proctorStaffId("P1") == "10071");
    CHECK_FALSE(lab.security.setProctor("P1", "Mr. Okafor", "2468", "has space").saved);
    auto a = lab.logged("comm-customer", 50);
    REQUIRE(lab.work.review(a, service::Review::Approve, "P1", "2468", "").saved);
    auto claims = edsync::outbox::claimDue(lab.store.db(), 0, 10).value();
    REQUIRE(claims.size() == 1);
    auto j = nlohmann::json::parse(claims[0].json);
    CHECK(j["staffEvaluatorStaffReference"]["staffUniqueId"] == "10071");
    // The review event carries it, so every machine of the site folds the same record.
    auto events = lab.store.db().prepare("SELECT payload FROM work_event WHERE kind = 'approved';");
    REQUIRE(events.ok());
    REQUIRE(events->step().value_or(false));
    CHECK(nlohmann::json::parse(events->getText(0))["staffUniqueId"] == "10071");
}

TEST_CASE("a malformed task catalogue is refused with a clear error and the old one stays") {
    Lab lab;
    CHECK(lab.work.importCatalogue("not json").value().find("not a JSON object") != std::string::npos);
    CHECK(lab.work.importCatalogue(R"({"title": "x"})").has_value());
    CHECK(lab.work.importCatalogue(R"({"title":"x","programEvaluation":{"programEducationOrganizationId":1,"programEvaluationPeriodDescriptor":"a",
        "programEvaluationTitle":"b","programEvaluationTypeDescriptor":"c","programName":"d","programTypeDescriptor":"e"},
        "areas":[{"id":"a","title":"A","requiredHours":1,"requiredTasks":1,"tasks":[{"id":"t","title":"T"},{"id":"t","title":"dup"}]}]})")
              .value()
              .find("duplicate task id") != std::string::npos);
    CHECK(lab.work.catalogue()->catalogue.tasks.size() == 15);
}

TEST_CASE("a catalogue with control characters or a programEvaluation the state cannot take is refused and the old one stays") {
    Lab lab;
    std::ifstream in(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json");
    const nlohmann::json shipped = nlohmann::json::parse(in);
    using Edit = void (*)(nlohmann::json&);
    const std::pair<const char*, Edit> edits[] = {
        {"an escape sequence in the title", [](nlohmann::json& d) { d["title"] = "Work\x1b]52;c;aGk=\x07"; }},
        {"a C1 CSI in a task title", [](nlohmann::json& d) { d["areas"][0]["tasks"][0]["title"] = "Help\xc2\x9b" "2J"; }},
        {"an escape in a task id", [](nlohmann::json& d) { d["areas"][0]["tasks"][0]["id"] = "comm\x1b[5m"; }},
        {"an escape in an area id", [](nlohmann::json& d) { d["areas"][0]["id"] = "comm\x1b[5m"; }},
        {"an escape in a language", [](nlohmann::json& d) { d["titles"] = {{"e\x1bs", "x"}}; }},
        {"a programName past Ed-Fi's 60", [](nlohmann::json& d) { d["programEvaluation"]["programName"] = std::string(61, 'x'); }},
        {"a programEvaluationTitle past Ed-Fi's 50", [](nlohmann::json& d) { d["programEvaluation"]["programEvaluationTitle"] = std::string(100000, 'x'); }},
        {"an empty descriptor", [](nlohmann::json& d) { d["programEvaluation"]["programTypeDescriptor"] = ""; }},
        {"an organisation of 0", [](nlohmann::json& d) { d["programEvaluation"]["programEducationOrganizationId"] = 0; }},
    };
    for (const auto& e : edits) {
        nlohmann::json doc = shipped;
        e.second(doc);
        INFO(e.first);
        auto refused = lab.work.importCatalogue(doc.dump());
        CHECK(refused.has_value());
    }
    CHECK(lab.work.catalogue()->catalogue.title == "Work Readiness Certificate");  // the old one stays
    nlohmann::json longest = shipped;
    longest["programEvaluation"]["programName"] = std::string(60, 'x');
    CHECK_FALSE(lab.work.importCatalogue(longest.dump()).has_value());  // Ed-Fi's own limit is fine
    CHECK(lab.work.catalogue()->programEvaluation["programName"] == std::string(60, 'x'));
}

TEST_CASE("the shipped catalogue names every area and task in Spanish too and a malformed titles object is refused") {
    Lab lab;
    auto catalogue = lab.work.catalogue();
    REQUIRE(catalogue != nullptr);
    const auto& c = catalogue->catalogue;
    CHECK(c.titleIn("es") == "Certificado de preparación para el trabajo");
    CHECK(c.titleIn("en") == c.title);
    for (const auto& a : c.areas) CHECK_MESSAGE(a.titleIn("es") != a.title, a.id);
    for (const auto& t : c.tasks) CHECK_MESSAGE(t.titleIn("es") != t.title, t.id);
    REQUIRE(c.task("comm-customer") != nullptr);
    CHECK(c.task("comm-customer")->titleIn("fr") == "Helped a customer or client in person or by phone");  // none given: the catalogue's own

    std::ifstream in(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json");
    const nlohmann::json shipped = nlohmann::json::parse(in);
    auto with = [&](const std::string& titles) {
        nlohmann::json doc = shipped;
        doc["areas"][0]["tasks"][0]["titles"] = nlohmann::json::parse(titles);
        return store::parseCatalogue(doc.dump());
    };
    auto good = with(R"({"es": "Tarea"})");
    REQUIRE_MESSAGE(good.document.has_value(), good.error);
    CHECK(good.document->catalogue.tasks.at(0).titleIn("es") == "Tarea");
    CHECK(good.document->catalogue.tasks.at(1).titleIn("es") == shipped["areas"][0]["tasks"][1]["titles"]["es"]);
    for (const char* bad : {R"(["es", "Tarea"])", R"({"es": 7})", R"({"es": ""})", R"({"": "Tarea"})"}) {
        CAPTURE(bad);
        auto r = with(bad);
        CHECK_FALSE(r.document.has_value());
        CHECK(r.error.find("titles") != std::string::npos);
    }
}
