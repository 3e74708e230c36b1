// sync (one pass now), serve (the background sync service under systemd).
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/commands/failed_records.hpp"

#include "kiosk/app/printable.hpp"
#include "kiosk/app/sd_notify.hpp"
#include "kiosk/app/sync_lock.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/app/version.hpp"
#include "kiosk/domain/time.hpp"
#include "kiosk/store/store_files.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync/outbox/outbox.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <pthread.h>
#include <thread>

namespace kiosk::app::ctl {

namespace {

// A kiosk of a site with a hub uploads only as the site's uploader, with the
// site's whole picture: join, catch up, and ask for the lease before a pass.
void waitForSiteLink(edsync::site::SiteLink& link) {
    link.setWantLease(true);
    link.start();
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    edsync::site::SiteLinkStatus st;
    for (;;) {
        st = link.status();
        bool caughtUp = st.connected && st.consumerPending == 0 && st.unpublished == 0;
        bool otherHolder = st.leaseHolder && !st.leaseHolder->empty() && !st.holdsLease;
        if ((caughtUp && st.holdsLease) || otherHolder || std::chrono::steady_clock::now() >= until) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a status snapshot, bounded above
    }
    std::cout << "site hub: " << (st.connected ? "reachable" : "NOT reachable") << " · " << st.unpublished
              << " event(s) of this kiosk not yet in the site log · " << st.consumerPending << " of the site's not yet applied here\n";
}

// `sync --now`: records a server's Retry-After put off go at once (the
// technician knows the outage is over). Written to the database, so a
// running service picks them up too.
bool expediteWaiting(Context& ctx, int& code) {
    auto store = ctx.openStore(code);
    if (!store) return false;
    auto moved = edsync::outbox::expediteAllRetries(store->db(), nowUnixMs());
    if (!moved) {
        std::cerr << "sync: " << moved.error().describe() << "\n";
        code = DataError;
        return false;
    }
    if (*moved > 0) std::cout << "sync: " << *moved << " record(s) held back by the server's Retry-After are due now\n";
    return true;
}

int syncOnce(Context& ctx, bool now) {
    int code = Ok;
    auto dir = ctx.dataDir(code);
    if (!dir) return code;
    std::string why;
    auto config = ctx.config(why);
    if (!config) {
        std::cerr << "sync: " << printable(why) << "\n";
        return ctx.configFile() ? InputError : Usage;
    }
    if (now && !expediteWaiting(ctx, code)) return code;
    std::optional<SyncLock::Holder> holder;
    std::string lockError;
    auto lock = SyncLock::tryAcquire(dir->root, "kioskctl", holder, lockError);
    if (!lock) {
        if (!lockError.empty()) {
            std::cerr << "sync: " << lockError << "\n";
            return DataError;
        }
        // Only the service takes SIGUSR1 as "sync now" (it would end any other process).
        if (holder && holder->role == "serve" && ::kill(holder->pid, SIGUSR1) == 0) {
            std::cout << "sync: the background sync service (pid " << holder->pid
                      << ") is running and was asked to sync now; `testsite-kioskctl status` shows the result\n";
        } else {
            std::cout << "sync: another process (" << (holder ? printable(holder->role) + " pid " + std::to_string(holder->pid) : std::string("unknown"))
                      << ") is syncing this kiosk's data; `testsite-kioskctl status` shows the result\n";
        }
        return ServiceAsked;
    }
    auto store = ctx.openStore(code);
    if (!store) return code;
    auto setup = makeSyncEngine(*config, store->db().path(), store->kioskId());
    if (!setup.engine) {
        std::cerr << "sync: " << printable(setup.error) << "\n";
        return InputError;
    }
    if (setup.site.link) waitForSiteLink(*setup.site.link);
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
    if (report.pull) {
        std::cout << "download (" << report.pull->mode() << (report.pull->snapshot ? ", snapshot" : "") << "): "
                  << report.pull->records() << " record(s)\n";
        if (!report.pull->changeQueries)
            std::cout << "  the server offers no change queries; every resource was read whole\n";
        for (const auto& r : report.pull->resources)
            std::cout << "  " << r.resource << ": " << (r.complete ? "up to date" : "incomplete") << ", " << r.changed << " changed, "
                      << r.deleted + r.removed << " deleted" << (r.full ? " (full read)" : "") << "\n";
    }
    if (setup.sink->skipped() > 0) std::cout << "  " << setup.sink->skipped() << " downloaded roster item(s) failed validation and were skipped\n";
    if (auto failed = service::SyncQueries(*store).failedRecords(20); failed && !failed->empty()) {
        std::cout << "not taken by the state yet:\n";
        printFailedRecords(std::cout, *failed);
    }
    // The message may quote the server: escaped for the terminal.
    if (!report.message.empty()) std::cout << printable(report.message) << "\n";
    return exitFor(report.result);
}

// Journal lines: "<N>" is the syslog level systemd reads from stderr
// (3 error, 4 warning, 5 notice, 6 info). No personal data: only states,
// counts and kinds of error — never a server message, which may quote a
// student's ID.
// Escaped whole, so no text can end the line early and forge another.
void journal(int level, const std::string& text) { std::cerr << "<" << level << ">" << printable(text) << "\n" << std::flush; }

std::string statusLine(const edsync::edfi::SyncStatus& s) {
    std::string line = std::string(edsync::edfi::toString(s.connection)) + " · " + std::to_string(s.counts.pending) + " waiting · " +
                       std::to_string(s.counts.needsAttention) + " need attention · " + std::to_string(s.counts.synced) + " synced";
    if (s.clockWarning) line += " · CLOCK OFF BY MORE THAN 5 MIN";
    return line;
}

int serve(Context& ctx, int standbySeconds, int integrityCheckSeconds) {
    // Signals are taken synchronously by this thread (sigtimedwait); every
    // thread started from here inherits the block.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGHUP}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    int code = Ok;
    auto dir = ctx.dataDir(code);
    if (!dir) return code;
    std::string why;
    auto config = ctx.config(why);
    if (!config || !config->state) {
        journal(3, "serve: " + (config ? "no [state] section in " + config->source.string() : why));
        return Usage;
    }
    std::string kioskId;
    {
        // Migrate before anything else: an upgrade's new schema is in place
        // before the engine's own connection opens.
        auto store = ctx.openStore(code);
        if (!store) return code;
        kioskId = store->kioskId();
        journal(6, "serve: TestSite Kiosk " + std::string(version()) + ", database schema " + std::to_string(store->schemaVersion()));
    }
    auto setup = makeSyncEngine(*config, dir->database(), kioskId);
    if (!setup.engine) {
        journal(3, "serve: " + setup.error);
        return InputError;
    }
    auto maintenance = edsync::sqlite::Database::open(dir->database());
    if (!maintenance) {
        journal(3, "serve: cannot open the database: " + maintenance.error().describe());
        return DataError;
    }

    const auto watchdog = watchdogInterval();
    const auto tick = std::chrono::milliseconds(1000);
    auto watchdogDue = std::chrono::steady_clock::now();
    auto petWatchdog = [&](bool healthy) {
        if (!watchdog || !healthy) return;
        auto now = std::chrono::steady_clock::now();
        if (now >= watchdogDue) {
            notifyWatchdog();
            watchdogDue = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*watchdog / 3);
        }
    };
    // Waits up to `wait` for a signal; returns it, or 0 on timeout.
    auto nextSignal = [&](std::chrono::milliseconds wait) {
        timespec ts{static_cast<time_t>(wait.count() / 1000), static_cast<long>((wait.count() % 1000) * 1'000'000)};
        siginfo_t info{};
        int s = sigtimedwait(&signals, &info, &ts);
        return s > 0 ? s : 0;
    };

