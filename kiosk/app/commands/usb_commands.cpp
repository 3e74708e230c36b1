// export-pending, import-pending: the USB fallback for a kiosk that cannot
// reach the state. See pending_bundle.hpp for the file and its keys.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/commands/failed_records.hpp"
#include "kiosk/store/record_subject.hpp"

#include "kiosk/app/bundle_upload.hpp"
#include "kiosk/app/site_wiring.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/app/pending_bundle.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/app/privileges.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/site_apply.hpp"
#include "kiosk/store/site_facts.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/site/site_store.hpp"
#include "kiosk/store/ids.hpp"
#include "sync/core/files.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <iostream>
#include <memory>

namespace kiosk::app::ctl {

namespace {

// 100,000 waiting records of a few KiB each fit many times over; a bigger
// file is refused before its body is read.
constexpr std::size_t kMaxFileBytes = 256u << 20;

std::optional<SiteKey> siteKeyFor(const KioskConfig& config, std::string& why) {
    std::filesystem::path file = config.site && config.site->keyFile ? *config.site->keyFile : config.source.parent_path() / "site.key";
    return readSiteKey(file, why);
}

int exportPending(Context& ctx, const std::filesystem::path& file) {
    int code = Ok;
    auto store = ctx.openStoreForReading(code);
    if (!store) return code;
    std::string why;
    auto config = ctx.config(why);
    if (!config) {
        std::cerr << "export-pending: " << why << "\n";
        return Usage;
    }
    auto key = siteKeyFor(*config, why);
    if (!key) {
        std::cerr << "export-pending: " << why << "\n";
        return InputError;
    }
    auto pending = edsync::outbox::pendingRecords(store->db());
    if (!pending) {
        std::cerr << "export-pending: cannot read the outbox: " << pending.error().describe() << "\n";
        return DataError;
    }
    if (pending->empty()) {
        std::cout << "export-pending: nothing is waiting for the state; no file written\n";
        return Ok;
    }
    PendingBundle bundle;
    bundle.manifest.kioskId = store->kioskId();
    bundle.manifest.kioskName = config->kioskName;
    bundle.manifest.siteId = config->site ? config->site->id : store->siteId();
    bundle.manifest.siteName = store->siteName();
    bundle.manifest.createdAt = domain::formatUtc(domain::systemNow());
    for (auto& r : *pending)
        bundle.records.push_back({r.resource, r.naturalKey, r.version, std::move(r.json), std::move(r.etag), std::move(r.identity)});
    auto facts = store::allFacts(store->db());
    if (!facts) {
        std::cerr << "export-pending: cannot read the events: " << facts.error().describe() << "\n";
        return DataError;
    }
    for (auto& f : *facts) bundle.facts.push_back(std::move(f.json));
    std::string sealed = sealBundle(bundle, *key);
    std::string error;
    bool written = false;
    {
        AsInvoker invoker;  // the stick belongs to whoever ran the command, not to the kiosk user
        // fsynced before the rename: a USB stick may be pulled right after.
        auto w = edsync::files::writeAtomically(file, sealed, 0600);
        written = w.ok();
        if (!w) error = w.error();
    }
    if (!written) {
        std::cerr << "export-pending: " << printable(error) << "\n";
        return DataError;
    }
    if (ctx.storeReadOnly()) {
        // The records must leave even when nothing can be written here; the
        // file's signed manifest is the record of this export.
        std::cerr << "export-pending: note: this export is not in the audit log (the store is read-only here)\n";
    } else {
        service::SecurityService security(*store, domain::systemNow);
        if (auto a = security.audit("technician", "usb.export",
                                    nlohmann::json{{"records", bundle.records.size()}, {"file", file.filename().string()}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            !a) {
            // Records leaving the kiosk unrecorded is what the audit log is for: the file goes.
            AsInvoker invoker;
            std::error_code ignored;
            std::filesystem::remove(file, ignored);
            std::cerr << "export-pending: no file written, the audit log cannot be written: " << a.error().describe() << "\n";
            return DataError;
        }
    }
    std::cout << "wrote " << bundle.records.size() << " waiting record(s) and " << bundle.facts.size() << " event(s) to " << file.string()
              << " (signed and encrypted for site "
              << bundle.manifest.siteId << ")\n"
              << "Take it to another enrolled kiosk of this site with a network and run: testsite-kioskctl import-pending "
              << file.filename().string() << "\n"
              << "This kiosk keeps the records and sends them itself when it is online again; the state keeps one copy of each.\n";
    return Ok;
}

struct FactTally {
    int added = 0;
    int known = 0;
    int waiting = 0;  // refer to what this kiosk has not got (a session from a roster it lacks), or could not be applied
    int refused = 0;  // malformed
};

// The file's slice of the site log joins this kiosk's: each event once (by
// its id), its projections and records for the state rebuilt here from the
// union; on a site with a hub each new one goes on to the site log too.
FactTally addFacts(store::Store& store, const KioskConfig& config, const std::vector<std::string>& facts) {
    FactTally tally;
    std::optional<store::CatalogueDocument> catalogue;
    if (auto saved = store::savedCatalogue(store.db()); saved && *saved) catalogue = store::parseCatalogue(**saved).document;
    service::SiteApplier applier(store, [&catalogue]() -> const store::CatalogueDocument* { return catalogue ? &*catalogue : nullptr; },
                                 siteCredentialSeal(config));
    std::vector<std::string> parked;  // event ids waiting here
    for (const auto& payload : facts) {
        // Decoded once here for its id and subject; the applier checks it whole.
        auto decoded = store::decodeFact(payload);
        auto tx = edsync::sqlite::Transaction::begin(store.db());
        if (!tx) {
            ++tally.waiting;
            continue;
        }
        auto out = applier.applyWithin(payload);
        if (!out.ok()) {
            ++tally.waiting;  // rolled back with the transaction
            continue;
        }
        if (out.what == service::ApplyOutcome::What::Applied && config.hub && decoded.fact) {
            if (auto queued = edsync::site::enqueue(store.db(), decoded.fact->eventId, store::factSubject(decoded.fact->type), payload);
                !queued) {
                ++tally.waiting;
                continue;
            }
        }
        if (auto s = tx->commit(); !s) {
            ++tally.waiting;
            continue;
        }
        switch (out.what) {
        case service::ApplyOutcome::What::Applied: ++tally.added; break;
        case service::ApplyOutcome::What::Duplicate: ++tally.known; break;
        case service::ApplyOutcome::What::Parked:
            if (decoded.fact) parked.push_back(decoded.fact->eventId);
            break;
        case service::ApplyOutcome::What::Refused: ++tally.refused; break;
        default: break;
        }
    }
    // A fact can wait for one later in the file (a correction before the event
    // it withdraws): what is still parked after the retry is what waits.
    applier.retryParked();
    for (const auto& id : parked) {
        auto still = store.db().prepare("SELECT 1 FROM site_parked WHERE event_id = ?1;");
        if (!still) {
            ++tally.waiting;
            continue;
        }
        still->bind(1, id);
        auto row = still->step();
        if (!row || *row) ++tally.waiting;
        else ++tally.added;
    }
    return tally;
}

int importPending(Context& ctx, const std::filesystem::path& file) {
    int code = Ok;
    auto dir = ctx.dataDir(code);
    if (!dir) return code;
    std::string bytes;
    {
        AsInvoker invoker;  // the stick belongs to whoever ran the command
        auto read = edsync::files::readBounded(file, {.maxBytes = kMaxFileBytes, .magic = kBundleMagic, .jsonObject = false,
                                                     .kind = "a TestSite Kiosk export of pending records; refused"});
        if (!read) {
            std::cerr << "import-pending: " << printable(read.error()) << "\n";
            return InputError;
        }
        bytes = std::move(read.value());
    }
    auto store = ctx.openStore(code);
    if (!store) return code;
    std::string why;
    auto config = ctx.config(why);
    if (!config || !config->state) {
        std::cerr << "import-pending: " << (config ? "this kiosk has no [state] section; enrol it first" : why) << "\n";
        return Usage;
    }
    auto key = siteKeyFor(*config, why);
    if (!key) {
        std::cerr << "import-pending: " << why << "\n";
        return InputError;
    }
    auto opened = openBundle(bytes, *key);
    service::SecurityService security(*store, domain::systemNow);
    if (!opened) {
        const auto& e = opened.error();
        std::cerr << "import-pending: " << printable(file.filename().string()) << ": " << printable(e.message) << "\n";
        // Nothing was done, so there is nothing to undo; a refusal the log
        // cannot hold is still a refusal.
        if (auto a = security.audit("technician", "usb.import_refused",
                                    nlohmann::json{{"file", file.filename().string()}, {"reason", static_cast<int>(e.kind)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            !a)
            std::cerr << "import-pending: the audit log cannot be written: " << a.error().describe() << "\n";
        return exitFor(e.kind);
    }
    const auto& m = opened->manifest;
    std::cout << "verified: " << opened->records.size() << " record(s) from kiosk " << printable(m.kioskName.empty() ? m.kioskId : m.kioskName)
              << " (" << printable(m.kioskId) << ") of site " << printable(m.siteId) << ", exported " << printable(m.createdAt)
              << "; every record matches its hash\n";

    if (!opened->facts.empty()) {
        auto facts = addFacts(*store, *config, opened->facts);
        std::cout << "events: " << facts.added << " added here, " << facts.known << " already here, " << facts.waiting
                  << " waiting for what this kiosk lacks, " << facts.refused << " refused\n";
        if (auto a = security.audit("technician", "usb.import_events",
                                    nlohmann::json{{"fromKiosk", m.kioskId}, {"added", facts.added}, {"known", facts.known},
                                                   {"waiting", facts.waiting}, {"refused", facts.refused}}
                                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            !a) {
            std::cerr << "import-pending: the events were added but not recorded in the audit log: " << a.error().describe() << "\n";
            return DataError;
        }
        if (facts.waiting == 0 && facts.refused == 0) {
            // The records are this kiosk's own now, built from every event it
            // holds: they go through its one upload loop, guarded as its own
            // writes are (on a site, by the uploader).
            std::cout << "the file's records are built here from the events; sending them as this kiosk's own:\n";
            return runSyncPass(ctx);
        }
        std::cout << "some events wait for what this kiosk lacks (its roster?); the file's records are sent as they are\n";
    }

    auto creds = readCredentials(config->state->credentialsFile, why);
    if (!creds) {
        std::cerr << "import-pending: " << why << "\n";
        return InputError;
    }
    auto tokens = makeTokenStore(store->db().path());  // the kiosk's one token, shared with sync
    auto tally = uploadBundle(*config->state, *creds, opened->records, tokens.get());
    sodium_memzero(creds->secret.data(), creds->secret.size());
    // The upload cannot be taken back; an entry that cannot be written is
    // said loudly and ends the command with DataError.
    auto audited = security.audit("technician", "usb.import",
                                  nlohmann::json{{"fromKiosk", m.kioskId}, {"site", m.siteId}, {"records", opened->records.size()},
                                                 {"stored", tally.stored}, {"retry", tally.retry}, {"refused", tally.refused}}
                                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!audited) {
        std::cerr << "import-pending: the upload was not recorded in the audit log: " << audited.error().describe() << "\n";
        return DataError;
    }
    if (tally.fatal) {
        using Kind = edsync::edfi::ApiError::Kind;
        std::cerr << "import-pending: nothing was uploaded: " << printable(tally.fatal->describe()) << "\n";
        return tally.fatal->kind == Kind::AuthRejected ? CredentialsRefused : Offline;
    }
    std::cout << "uploaded: " << tally.stored << " stored by the state, " << tally.retry << " to try again, " << tally.refused
              << " refused\n";
    if (!tally.problems.empty()) {
        // Named from this kiosk's tables, else from the record's own JSON.
        store::RecordSubjects subjects(store->db());
        std::vector<service::FailedRecord> failed;
        for (const auto& p : tally.problems) {
            service::FailedRecord f;
            f.resource = p.record->resource;
            f.naturalKey = p.record->naturalKey;
            f.refused = p.refused;
            f.who = subjects.of(p.record->resource, p.record->naturalKey, p.record->json).describe();
            if (f.who.empty()) f.who = p.record->resource + " " + p.record->naturalKey;
            f.httpStatus = p.httpStatus;
            f.problemType = p.words.type;
            f.words = p.words.words;
            f.correlationId = p.words.correlationId;
            f.cause = p.cause;
            failed.push_back(std::move(f));
        }
        printFailedRecords(std::cout, failed);
    }
    if (tally.refused > 0) {
        int guarded = 0;  // the state holds a newer or another writer's record: the file did not overwrite it
        for (const auto& p : tally.problems)
            if (p.refused && (p.httpStatus == 412 || p.words.type == edsync::outbox::kAlreadyAtServer)) ++guarded;
        if (guarded > 0)
            std::cout << guarded << " record(s) at the state are newer than this file, or were written by someone else: "
                      << "the file did not overwrite them. Nothing more is needed if the kiosk that made the file has synced since.\n";
        if (guarded < tally.refused)
            std::cout << "Refused records will stay refused from any kiosk; they show under \"needs attention\" on the kiosk that made them.\n";
        return NeedsAttention;
    }
    if (tally.retry > 0) {
        std::cout << "Run import-pending again later for the rest; records already stored are not duplicated.\n";
        return Pending;
    }
    std::cout << "all records reached the state; the kiosk that made the file confirms them when it is next online (no duplicates)\n";
    return Ok;
}

} // namespace

void addUsbCommands(CLI::App& app, Context& ctx) {
    auto exportFile = std::make_shared<std::filesystem::path>();
    auto* exportCmd = app.add_subcommand("export-pending", "Write every record waiting for the state to FILE (e.g. on a USB stick), "
                                                           "signed and encrypted for this site");
    exportCmd->add_option("FILE", *exportFile, "The file to write")->required();
    exportCmd->callback([&ctx, exportFile] { ctx.action = [&ctx, exportFile] { return exportPending(ctx, *exportFile); }; });

    auto importFile = std::make_shared<std::filesystem::path>();
    auto* importCmd = app.add_subcommand("import-pending", "Check a file from export-pending (same site only) and upload its records to "
                                                           "the state.\nExit: 0 all stored, 7 some to retry, 8 some refused, "
                                                           "9 offline, 6 credentials refused, 14 another site's file, 15 altered or damaged");
    importCmd->add_option("FILE", *importFile, "The file from export-pending")->required()->check(CLI::ExistingFile);
    importCmd->callback([&ctx, importFile] { ctx.action = [&ctx, importFile] { return importPending(ctx, *importFile); }; });
}

} // namespace kiosk::app::ctl
