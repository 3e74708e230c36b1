// status: the whole picture for a technician, or for a script (--json).
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/service/clock_watch.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/app/commands/failed_records.hpp"

#include "kiosk/app/sync_lock.hpp"
#include "kiosk/app/version.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/edfi/engine.hpp"
#include "sync/edfi/store.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <sys/statvfs.h>

namespace kiosk::app::ctl {

namespace {

constexpr std::array<std::int64_t, 4> kAgeBounds{3600, 86400, 3 * 86400, 7 * 86400};
constexpr std::array<const char*, 5> kAgeNames{"under 1 hour", "1 hour to 1 day", "1 to 3 days", "3 to 7 days", "over 7 days"};

std::string humanBytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    std::ostringstream out;
    out << std::fixed << std::setprecision(u == 0 ? 0 : 1) << v << " " << units[u];
    return out.str();
}

std::uint64_t fileSize(const std::filesystem::path& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
}

int status(Context& ctx, bool asJson) {
    int code = Ok;
    auto store = ctx.openStoreForReading(code);
    if (!store) return code;
    auto& db = store->db();
    // The full check (every index against its rows); opening ran the quick one.
    auto integrity = db.checkIntegrity(edsync::sqlite::Database::Check::Full);
    if (integrity && !integrity->empty()) {
        reportDamagedStore(db.path().string() + " is damaged (SQLite's integrity_check: " + integrity->front() + ")");
        return StoreDamaged;
    }
    service::SessionQueries queries(*store);
    auto sessions = queries.sessions();
    auto byResource = edsync::outbox::countsByResource(db);
    auto totals = edsync::outbox::counts(db);
    auto oldest = edsync::outbox::oldestWaiting(db, 5);
    auto byAge = edsync::outbox::waitingByAge(db, kAgeBounds);
    auto attention = edsync::outbox::attentionList(db, 5);
    auto events = store::eventCount(db);
    auto failed = service::SyncQueries(*store).failedRecords(20);
    if (!sessions || !byResource || !totals || !oldest || !byAge || !attention || !events || !failed) {
        std::cerr << "status: cannot read the store\n";
        return DataError;
    }
    edsync::edfi::ContactRecord contact;
    std::optional<edsync::edfi::DownloadRecord> download;
    if (db.readOnly() || edsync::edfi::migrate(db)) {
        if (auto c = edsync::edfi::loadContact(db)) contact = *c;
        if (auto d = edsync::edfi::loadDownload(db)) download = *d;
    }
    auto audit = store::verifyAudit(db);
    auto clock = service::clockHealth(db);
    const std::int64_t now = nowUnixMs();

    nlohmann::json j;
    j["version"] = version();
    j["kioskId"] = store->kioskId();
    j["site"] = {{"id", store->siteId()}, {"name", store->siteName()}};
    j["schemaVersion"] = store->schemaVersion();
    j["database"] = db.path().string();
    j["databaseCheck"] = {{"integrity", integrity ? "ok" : integrity.error().describe()}, {"readOnly", db.readOnly()}};
    j["events"] = *events;

    // Enrolment
    std::string why;
    auto config = ctx.config(why);
    nlohmann::json enrol = {{"enrolled", config && config->state.has_value()}};
    if (auto file = ctx.configFile()) enrol["configFile"] = file->string();
    if (config) {
        enrol["kioskName"] = config->kioskName;
        if (config->state) {
            enrol["baseUrl"] = config->state->baseUrl;
            enrol["caBundle"] = config->state->caBundle ? config->state->caBundle->string() : "";
        }
        if (config->site) enrol["siteId"] = config->site->id;
    } else {
        enrol["problem"] = why;
    }
    j["enrolment"] = enrol;

    // Contact with the state
    nlohmann::json contactJson = nlohmann::json::object();
    contactJson["lastContactUnixMs"] = contact.lastSuccessUnixMs ? nlohmann::json(*contact.lastSuccessUnixMs) : nlohmann::json();
    contactJson["clockOffsetMs"] = contact.clockOffsetMs ? nlohmann::json(*contact.clockOffsetMs) : nlohmann::json();
    contactJson["clockWarning"] = contact.clockOffsetMs && std::llabs(*contact.clockOffsetMs) > edsync::edfi::kClockWarningMs;
    contactJson["lastPullUnixMs"] = contact.lastPullUnixMs ? nlohmann::json(*contact.lastPullUnixMs) : nlohmann::json();
    contactJson["dataModelVersion"] = contact.dataModelVersion;
    j["contact"] = contactJson;
    // The last roster download: when, how (change queries / full), how much, and why it failed.
    if (download)
        j["download"] = {{"atUnixMs", download->atUnixMs}, {"mode", download->mode}, {"records", download->records},
                         {"complete", download->complete}, {"error", download->error}};
    else
        j["download"] = nullptr;

    // The site hub (a site of several machines): as the site link last reported it.
    std::optional<service::SiteHubSummary> hub;
    if (config && config->hub) {
        if (auto h = service::SyncQueries(*store).siteHub(now)) hub = *h;
        nlohmann::json hubJson = {{"servers", config->hub->servers}};
        if (hub) {
            hubJson["linked"] = hub->linked;
            hubJson["connected"] = hub->connected;
            hubJson["lastContactUnixMs"] =
                hub->lastContact ? nlohmann::json(hub->lastContact->time_since_epoch().count()) : nlohmann::json();
            hubJson["uploader"] = hub->uploader.empty() ? nlohmann::json() : nlohmann::json(hub->uploader);
            hubJson["thisKioskUploads"] = hub->thisKioskUploads;
            hubJson["eventsBehind"] = hub->behind;
            hubJson["secondsBehind"] = hub->secondsBehind ? nlohmann::json(*hub->secondsBehind) : nlohmann::json();
            hubJson["eventsNotShared"] = hub->unshared;
        } else {
            hubJson["linked"] = false;
        }
        j["hub"] = hubJson;
    }

    // Background sync (who holds the database's sync lock)
    std::optional<SyncLock::Holder> holder;
    std::string lockError;
    nlohmann::json syncJson = nlohmann::json::object();
    if (!db.readOnly()) {
        auto lock = SyncLock::tryAcquire(db.path().parent_path(), "kioskctl", holder, lockError);
        syncJson["running"] = !lock && lockError.empty();
        if (holder) {
            syncJson["pid"] = holder->pid;
            syncJson["by"] = holder->role;
        }
    }
    j["sync"] = syncJson;

    j["sessions"] = nlohmann::json::array();
    for (const auto& s : *sessions)
        j["sessions"].push_back({{"id", s.info.sessionId}, {"title", s.info.title}, {"room", s.info.room},
                                 {"start", domain::formatUtc(s.info.scheduledStart)}, {"students", s.counts.total()},
                                 {"present", s.counts.present}, {"checkedOut", s.counts.checkedOut}, {"noShow", s.counts.noShow},
                                 {"signedOff", s.info.signedOffAt.has_value()}});
    j["outbox"] = nlohmann::json::object();
    for (const auto& [resource, c] : *byResource)
        j["outbox"][resource] = {{"pending", c.pending}, {"inFlight", c.inFlight}, {"synced", c.synced}, {"needsAttention", c.needsAttention}};
    j["waiting"] = totals->pending;
    j["needsAttention"] = totals->needsAttention;
    j["waitingByAge"] = nlohmann::json::array();
    for (std::size_t i = 0; i < byAge->size(); ++i)
        j["waitingByAge"].push_back({{"age", kAgeNames[i]}, {"upToSeconds", i < kAgeBounds.size() ? nlohmann::json(kAgeBounds[i]) : nlohmann::json()},
                                     {"count", (*byAge)[i]}});
    j["oldestWaiting"] = nlohmann::json::array();
    for (const auto& w : *oldest) j["oldestWaiting"].push_back({{"resource", w.resource}, {"since", w.firstQueuedAt}, {"attempts", w.attempts}});
    j["attention"] = nlohmann::json::array();
    for (const auto& a : *attention)
        j["attention"].push_back({{"resource", a.resource}, {"naturalKey", a.naturalKey}, {"httpStatus", a.httpStatus}});
    // Refused or waiting on a retry, with the student and date and the server's words.
    j["failed"] = failedRecordsJson(*failed);

    // Disk
    nlohmann::json disk;
    const auto dataRoot = db.path().parent_path();
    disk["dataDir"] = dataRoot.string();
    struct statvfs vfs {};
    if (::statvfs(dataRoot.c_str(), &vfs) == 0) {
        disk["freeBytes"] = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        disk["totalBytes"] = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    }
    auto walPath = db.path();
    walPath += "-wal";
    disk["databaseBytes"] = fileSize(db.path()) + fileSize(walPath);
    j["disk"] = disk;

    // Audit chain
    nlohmann::json auditJson;
    if (audit) {
        auditJson = {{"intact", audit->intact}, {"entries", audit->entries}};
        if (!audit->intact) {
            auditJson["brokenAtSeq"] = *audit->brokenAtSeq;
            auditJson["problem"] = audit->problem;
        }
    } else {
        auditJson = {{"intact", false}, {"problem", audit.error().describe()}};
    }
    // The head ("SEQ:first 16 hex of its hash"), to be copied somewhere the
    // database's owner cannot rewrite; verify-audit --printed-head checks it later.
    auto auditHead = store::printableAuditHead(db);
    if (auditHead && !auditHead->empty()) {
        auditJson["head"] = *auditHead;
        auditJson["headSeq"] = std::stoll(auditHead->substr(0, auditHead->find(':')));
    }
    j["audit"] = auditJson;

    // This machine's clock moving back, as its own events saw it
    nlohmann::json clockJson = nlohmann::json::object();
    if (clock) {
        clockJson["movedBack"] = clock->movedBack;
        clockJson["lastMovedBackAt"] = clock->lastAt ? nlohmann::json(domain::formatUtc(*clock->lastAt)) : nlohmann::json();
        clockJson["lastMovedBackSeconds"] = clock->lastSeconds;
    } else {
        clockJson["problem"] = clock.error().describe();
    }
    j["clock"] = clockJson;

    if (asJson) {
        std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return Ok;
    }

    auto& out = std::cout;
    out << "TestSite Kiosk " << version() << " · kiosk " << store->kioskId() << "\n";
    out << "site " << (store->siteName().empty() ? "(none)" : printable(store->siteName())) << " (" << printable(store->siteId()) << ")\n";
    if (config && config->state) {
        out << "enrolment: " << printable(config->kioskName) << " → " << printable(config->state->baseUrl) << " (config "
            << printable(config->source.string()) << ")\n";
    } else {
        out << "enrolment: NOT ENROLLED — " << printable(config ? "no [state] section in " + config->source.string() : why) << "\n";
    }
    if (contact.lastSuccessUnixMs) {
        out << "last contact with the state: " << formatAgo(*contact.lastSuccessUnixMs, now);
        if (contact.clockOffsetMs) {
            out << " · this clock is " << std::llabs(*contact.clockOffsetMs) / 1000 << " s "
                << (*contact.clockOffsetMs > 0 ? "behind" : "ahead of") << " the server";
            if (std::llabs(*contact.clockOffsetMs) > edsync::edfi::kClockWarningMs) out << "  ← FIX THE CLOCK (over 5 minutes off)";
        }
        out << "\n";
    } else {
        out << "last contact with the state: never\n";
    }
    if (clock && clock->movedBack > 0)
        out << "WARNING: this kiosk's clock moved back " << clock->movedBack << " time(s), the last by " << clock->lastSeconds << " s"
            << (clock->lastAt ? " (noticed at " + domain::formatUtc(*clock->lastAt) + ")" : std::string())
            << ": check the clock. Events keep the times recorded; a check-out recorded before its check-in reaches the state ending at"
               " the check-in (audit-log shows each jump)\n";
    if (download) {
        // Kept from a server's answer: control characters never reach the terminal.
        out << "last download: " << formatAgo(download->atUnixMs, now) << " · " << edsync::edfi::sanitizeText(download->mode, 100) << " · "
            << download->records
            << " record(s) · " << (download->complete ? "complete" : "INCOMPLETE") << "\n";
        if (!download->error.empty()) out << "  download error: " << edsync::edfi::sanitizeText(download->error, 2000) << "\n";
    } else {
        out << "last download: never\n";
    }
    if (config && config->hub) {
        out << "site hub " << printable(config->hub->servers.empty() ? std::string("?") : config->hub->servers.front()) << ": ";
        if (!hub) {
            out << "no report yet (the sync service links this kiosk to the hub when it runs)\n";
        } else {
            out << (!hub->linked ? "NOT LINKED now (no sync process runs the link)" : hub->connected ? "connected" : "NOT REACHABLE (this kiosk keeps working and queueing)");
            if (hub->lastContact) out << " · last contact " << formatAgo(hub->lastContact->time_since_epoch().count(), now);
            out << "\n  uploader: "
                << (hub->thisKioskUploads ? std::string("this kiosk") : hub->uploader.empty() ? std::string("none at the moment") : printable(hub->uploader))
                << " · site events not applied here: " << hub->behind
                << (hub->behind > 0 && hub->secondsBehind ? " (" + std::to_string(*hub->secondsBehind) + " s behind the newest)" : std::string())
                << " · this kiosk's events not yet shared: " << hub->unshared
                << "\n  (testsite-kioskctl site lists every machine of the site)\n";
        }
    }
    if (syncJson.value("running", false))
        out << "background sync: running" << (holder ? " (" + printable(holder->role) + ", pid " + std::to_string(holder->pid) + ")" : std::string()) << "\n";
    else
        out << "background sync: not running\n";
    out << "database " << db.path().string() << " · schema " << store->schemaVersion() << " · " << *events << " event(s) · "
        << humanBytes(disk.value("databaseBytes", std::uint64_t{0})) << "\n";
    if (disk.contains("freeBytes"))
        out << "disk: " << humanBytes(disk["freeBytes"].get<std::uint64_t>()) << " free of " << humanBytes(disk["totalBytes"].get<std::uint64_t>())
            << "\n";
    out << "database check: " << (integrity ? "ok (integrity_check)" : "not run: " + integrity.error().describe())
        << (db.readOnly() ? " · READ-ONLY here: nothing can be saved on this disk" : "") << "\n";
    if (audit && audit->intact) out << "audit chain: intact, " << audit->entries << " entries\n";
    else out << "audit chain: BROKEN " << printable(auditJson.value("problem", "")) << " (run verify-audit)\n";
    if (auditJson.contains("head"))
        out << "audit head: " << auditJson["head"].get<std::string>() << " (a copy kept elsewhere is checked by `verify-audit --printed-head`)\n";

    out << "\nrecords waiting for the state: " << totals->pending << " · needs attention: " << totals->needsAttention << "\n";
    for (std::size_t i = 0; i < byAge->size(); ++i)
        if ((*byAge)[i] > 0) out << "  waiting " << kAgeNames[i] << ": " << (*byAge)[i] << "\n";
    if (!oldest->empty()) {
        out << "oldest waiting:\n";
        for (const auto& w : *oldest) out << "  " << printable(w.resource) << " since " << w.firstQueuedAt << " (" << w.attempts << " attempt(s))\n";
    }
    if (!failed->empty()) {
        out << "not taken by the state yet (refused ones need a person; see also the kiosk's sync screen):\n";
        printFailedRecords(out, *failed);
    }
    out << "\nrecords for the state (pending / in flight / synced / needs attention):\n";
    if (byResource->empty()) out << "  none yet\n";
    for (const auto& [resource, c] : *byResource)
        out << "  " << printable(resource) << ": " << c.pending << " / " << c.inFlight << " / " << c.synced << " / " << c.needsAttention << "\n";
    out << "\nsessions:\n";
    if (sessions->empty()) out << "  none\n";
    for (const auto& s : *sessions)
        out << "  " << printable(s.info.sessionId) << "  " << printable(s.info.title) << " · " << printable(s.info.room) << " · " << s.counts.total() << " students, "
            << s.counts.present << " present, " << s.counts.checkedOut << " checked out, " << s.counts.noShow << " no-show"
            << (s.info.signedOffAt ? " · signed off" : "") << "\n";
    return Ok;
}

} // namespace

void addStatusCommand(CLI::App& app, Context& ctx) {
    auto asJson = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("status", "Everything a technician needs: version, enrolment, last contact and clock, records waiting "
                                             "by age, needs attention, disk, audit chain");
    cmd->add_flag("--json", *asJson, "Machine-readable output");
    cmd->callback([&ctx, asJson] { ctx.action = [&ctx, asJson] { return status(ctx, *asJson); }; });
}

} // namespace kiosk::app::ctl