    // One engine per database: the kiosk window may hold the lock (it syncs
    // by itself when it started first); wait in standby until it lets go.
    std::optional<SyncLock> lock;
    bool announcedStandby = false;
    bool ready = false;
    while (!lock) {
        std::optional<SyncLock::Holder> holder;
        std::string lockError;
        lock = SyncLock::tryAcquire(dir->root, "serve", holder, lockError);
        if (lock) break;
        if (!lockError.empty()) {
            journal(3, "serve: " + lockError);
            return DataError;
        }
        std::string standby = "standby: another process (" + (holder ? holder->role + " pid " + std::to_string(holder->pid) : std::string("?")) +
                              ") is syncing this kiosk's data";
        if (!announcedStandby) journal(5, "serve: " + standby);
        announcedStandby = true;
        if (!ready) notifyReady(standby);
        else notifyStatus(standby);
        ready = true;
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(standbySeconds);
        while (std::chrono::steady_clock::now() < until) {
            petWatchdog(true);
            int s = nextSignal(tick);
            if (s == SIGTERM || s == SIGINT) {
                notifyStopping();
                journal(6, "serve: stopped");
                return Ok;
            }
        }
    }

    // Server answers already written to the journal: those before this start.
    std::int64_t journalledUpTo =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (!setup.start()) {
        journal(3, "serve: cannot start sync: " + setup.error);
        return DataError;
    }
    auto engine = setup.engine.get();
    auto last = engine->status();
    if (!ready) notifyReady("starting: " + statusLine(last));
    else notifyStatus("starting: " + statusLine(last));
    journal(6, "serve: syncing with " + config->state->baseUrl + (watchdog ? ", watchdog on" : ""));

