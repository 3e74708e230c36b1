// rescue: salvage what can still be read from a damaged kiosk.db into a new
// store. Debian 12's libsqlite3 (3.40) exports no recovery API (sqlite3_recover_*
// is compiled into the sqlite3 shell only), and the shell's `.recover` fails
// there ("SQL logic error") because the library is built without the
// sqlite_dbpage table it reads pages through. So a copy of the damaged file is
// read table by table, row by row (salvage.hpp), into a store made by this
// build's migrations. The original files are only ever read (copied).
#include "kiosk/app/commands/ctl.hpp"

#include "kiosk/app/privileges.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/schema.hpp"
#include "kiosk/store/store_health.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/file_check.hpp"
#include "sync/sqlite/salvage.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app::ctl {

namespace {

bool copyFile(const std::filesystem::path& from, const std::filesystem::path& to, std::string& error) {
    std::error_code ec;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::none, ec);
    if (ec) {
        error = "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message();
        return false;
    }
    std::filesystem::permissions(to, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    return true;
}

int rescue(Context& ctx, const std::filesystem::path& to, bool withoutWal) {
    auto wanted = ctx.wantedDataDir();
    std::optional<std::filesystem::path> root = wanted;
    if (!root) {
        if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) root = std::filesystem::path(xdg) / "testsite-kiosk";
        else if (const char* home = std::getenv("HOME"); home && *home) root = std::filesystem::path(home) / ".local" / "share" / "testsite-kiosk";
    }
    if (!root) {
        std::cerr << "rescue: no data directory: set --data-dir\n";
        return Usage;
    }
    std::string error;
    if (wanted && !becomeOwnerOf(*root, error)) {
        std::cerr << "rescue: " << error << "\n";
        return DataError;
    }
    const auto source = *root / "kiosk.db";
    const auto files = edsync::sqlite::statDatabaseFiles(source);
    if (!files.exists || files.bytes == 0) {
        std::cerr << "rescue: " << source.string() << (files.exists ? " is empty" : " does not exist")
                  << ": nothing to salvage there (a backup of kiosk.db, if any, is the only copy)\n";
        return DataError;
    }
    std::error_code ec;
    if (std::filesystem::exists(to, ec) && !std::filesystem::is_empty(to, ec)) {
        std::cerr << "rescue: " << to.string() << " is not empty; name a new or empty folder\n";
        return Usage;
    }
    if (std::filesystem::equivalent(to, *root, ec)) {
        std::cerr << "rescue: the new store cannot go into the damaged store's folder\n";
        return Usage;
    }
    std::filesystem::create_directories(to, ec);
    if (ec || ::chmod(to.c_str(), 0700) != 0) {
        std::cerr << "rescue: cannot create " << to.string() << ": " << (ec ? ec.message() : std::strerror(errno)) << "\n";
        return DataError;
    }

    // 1. A copy of the damaged files: the original is only read.
    const auto work = to / "rescue-work";
    std::filesystem::create_directory(work, ec);
    const auto copy = work / "damaged.db";
    if (!copyFile(source, copy, error)) {
        std::cerr << "rescue: " << error << "\n";
        return DataError;
    }
    auto finding = edsync::sqlite::inspectDatabaseFiles(source);
    auto wal = source;
    wal += "-wal";
    const bool walForeign = finding && finding->file == wal;
    if (files.walBytes > 0) {
        if (withoutWal || walForeign) {
            std::cout << "leaving out " << wal.string() << (walForeign ? " (" + finding->problem + ")" : std::string(" (--without-wal)")) << "\n";
        } else {
            auto copyWal = copy;
            copyWal += "-wal";
            if (!copyFile(wal, copyWal, error)) {
                std::cerr << "rescue: " << error << "\n";
                return DataError;
            }
        }
    }

    const std::filesystem::path readFrom = copy;
    const std::string method = "read row by row from a copy of the damaged file";

