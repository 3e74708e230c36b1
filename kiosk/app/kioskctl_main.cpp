// testsite-kioskctl: the technician's and coordinator's command line. Thin:
// every command is a call into the store and service libraries.
#include "kiosk/app/data_dir.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/session_report.hpp"
#include "sync/outbox/outbox.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace {

// Exit codes say what happened, for scripts.
enum Exit { Ok = 0, Usage = 1, Partial = 2, InputError = 3, DataError = 4 };

std::optional<kiosk::store::Store> openStore(const std::optional<std::filesystem::path>& dir, int& exitCode) {
    std::string error;
    auto dataDir = kiosk::app::prepareDataDir(dir, error);
    if (!dataDir) {
        std::cerr << "testsite-kioskctl: " << error << "\n";
        exitCode = DataError;
        return std::nullopt;
    }
    auto store = kiosk::store::Store::open(dataDir->database());
    if (!store) {
        std::cerr << "testsite-kioskctl: " << store.error().describe() << "\n";
        exitCode = DataError;
        return std::nullopt;
    }
    return std::move(*store);
}

int importRoster(kiosk::store::Store& store, const std::filesystem::path& file) {
    auto report = kiosk::store::importRosterFile(store, file);
    if (!report.ok()) {
        std::cerr << "import-roster: " << report.fileError << "\n";
        return InputError;
    }
    std::cout << "imported " << report.sessions << " session(s), " << report.students << " student(s), " << report.registrations
              << " registration(s)\n";
    for (const auto& p : report.problems) std::cerr << "skipped " << p.where << ": " << p.message << "\n";
    if (!report.problems.empty()) {
        std::cerr << report.problems.size() << " item(s) skipped; everything else was imported\n";
        return Partial;
    }
    return Ok;
}

int status(kiosk::store::Store& store, bool asJson) {
    kiosk::service::SessionQueries queries(store);
    auto sessions = queries.sessions();
    auto byResource = edsync::outbox::countsByResource(store.db());
    auto oldest = edsync::outbox::oldestWaiting(store.db(), 5);
    auto events = kiosk::store::eventCount(store.db());
    if (!sessions || !byResource || !oldest || !events) {
        std::cerr << "status: cannot read the store\n";
        return DataError;
    }
    nlohmann::json j;
    j["kioskId"] = store.kioskId();
    j["site"] = {{"id", store.siteId()}, {"name", store.siteName()}};
    j["schemaVersion"] = store.schemaVersion();
    j["database"] = store.db().path().string();
    j["events"] = *events;
    j["sessions"] = nlohmann::json::array();
    for (const auto& s : *sessions)
        j["sessions"].push_back({{"id", s.info.sessionId}, {"title", s.info.title}, {"room", s.info.room},
                                 {"start", kiosk::domain::formatUtc(s.info.scheduledStart)}, {"students", s.counts.total()},
                                 {"present", s.counts.present}, {"checkedOut", s.counts.checkedOut}, {"noShow", s.counts.noShow},
                                 {"signedOff", s.info.signedOffAt.has_value()}});
    j["outbox"] = nlohmann::json::object();
    for (const auto& [resource, c] : *byResource)
        j["outbox"][resource] = {{"pending", c.pending}, {"inFlight", c.inFlight}, {"synced", c.synced}, {"needsAttention", c.needsAttention}};
    j["oldestWaiting"] = nlohmann::json::array();
    for (const auto& w : *oldest) j["oldestWaiting"].push_back({{"resource", w.resource}, {"since", w.firstQueuedAt}, {"attempts", w.attempts}});
    if (asJson) {
        std::cout << j.dump(2) << "\n";
        return Ok;
    }
    std::cout << "kiosk " << store.kioskId() << " · site " << store.siteName() << " (" << store.siteId() << ")\n"
              << "database " << store.db().path().string() << " · schema " << store.schemaVersion() << " · " << *events << " event(s)\n\n"
              << "sessions:\n";
    for (const auto& s : *sessions)
        std::cout << "  " << s.info.sessionId << "  " << s.info.title << " · " << s.info.room << " · " << s.counts.total() << " students, "
                  << s.counts.present << " present, " << s.counts.checkedOut << " checked out, " << s.counts.noShow << " no-show"
                  << (s.info.signedOffAt ? " · signed off" : "") << "\n";
    std::cout << "\nrecords for the state (pending / in flight / synced / needs attention):\n";
    if (byResource->empty()) std::cout << "  none yet\n";
    for (const auto& [resource, c] : *byResource)
        std::cout << "  " << resource << ": " << c.pending << " / " << c.inFlight << " / " << c.synced << " / " << c.needsAttention << "\n";
    if (!oldest->empty()) {
        std::cout << "\noldest waiting:\n";
        for (const auto& w : *oldest) std::cout << "  " << w.resource << " since " << w.firstQueuedAt << " (" << w.attempts << " attempt(s))\n";
    }
    return Ok;
}

