// import-roster, demo, export-session, import-tasks, migrate: the site's data.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"
#include "sync/core/files.hpp"

#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/schema.hpp"
#include "kiosk/store/session_report.hpp"
#include "kiosk/store/work_repo.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace kiosk::app::ctl {

namespace {

constexpr std::size_t kMaxCatalogueBytes = 4u << 20;

int importRoster(store::Store& store, const std::filesystem::path& file) {
    auto report = store::importRosterFile(store, file);
    if (!report.ok()) {
        std::cerr << "import-roster: " << printable(report.fileError) << "\n";
        return report.storageFailed ? DataError : InputError;
    }
    std::cout << "imported " << report.sessions << " session(s), " << report.students << " student(s), " << report.registrations
              << " registration(s)\n";
    for (const auto& p : report.problems) std::cerr << "skipped " << printable(p.where) << ": " << printable(p.message) << "\n";
    if (!report.problems.empty()) {
        std::cerr << report.problems.size() << " item(s) skipped; everything else was imported\n";
        return Partial;
    }
    return Ok;
}

int exportSession(store::Store& store, const std::string& sessionId, const std::string& output, Terminal stdoutIs) {
    if (output.empty() || output == "-") {
        auto csv = store::sessionReportCsv(store.db(), sessionId);
        if (!csv) {
            std::cerr << "export-session: " << printable(csv.error().message) << "\n";
            return InputError;
        }
        if (stdoutIs == Terminal::No) {
            std::cout << *csv;  // the report's own bytes, for a pipe or a file
            return Ok;
        }
        // On a terminal the names, notes and IDs are outside text: each line
        // escaped, so no stored sequence acts on the terminal.
        for (std::size_t at = 0; at < csv->size();) {
            auto end = csv->find("\r\n", at);
            if (end == std::string::npos) end = csv->size();
            std::cout << printable(std::string_view(*csv).substr(at, end - at)) << "\n";
            at = end + 2;
        }
        return Ok;
    }
    service::SessionQueries queries(store);
    if (auto err = queries.exportReport(sessionId, output)) {
        std::cerr << "export-session: " << printable(*err) << "\n";
        return InputError;
    }
    std::cerr << "wrote " << output << "\n";
    return Ok;
}

int importTasks(store::Store& store, const std::filesystem::path& file) {
    auto text = edsync::files::readBounded(file, {.maxBytes = kMaxCatalogueBytes, .magic = {}, .jsonObject = true});
    if (!text) {
        std::cerr << "import-tasks: " << printable(text.error()) << "\n";
        return InputError;
    }
    // A file that is no catalogue is refused before the audit log records an install.
    if (auto loaded = store::parseCatalogue(text.value()); !loaded.document) {
        std::cerr << "import-tasks: task catalogue: " << printable(loaded.error) << "\n";
        return InputError;
    }
    service::SecurityService security(store, domain::systemNow);
    service::WorkService work(store, domain::systemNow, security);
    // Recorded first: a change the audit log cannot hold is not made.
    if (auto a = security.audit("technician", "settings.task_catalogue", nlohmann::json{{"file", file.filename().string()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)); !a) {
        std::cerr << "import-tasks: not installed, the audit log cannot be written: " << a.error().describe() << "\n";
        return DataError;
    }
    if (auto err = work.importCatalogue(text.value())) {
        std::cerr << "import-tasks: " << printable(*err) << "\n";
        return DataError;  // the file was checked above: what failed is the store
    }
    std::cout << "task catalogue installed: " << printable(work.catalogue()->catalogue.title) << ", " << work.catalogue()->catalogue.tasks.size()
              << " tasks in " << work.catalogue()->catalogue.areas.size() << " areas\n";
    return Ok;
}

} // namespace

void addDataCommands(CLI::App& app, Context& ctx) {
    auto rosterFile = std::make_shared<std::filesystem::path>();
    auto* import = app.add_subcommand("import-roster", "Import sessions, students and registrations from an Ed-Fi shaped JSON file");
    import->add_option("FILE", *rosterFile, "JSON file with assessmentAdministrations, students, studentAssessmentRegistrations")->required();
    import->callback([&ctx, rosterFile] {
        ctx.action = [&ctx, rosterFile] {
            int code = Ok;
            auto store = ctx.openStore(code);
            return store ? importRoster(*store, *rosterFile) : code;
        };
    });

    auto demoStudents = std::make_shared<int>(300);
    auto demoForce = std::make_shared<bool>(false);
    auto* demo = app.add_subcommand("demo", "Load the demo site, two sessions and a generated roster");
    demo->add_option("--students", *demoStudents, "Number of students to generate")->check(CLI::Range(1, 1000000));
    demo->add_flag("--force", *demoForce, "Load it even on an enrolled kiosk (replaces its site with the demo site)");
    demo->callback([&ctx, demoStudents, demoForce] {
        ctx.action = [&ctx, demoStudents, demoForce] {
            int code = Ok;
            std::string why;
            if (auto config = ctx.config(why); config && (config->site || config->state) && !*demoForce) {
                std::cerr << "demo: this kiosk is enrolled"
                          << (config->site ? " for site " + printable(config->site->id) : std::string()) << " (" << config->source.string()
                          << "); the demo would replace its site with the demo site and mix made-up students into its roster.\n"
                             "Nothing was changed. Use --force only on a machine that is not in service.\n";
                return static_cast<int>(Usage);
            }
            auto store = ctx.openStore(code);
            if (!store) return code;
            store::DemoOptions options;
            options.students = *demoStudents;
            options.now = domain::systemNow();
            if (auto s = store::loadDemo(*store, options); !s) {
                std::cerr << "demo: " << s.error().describe() << "\n";
                return static_cast<int>(DataError);
            }
            std::cout << "loaded demo site with " << *demoStudents << " students in two sessions\n";
            return static_cast<int>(Ok);
        };
    });

    auto sessionId = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    auto* exportCmd = app.add_subcommand("export-session", "Write a session report (CSV): attendance, times, seats, accommodations, irregularities");
    exportCmd->add_option("SESSION", *sessionId, "Session (administration) identifier; see `status`")->required();
    exportCmd->add_option("-o,--output", *output, "Output file (default: standard output)");
    exportCmd->callback([&ctx, sessionId, output] {
        ctx.action = [&ctx, sessionId, output] {
            int code = Ok;
            auto store = ctx.openStoreForReading(code);
            return store ? exportSession(*store, *sessionId, *output, ctx.stdoutIs) : code;
        };
    });

    auto tasksFile = std::make_shared<std::filesystem::path>();
    auto* tasks = app.add_subcommand("import-tasks", "Install a work-readiness task catalogue (JSON; see assets/tasks/)");
    tasks->add_option("FILE", *tasksFile, "Catalogue file")->required();
    tasks->callback([&ctx, tasksFile] {
        ctx.action = [&ctx, tasksFile] {
            int code = Ok;
            auto store = ctx.openStore(code);
            return store ? importTasks(*store, *tasksFile) : code;
        };
    });

    auto* migrate = app.add_subcommand("migrate", "Bring the database to this version's schema (the package runs it on upgrade; "
                                                  "every command does it anyway)");
    migrate->callback([&ctx] {
        ctx.action = [&ctx] {
            int code = Ok;
            auto store = ctx.openStore(code);
            if (!store) return code;
            // Birth dates stored in clear by a schema-1 release become hashes now.
            if (auto hashed = service::SecurityService(*store, domain::systemNow).hashBirthDates(); hashed && *hashed > 0)
                std::cout << *hashed << " birth date(s) now kept only as hashes\n";
            std::cout << "database " << store->db().path().string() << " at schema version " << store->schemaVersion() << " (this build: "
                      << store::latestSchemaVersion() << ")\n";
            return static_cast<int>(Ok);
        };
    });
}

} // namespace kiosk::app::ctl
