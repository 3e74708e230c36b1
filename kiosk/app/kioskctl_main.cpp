// testsite-kioskctl: the technician's and coordinator's command line. Thin:
// each command family lives in commands/ and calls into the libraries.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/version.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

int main(int argc, char** argv) {
    using namespace kiosk::app::ctl;
    CLI::App cli{"testsite-kioskctl: set up, check and look after a TestSite Kiosk from the command line.\n"
                 "Exit codes (one table for every command; README.md lists it):\n" + exitCodeSummary()};
    cli.require_subcommand(1);
    cli.set_version_flag("--version", kiosk::app::version());
    Context ctx;
    ctx.stdoutIs = ::isatty(STDOUT_FILENO) ? Terminal::Yes : Terminal::No;
    cli.add_option("--data-dir", ctx.dataDirArg,
                   "Data directory (default: $TESTSITE_KIOSK_DATA_DIR, else /var/lib/testsite-kiosk when installed, else "
                   "$XDG_DATA_HOME/testsite-kiosk)");
    cli.add_option("--config", ctx.configArg, "Site configuration (default /etc/testsite-kiosk/kiosk.toml, then <data dir>/kiosk.toml)");

    addEnrolCommand(cli, ctx);
    addStatusCommand(cli, ctx);
    addSyncCommands(cli, ctx);
    addDataCommands(cli, ctx);
    addPapersCommand(cli, ctx);
    addSecurityCommands(cli, ctx);
    addAuditCommands(cli, ctx);
    addUsbCommands(cli, ctx);
    addRescueCommand(cli, ctx);
    addSiteCommand(cli, ctx);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 has its own codes (105 for a failed check, 106 for a missing
        // option...); every command line it refuses is a usage error here.
        int code = cli.exit(e);
        return code == 0 ? static_cast<int>(Ok) : static_cast<int>(Usage);
    }
    return ctx.action ? ctx.action() : static_cast<int>(Usage);
}
