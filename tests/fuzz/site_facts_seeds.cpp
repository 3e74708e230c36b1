// Writes the seed corpus of fuzz_site_facts (tests/fuzz/corpus/fuzz_site_facts)
// with the real encoders: a kiosk imports the roster of site_facts_setup.hpp
// (its roster facts, the birth dates sealed with the site's key), sets a
// proctor and a student PIN, opens the session, checks a student in, logs and
// submits a work entry (attendance and work facts through its FactSink);
// then acknowledgements (a write, a deletion, a write unanswered: ackFact) of
// the record the check-in made, an audit head (auditHeadFact), and a few
// malformed facts.
//
// usage: site_facts_seeds OUT_DIR    (built with the fuzz targets)
#include "site_facts_setup.hpp"

#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/roster_facts.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/site_facts.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace kiosk;

namespace {

int failures = 0;

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "site_facts_seeds: %s failed\n", what);
        ++failures;
    }
}

void write(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    require(static_cast<bool>(out), "writing a seed");
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: site_facts_seeds OUT_DIR\n");
        return 2;
    }
    const std::filesystem::path out = argv[1];
    std::filesystem::create_directories(out);

    auto opened = store::Store::openInMemory();
    if (!opened) return 1;
    store::Store& origin = *opened;
    origin.db().setSealingKey(fuzz::localKey(0x21));
    std::vector<store::SiteFact> facts;
    auto sink = [&](store::Database&, const store::SiteFact& f) -> store::Status {
        facts.push_back(f);
        return {};
    };
    origin.setFactSink(sink);
    store::RosterShareSetup share;
    share.kioskId = origin.kioskId();
    share.siteId = "255901001";
    share.siteSeal = fuzz::siteSeal();
    share.sink = sink;
    origin.setRosterShare(store::makeRosterShare(std::move(share)));

    const auto now = *domain::parseIso8601("2026-11-23T12:55:00Z");
    domain::Clock clock = [now] { return now; };
    service::SecurityService security(origin, clock);
    service::AttendanceService attendance(origin, clock);
    service::WorkService work(origin, clock, security);

    require(store::importRosterText(origin, fuzz::kRosterJson).ok(), "the roster import");
    require(security.setProctor("P1", "Ms. Rivera", "2468").saved, "setProctor");
    require(security.setStudentPin("S2", "135790").saved, "setStudentPin");
    require(attendance.openSession(std::string(fuzz::kSession), "Ms. Rivera").saved, "openSession");
    require(attendance.checkIn(std::string(fuzz::kSession), "S1", "Ms. Rivera", {}).saved, "checkIn");
    require(!work.loadCatalogue(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json").has_value(), "loadCatalogue");
    auto draft = work.saveDraft("S3", "", {"comm-customer", "2026-11-23", 50, "Riverbend Hardware", "Helped customers."});
    require(draft.saved, "saveDraft");
    require(work.submit("S3", draft.eventId).saved, "submit");

    int roster = 0, att = 0, wk = 0;
    std::string checkIn;
    for (const auto& f : facts) {
        switch (f.type) {
        case store::FactType::Roster: write(out / ("roster-" + std::to_string(++roster) + ".json"), f.json); break;
        case store::FactType::Attendance:
            write(out / ("attendance-" + std::to_string(++att) + ".json"), f.json);
            checkIn = f.json;
            break;
        case store::FactType::Work: write(out / ("work-" + std::to_string(++wk) + ".json"), f.json); break;
        default: break;
        }
    }
    require(roster > 0 && att >= 2 && wk >= 2, "facts of every kind");

    // What the state answered for the record the check-in made.
    auto row = origin.db().prepare("SELECT resource, natural_key, body FROM outbox ORDER BY natural_key LIMIT 1;");
    require(row.ok() && row->step().value_or(false), "an outbox row");
    store::AckFact ack;
    ack.kioskId = origin.kioskId();
    ack.resource = row->getText(0);
    ack.naturalKey = row->getText(1);
    ack.body = row->getText(2);
    ack.resourceId = "8f2c6e7a91b34c0d9e1f2a3b4c5d6e7f";
    ack.etag = "\"5250549068808622160\"";
    ack.order = origin.nextHlc(1795438800000);
    auto written = store::ackFact(ack);
    require(written.has_value(), "ackFact");
    if (written) write(out / "ack.json", written->json);
    ack.deletion = true;
    ack.order = origin.nextHlc(1795438900000);
    auto deleted = store::ackFact(ack);
    require(deleted.has_value(), "ackFact (deletion)");
    if (deleted) write(out / "ack-delete.json", deleted->json);
    ack.deletion = false;  // a write sent whose answer was lost
    ack.unanswered = true;
    ack.resourceId.clear();
    ack.etag.clear();
    ack.order = origin.nextHlc(1795439000000);
    auto unanswered = store::ackFact(ack);
    require(unanswered.has_value(), "ackFact (unanswered)");
    if (unanswered) write(out / "ack-unanswered.json", unanswered->json);
    ack.deletion = true;  // a deletion sent whose answer was lost
    ack.order = origin.nextHlc(1795439100000);
    auto unansweredDeletion = store::ackFact(ack);
    require(unansweredDeletion.has_value(), "ackFact (unanswered deletion)");
    if (unansweredDeletion) write(out / "ack-unanswered-delete.json", unansweredDeletion->json);

    write(out / "audit-head.json",
          store::auditHeadFact({origin.kioskId(), 7, "k1:" + std::string(64, 'a'), "2026-11-23T13:05:00+00:00"}).json);

    // Malformed: cut short, an unknown version, an acknowledgement without its key.
    write(out / "malformed-cut.json", checkIn.substr(0, checkIn.size() / 2));
    std::string version = checkIn;
    if (auto at = version.find("\"v\":"); at != std::string::npos) version.replace(at, 5, "\"v\":9");
    write(out / "malformed-version.json", version);
    write(out / "malformed-ack.json", R"({"v":1,"fact":"ack","eventId":"ack-1","kiosk":"k","resource":"studentAssessments","body":"{}"})");
    return failures == 0 ? 0 : 1;
}
