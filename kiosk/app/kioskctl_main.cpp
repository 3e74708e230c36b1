// testsite-kioskctl: the technician's and coordinator's command line. Thin:
// every command is a call into the store and service libraries.
#include "kiosk/app/config.hpp"
#include "kiosk/app/data_dir.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "sync/edfi/store.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/session_report.hpp"
#include "sync/outbox/outbox.hpp"

#include "kiosk/service/security_service.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/audit_log.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <termios.h>
#include <unistd.h>

namespace {

// Exit codes say what happened, for scripts.
std::optional<kiosk::app::DataDir> g_dataDir;  // set by openStore

enum Exit { Ok = 0, Usage = 1, Partial = 2, InputError = 3, DataError = 4, AuditBroken = 5 };

// Reads a secret from the terminal without echo, or one line from a pipe.
std::string readSecret(const std::string& prompt) {
    std::string line;
    if (::isatty(STDIN_FILENO)) {
        std::cerr << prompt << std::flush;
        termios old{};
        ::tcgetattr(STDIN_FILENO, &old);
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        std::getline(std::cin, line);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    } else {
        std::getline(std::cin, line);
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

int syncOnce(kiosk::store::Store& store, const std::optional<std::filesystem::path>& configArg) {
    auto file = kiosk::app::findConfig(configArg, g_dataDir->root);
    if (!file) {
        std::cerr << "sync: this kiosk is not enrolled (no kiosk.toml); see README, Install at a site\n";
        return Usage;
    }
    auto loaded = kiosk::app::loadConfig(*file);
    if (!loaded.config) {
        std::cerr << "sync: " << loaded.error << "\n";
        return InputError;
    }
    auto setup = kiosk::app::makeSyncEngine(*loaded.config, store.db().path());
    if (!setup.engine) {
        std::cerr << "sync: " << setup.error << "\n";
        return InputError;
    }
    using Phase = edsync::edfi::PassProgress::Phase;
    auto report = setup.engine->runOnePass([](const edsync::edfi::PassProgress& p) {
        switch (p.phase) {
        case Phase::Connecting: std::cerr << "\rconnecting...                                  "; break;
        case Phase::Uploading:
            std::cerr << "\ruploading: " << p.sent << " sent, " << p.synced << " stored, " << p.retried << " to retry, " << p.attention
                      << " refused   ";
            break;
        case Phase::Downloading: std::cerr << "\rdownloading " << p.resource << ": " << p.downloaded << "            "; break;
        case Phase::Done: std::cerr << "\r"; break;
        }
        std::cerr << std::flush;
    });
    std::cerr << "\n";
    std::cout << "sync: " << edsync::edfi::toString(report.result) << " · sent " << report.sent << ", stored " << report.synced << ", retry later "
              << report.retried << ", needs attention " << report.attention << "\n";
    std::cout << "waiting " << report.counts.pending << " · needs attention " << report.counts.needsAttention << " · synced "
              << report.counts.synced << "\n";
    if (report.pull)
        for (const auto& r : report.pull->resources)
            std::cout << "  " << r.resource << ": " << (r.complete ? "up to date" : "incomplete") << ", " << r.changed << " changed, "
                      << r.deleted << " deleted\n";
    if (setup.sink->skipped() > 0) std::cout << "  " << setup.sink->skipped() << " downloaded roster item(s) failed validation and were skipped\n";
    if (!report.message.empty()) std::cout << report.message << "\n";
    return edsync::edfi::exitCode(report.result);
}

int verifyAudit(kiosk::store::Store& store) {
    auto verdict = kiosk::store::verifyAudit(store.db());
    if (!verdict) {
        std::cerr << "verify-audit: " << verdict.error().describe() << "\n";
        return DataError;
    }
    if (verdict->intact) {
        std::cout << "audit chain intact: " << verdict->entries << " entries\n";
        return Ok;
    }
    std::cout << "audit chain BROKEN at entry " << *verdict->brokenAtSeq << ": " << verdict->problem << "\n";
    return AuditBroken;
}

std::optional<kiosk::store::Store> openStore(const std::optional<std::filesystem::path>& dir, int& exitCode) {
    std::string error;
    auto dataDir = kiosk::app::prepareDataDir(dir, error);
    g_dataDir = dataDir;
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
                 "Exit codes: 0 done, 1 usage, 2 done with items skipped, 3 bad input, 4 data directory or database error,\n"
                 "5 audit chain broken. sync: 0 all synced, 3 some pending, 4 needs attention, 5 offline, 6 credentials refused."};
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

    std::optional<std::filesystem::path> configFile;
    cli.add_option("--config", configFile, "Site configuration (default /etc/testsite-kiosk/kiosk.toml, then <data dir>/kiosk.toml)");
    auto* syncCmd = cli.add_subcommand("sync", "Run one sync pass with the state's Ed-Fi API (upload, then roster download)");

    auto* verifyCmd = cli.add_subcommand("verify-audit", "Check the audit log's hash chain; says where it breaks (exit 5)");

    int lastN = 50;
    auto* auditCmd = cli.add_subcommand("audit-log", "Show the most recent audit log entries");
    auditCmd->add_option("--last", lastN, "How many entries")->check(CLI::Range(1, 100000));

    std::string proctorId, proctorName;
    auto* proctorPin = cli.add_subcommand("set-proctor-pin", "Add a proctor or change their PIN (read without echo, or from a pipe)");
    proctorPin->add_option("PROCTOR_ID", proctorId, "The proctor's staff ID")->required();
    proctorPin->add_option("--name", proctorName, "The proctor's name as shown on the kiosk")->required();

    std::string studentId;
    auto* studentPin = cli.add_subcommand("set-student-pin", "Set a student's sign-in PIN (when the site uses PINs)");
    studentPin->add_option("STUDENT_ID", studentId, "Student unique ID")->required();

    std::string factor;
    auto* factorCmd = cli.add_subcommand("second-factor", "Choose the students' second sign-in factor");
    factorCmd->add_option("FACTOR", factor, "birth_date or pin")->required()->check(CLI::IsMember({"birth_date", "pin"}));

    std::filesystem::path tasksFile;
    auto* tasksCmd = cli.add_subcommand("import-tasks", "Install a work-readiness task catalogue (JSON; see assets/tasks/)");
    tasksCmd->add_option("FILE", tasksFile, "Catalogue file")->required();

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
    if (*verifyCmd) return verifyAudit(*store);
    if (*syncCmd) return syncOnce(*store, configFile);
    if (*auditCmd) {
        auto entries = kiosk::store::recentAudit(store->db(), lastN);
        if (!entries) return DataError;
        for (auto it = entries->rbegin(); it != entries->rend(); ++it)
            std::cout << it->seq << "  " << it->at << "  " << it->actor << "  " << it->action << "  " << it->detail << "\n";
        return Ok;
    }
    kiosk::service::SecurityService security(*store, kiosk::store::systemNow);
    if (*proctorPin) {
        std::string pin = readSecret("PIN for " + proctorId + " (4-8 digits): ");
        auto r = security.setProctor(proctorId, proctorName, pin);
        std::cerr << (r.saved ? r.message : "set-proctor-pin: " + r.message) << "\n";
        return r.saved ? Ok : InputError;
    }
    if (*studentPin) {
        std::string pin = readSecret("PIN for the student (4-8 digits): ");
        auto r = security.setStudentPin(studentId, pin);
        if (!r.saved) std::cerr << "set-student-pin: " << r.message << "\n";
        return r.saved ? Ok : InputError;
    }
    if (*factorCmd) {
        auto s = security.setSecondFactor(factor == "pin" ? kiosk::service::SecondFactor::Pin : kiosk::service::SecondFactor::BirthDate);
        if (!s) return DataError;
        security.audit("technician", "settings.second_factor", nlohmann::json{{"factor", factor}}.dump());
        std::cout << "students sign in with their ID and " << (factor == "pin" ? "PIN" : "date of birth") << "\n";
        return Ok;
    }
    if (*tasksCmd) {
        std::ifstream in(tasksFile);
        if (!in) {
            std::cerr << "import-tasks: cannot read " << tasksFile.string() << "\n";
            return InputError;
        }
        std::stringstream buf;
        buf << in.rdbuf();
        kiosk::service::WorkService work(*store, kiosk::store::systemNow, security);
        if (auto err = work.importCatalogue(buf.str())) {
            std::cerr << "import-tasks: " << *err << "\n";
            return InputError;
        }
        security.audit("technician", "settings.task_catalogue", "{}");
        std::cout << "task catalogue installed: " << work.catalogue()->catalogue.title << ", " << work.catalogue()->catalogue.tasks.size()
                  << " tasks in " << work.catalogue()->catalogue.areas.size() << " areas\n";
        return Ok;
    }
    if (*exportCmd) return exportSession(*store, sessionId, output);
    return Usage;
}