    auto lastWaitingCount = last.counts.pending;
    int failedChecks = 0;
    // A full integrity_check once a day (the open ran the quick one): a store
    // that went bad under a running service stops it before more is written.
    // --integrity-check-every shortens the day for tests (ops_serve_integrity).
    const auto checkEvery = std::chrono::seconds(integrityCheckSeconds);
    auto integrityDue = std::chrono::steady_clock::now() + checkEvery;
    // kiosk.db, its -wal and -shm removed or replaced under the service: what
    // it reaches is saved and it stops (kiosk/store/store_files.hpp).
    const auto storeFiles = store::identifyStoreFiles(dir->database());
    for (;;) {
        int s = nextSignal(tick);
        if (s == SIGTERM || s == SIGINT) break;
        if (auto changed = store::changedStoreFile(dir->database(), storeFiles)) {
            journal(2, "serve: " + changed->string() + " was removed or replaced while the service ran; sync stopped");
            notifyStopping();
            if (setup.site.link) setup.site.link->stop();  // the writers on their own connections first
            engine->stop();
            auto saved = store::saveAfterChange(*maintenance, dir->database(), storeFiles, domain::fileStamp(domain::systemNow()));
            if (saved) journal(saved->inPlace ? 4 : 2, "serve: everything this service reached is saved in " + saved->file.string());
            else journal(2, "serve: could not save what this service reached: " + saved.error().describe());
            return DataError;
        }
        if (s == SIGUSR1 || s == SIGHUP) {
            journal(6, "serve: sync requested");
            engine->syncNow();
            engine->requestPull();
        }
        if (std::chrono::steady_clock::now() >= integrityDue) {
            integrityDue = std::chrono::steady_clock::now() + checkEvery;
            auto findings = maintenance->checkIntegrity(edsync::sqlite::Database::Check::Full, 1);
            if (findings && !findings->empty()) {
                // SQLite's finding names pages and tables, never a row's content.
                journal(2, "serve: the database " + dir->database().string() + " is damaged (integrity_check: " + findings->front() +
                               "); sync stopped. Run `testsite-kioskctl rescue --to DIR` (README, \"A damaged database\")");
                notifyStopping();
                engine->stop();
                return StoreDamaged;
            }
            journal(findings ? 6 : 4, findings ? "serve: full database check: ok" : "serve: full database check could not run: " + findings.error().describe());
        }
        // New work committed by the kiosk window (another process): wake the engine.
        auto due = edsync::outbox::nextDueAt(*maintenance);
        auto counts = edsync::outbox::counts(*maintenance);
        bool healthy = due.ok() && counts.ok() && engine->running();
        failedChecks = healthy ? 0 : failedChecks + 1;
        if (due && *due) {
            auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
            if (**due <= nowMs) engine->wake();
        }
        // The watchdog is fed only while the engine runs and the database answers:
        // a wedged process is restarted by systemd (Restart=on-failure).
        petWatchdog(healthy);
        if (failedChecks == 3) journal(3, "serve: the database or the sync worker stopped answering; the watchdog will restart the service");

        auto now = engine->status();
        if (now.connection != last.connection) {
            int level = now.connection == edsync::edfi::SyncStatus::Connection::Online ? 6 : 4;
            if (now.connection == edsync::edfi::SyncStatus::Connection::AuthFailed) level = 3;
            journal(level, "serve: " + std::string(edsync::edfi::toString(now.connection)) + " · " + std::to_string(now.counts.pending) +
                               " waiting");
        }
        if (now.counts.needsAttention > last.counts.needsAttention)
            journal(4, "serve: " + std::to_string(now.counts.needsAttention) + " record(s) need attention (refused by the server)");
        // Each failed answer once: status, problem type and correlationId only
        // (the words and the record may name a student; they stay in status).
        if (auto replies = edsync::outbox::failedRecords(*maintenance, 50, journalledUpTo)) {
            for (const auto& r : *replies) {
                journal(r.state == edsync::outbox::State::NeedsAttention ? 4 : 5,
                        "serve: not taken by the server (" + std::string(edsync::outbox::opName(r.op)) + " of " +
                            edsync::edfi::loggableToken(r.resource, 100) + "): " +
                            edsync::edfi::journalLine(r.reply.httpStatus, r.reply.problemType, r.reply.correlationId) +
                            (r.state == edsync::outbox::State::NeedsAttention ? " (needs attention)" : " (will retry)"));
                if (r.reply.atUnixMs) journalledUpTo = std::max(journalledUpTo, *r.reply.atUnixMs);
            }
        }
        if (now.counts.pending == 0 && lastWaitingCount > 0) journal(6, "serve: all records synced");
        lastWaitingCount = now.counts.pending;
        notifyStatus(statusLine(now));
        last = now;
    }
    notifyStopping();
    engine->stop();
    journal(6, "serve: stopped");
    return Ok;
}

} // namespace