int exportSession(kiosk::store::Store& store, const std::string& sessionId, const std::string& output) {
    if (output.empty() || output == "-") {
        auto csv = kiosk::store::sessionReportCsv(store.db(), sessionId);
        if (!csv) {
            std::cerr << "export-session: " << csv.error().message << "\n";
            return InputError;
        }
        std::cout << *csv;
        return Ok;
    }
    kiosk::service::SessionQueries queries(store);
    if (auto err = queries.exportReport(sessionId, output)) {
        std::cerr << "export-session: " << *err << "\n";
        return InputError;
    }
    std::cerr << "wrote " << output << "\n";
    return Ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"testsite-kioskctl: manage a TestSite Kiosk's data from the command line.\n"
                 "Exit codes: 0 done, 1 usage, 2 done with items skipped, 3 bad input, 4 data directory or database error."};
    cli.require_subcommand(1);
    std::optional<std::filesystem::path> dataDir;
    cli.add_option("--data-dir", dataDir, "Data directory (default $XDG_DATA_HOME/testsite-kiosk)");

    std::filesystem::path rosterFile;
    auto* import = cli.add_subcommand("import-roster", "Import sessions, students and registrations from an Ed-Fi shaped JSON file");
    import->add_option("FILE", rosterFile, "JSON file with assessmentAdministrations, students, studentAssessmentRegistrations")->required();

    int demoStudents = 300;
    auto* demo = cli.add_subcommand("demo", "Load the demo site, two sessions and a generated roster");
    demo->add_option("--students", demoStudents, "Number of students to generate")->check(CLI::Range(1, 1000000));

    bool asJson = false;
    auto* statusCmd = cli.add_subcommand("status", "Show the kiosk, its sessions and what is waiting to go to the state");
    statusCmd->add_flag("--json", asJson, "Machine-readable output");

    std::string sessionId, output;
    auto* exportCmd = cli.add_subcommand("export-session", "Write a session report (CSV): attendance, times, seats, accommodations, irregularities");
    exportCmd->add_option("SESSION", sessionId, "Session (administration) identifier; see `status`")->required();
    exportCmd->add_option("-o,--output", output, "Output file (default: standard output)");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }

    int code = Ok;
    auto store = openStore(dataDir, code);
    if (!store) return code;
    if (*import) return importRoster(*store, rosterFile);
    if (*demo) {
        kiosk::store::DemoOptions options;
        options.students = demoStudents;
        options.now = kiosk::store::systemNow();
        if (auto s = kiosk::store::loadDemo(*store, options); !s) {
            std::cerr << "demo: " << s.error().describe() << "\n";
            return DataError;
        }
        std::cout << "loaded demo site with " << demoStudents << " students in two sessions\n";
        return Ok;
    }
    if (*statusCmd) return status(*store, asJson);
    if (*exportCmd) return exportSession(*store, sessionId, output);
    return Usage;
}
