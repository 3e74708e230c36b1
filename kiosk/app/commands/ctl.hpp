#pragma once
// testsite-kioskctl's shared pieces: exit codes, the data directory and
// store, the site configuration, and how each command family registers.
// One file per family (data, status, sync, audit, security, enrol, usb, papers);
// kioskctl_main.cpp only parses and runs the chosen command.
#include "kiosk/app/commands/exit_codes.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/data_dir.hpp"
#include "kiosk/store/store.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kiosk::app::ctl {

enum class Terminal { No, Yes };

class Context {
public:
    std::optional<std::filesystem::path> dataDirArg;
    std::optional<std::filesystem::path> configArg;
    std::function<int()> action;  // set by the chosen subcommand
    // Whether standard output is a terminal (kioskctl_main asks isatty):
    // a command that writes outside text there as data escapes it then.
    Terminal stdoutIs = Terminal::No;

    // Where the data directory is, before anything is created or switched.
    std::optional<std::filesystem::path> wantedDataDir() const;
    // The data directory (as its owner when run as root), created 0700.
    std::optional<DataDir> dataDir(int& exitCode);
    // The store in it, migrated to this build's schema. A damaged store is
    // refused with one message saying which file and what to do.
    std::optional<store::Store> openStore(int& exitCode);
    // For commands that only read (status, verify-audit, exports): the store
    // as openStore gives it when its folder can be written; otherwise (a
    // read-only mount, a full disk, an immutable file) read-only, without
    // creating or changing anything in the data directory.
    std::optional<store::Store> openStoreForReading(int& exitCode);
    // The store came from openStoreForReading read-only.
    bool storeReadOnly() const { return m_readOnly; }
    // The site configuration: nothing when not enrolled (`why` says so).
    std::optional<KioskConfig> config(std::string& why);
    std::optional<std::filesystem::path> configFile();

private:
    std::optional<DataDir> m_dataDir;
    bool m_readOnly = false;
};

// Reads a secret from the terminal without echo, or one line from a pipe.
std::string readSecret(const std::string& prompt);
// Reads one line (echoed) from the terminal or a pipe.
std::string readLine(const std::string& prompt);

std::string formatAgo(std::int64_t unixMs, std::int64_t nowUnixMs);
// The wall clock, in Unix milliseconds.
std::int64_t nowUnixMs();

void addDataCommands(CLI::App& app, Context& ctx);      // import-roster, demo, export-session, import-tasks, migrate
void addStatusCommand(CLI::App& app, Context& ctx);     // status
void addSyncCommands(CLI::App& app, Context& ctx);      // sync, serve
// What `sync` does (one pass, or the service asked to run one): its exit code.
int runSyncPass(Context& ctx);
void addAuditCommands(CLI::App& app, Context& ctx);     // verify-audit, audit-log
void addSecurityCommands(CLI::App& app, Context& ctx);  // set-proctor-pin, set-student-pin, second-factor
void addEnrolCommand(CLI::App& app, Context& ctx);      // enrol
void addUsbCommands(CLI::App& app, Context& ctx);       // export-pending, import-pending
void addRescueCommand(CLI::App& app, Context& ctx);     // rescue
void addSiteCommand(CLI::App& app, Context& ctx);       // site
void addPapersCommand(CLI::App& app, Context& ctx);     // papers

// Says what is wrong with a damaged store and what to do, on stderr.
void reportDamagedStore(const std::string& problem);

} // namespace kiosk::app::ctl