int runSyncPass(Context& ctx) { return syncOnce(ctx, false); }

void addSyncCommands(CLI::App& app, Context& ctx) {
    auto* syncCmd = app.add_subcommand("sync", "Run one sync pass with the state's Ed-Fi API (upload, then roster download). "
                                            "With the background service running, asks it to sync now (exit 10)");
    auto now = std::make_shared<bool>(false);
    syncCmd->add_flag("--now", *now, "Also send records a server's Retry-After put off (after an outage is over)");
    syncCmd->callback([&ctx, now] { ctx.action = [&ctx, now] { return syncOnce(ctx, *now); }; });

    auto standby = std::make_shared<int>(5);
    auto* serveCmd = app.add_subcommand("serve", "Run the sync engine until SIGTERM (the testsite-kiosk-sync service): notifies systemd "
                                              "(READY, WATCHDOG, STATUS), logs to the journal; SIGUSR1 syncs now");
    serveCmd->add_option("--standby-check", *standby, "Seconds between looks at the sync lock while another process syncs")
        ->check(CLI::Range(1, 3600));
    auto integrityEvery = std::make_shared<int>(24 * 3600);
    serveCmd->add_option("--integrity-check-every", *integrityEvery,
                         "Seconds between full integrity checks of the database (default a day; tests shorten it)")
        ->check(CLI::Range(1, 7 * 24 * 3600));
    serveCmd->callback([&ctx, standby, integrityEvery] {
        ctx.action = [&ctx, standby, integrityEvery] { return serve(ctx, *standby, *integrityEvery); };
    });
}

} // namespace kiosk::app::ctl