    // 3. A new store by this build's migrations, filled table by table.
    auto from = edsync::sqlite::Database::openReadOnly(readFrom);
    if (!from) {
        std::cerr << "rescue: the damaged file cannot be read at all: " << from.error().message << "\n";
        return StoreDamaged;
    }
    const auto target = to / "kiosk.db";
    auto into = edsync::sqlite::Database::open(target);
    if (!into) {
        std::cerr << "rescue: cannot make " << target.string() << ": " << into.error().describe() << "\n";
        return DataError;
    }
    if (auto v = store::migrateAll(*into); !v) {
        std::cerr << "rescue: cannot make the new store: " << v.error().describe() << "\n";
        return DataError;
    }
    // The kiosk's own identity comes from the damaged store, not a new one.
    if (auto s = into->exec("DELETE FROM kiosk_meta;"); !s) {
        std::cerr << "rescue: " << s.error().describe() << "\n";
        return DataError;
    }
    auto tallies = edsync::sqlite::salvageRows(*from, *into, {"schema_migrations"});
    if (!tallies) {
        std::cerr << "rescue: writing the new store failed: " << tallies.error().describe() << "\n";
        return DataError;
    }
    from = edsync::sqlite::Database::openInMemory();  // closes the recovered copy before it is removed
    into = edsync::sqlite::Database::openInMemory();
    std::filesystem::remove_all(work, ec);  // copies of personal data

    auto rescued = store::Store::open(target);
    if (!rescued) {
        std::cerr << "rescue: the new store does not open: " << rescued.error().describe() << "\n";
        return DataError;
    }
    auto pending = edsync::outbox::counts(rescued->db());

    std::cout << "rescued into " << target.string() << " (" << method << ")\n";
    std::cout << "table: recovered / lost\n";
    bool anyLost = false;
    nlohmann::json detail = nlohmann::json::object();
    for (const auto& t : *tallies) {
        std::string lost;
        if (t.counted) {
            auto n = std::max<std::int64_t>(0, *t.counted - t.copied - t.duplicates);
            lost = std::to_string(n);
            anyLost = anyLost || n > 0;
        } else if (t.unreadable > 0 || t.refused > 0) {
            lost = "unknown (damaged pages)";
            anyLost = true;
        } else {
            lost = "0";
        }
        if (t.refused > 0) {
            lost += ", " + std::to_string(t.refused) + " damaged row(s) refused";
            anyLost = true;
        }
        std::cout << "  " << t.table << ": " << t.copied << " / " << lost << "\n";
        detail[t.table] = {{"recovered", t.copied}, {"lost", lost}};
    }
    if (pending) std::cout << "records waiting for the state kept: " << pending->pending << " (needs attention: " << pending->needsAttention << ")\n";
    if (auto a = service::SecurityService(*rescued, domain::systemNow).audit("technician", "store.rescued", nlohmann::json{{"tables", detail}}.dump()); !a)
        std::cerr << "rescue: note: the rescue could not be added to the new store's audit log: " << a.error().describe() << "\n";
    std::cout << "The damaged files are unchanged. Next: stop the kiosk and its sync service, move " << source.string()
              << " (and its -wal, -shm, .id) aside, copy kiosk.db and kiosk.db.id from " << to.string() << " into "
              << root->string() << ", give them to the kiosk user, and start again. Then run `testsite-kioskctl sync`.\n";
    return anyLost ? Partial : Ok;
}

} // namespace

void addRescueCommand(CLI::App& app, Context& ctx) {
    auto to = std::make_shared<std::filesystem::path>();
    auto withoutWal = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("rescue", "Salvage a damaged database into a new store in DIR: every row that can be read, counted "
                                             "per table (recovered / lost); the damaged files stay untouched.\nExit: 0 nothing lost, "
                                             "2 some rows lost or unknown");
    cmd->add_option("--to", *to, "A new or empty folder for the rescued store")->required();
    cmd->add_flag("--without-wal", *withoutWal, "Leave kiosk.db-wal out (e.g. it belongs to another database)");
    cmd->callback([&ctx, to, withoutWal] { ctx.action = [&ctx, to, withoutWal] { return rescue(ctx, *to, *withoutWal); }; });
}

} // namespace kiosk::app::ctl
