// export-pending, import-pending: the USB fallback for a kiosk that cannot
// reach the state. See pending_bundle.hpp for the file and its keys.
#include "kiosk/app/commands/ctl.hpp"
#include "kiosk/app/commands/failed_records.hpp"
#include "kiosk/store/record_subject.hpp"

#include "kiosk/app/bundle_upload.hpp"
#include "kiosk/app/pending_bundle.hpp"
#include "kiosk/app/privileges.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/ids.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace kiosk::app::ctl {

namespace {

// import-pending's exit codes beyond the shared ones.
constexpr int kSomeNotStored = 3;   // run import-pending again later
constexpr int kSomeRefused = 4;     // the server refused some records for good
constexpr int kOffline = 5;
constexpr int kCredentials = 6;
constexpr int kForeign = 8;         // made under another site's key
constexpr int kTampered = 9;        // altered or damaged

constexpr std::uintmax_t kMaxFileBytes = 1ull << 30;

std::optional<SiteKey> siteKeyFor(const KioskConfig& config, std::string& why) {
    std::filesystem::path file = config.site && config.site->keyFile ? *config.site->keyFile : config.source.parent_path() / "site.key";
    return readSiteKey(file, why);
}

bool writePrivateFile(const std::filesystem::path& target, const std::string& bytes, std::string& error) {
    std::filesystem::path temp = target;
    temp += ".partial";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot write " + target.string() + ": " + std::strerror(errno);
        return false;
    }
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ok = false;
        else done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;  // a USB stick may be pulled right after
    int saved = errno;
    ::close(fd);
    if (!ok || ::rename(temp.c_str(), target.c_str()) != 0) {
        if (ok) saved = errno;
        ::unlink(temp.c_str());
        error = "cannot write " + target.string() + ": " + std::strerror(saved);
        return false;
    }
    return true;
}

int exportPending(Context& ctx, const std::filesystem::path& file) {
    int code = Ok;
    auto store = ctx.openStore(code);
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
    bundle.manifest.createdAt = domain::formatUtc(store::systemNow());
    for (auto& r : *pending) bundle.records.push_back({r.resource, r.naturalKey, r.version, std::move(r.json)});
    std::string sealed = sealBundle(bundle, *key);
    std::string error;
    bool written = false;
    {
        AsInvoker invoker;  // the stick belongs to whoever ran the command, not to the kiosk user
        written = writePrivateFile(file, sealed, error);
    }
    if (!written) {
        std::cerr << "export-pending: " << error << "\n";
        return DataError;
    }
    service::SecurityService security(*store, store::systemNow);
    security.audit("technician", "usb.export", nlohmann::json{{"records", bundle.records.size()}, {"file", file.filename().string()}}.dump());
    std::cout << "wrote " << bundle.records.size() << " waiting record(s) to " << file.string() << " (signed and encrypted for site "
              << bundle.manifest.siteId << ")\n"
              << "Take it to another enrolled kiosk of this site with a network and run: testsite-kioskctl import-pending "
              << file.filename().string() << "\n"
              << "This kiosk keeps the records and sends them itself when it is online again; the state keeps one copy of each.\n";
    return Ok;
}

int importPending(Context& ctx, const std::filesystem::path& file) {
    int code = Ok;
    auto dir = ctx.dataDir(code);
    if (!dir) return code;
    std::string bytes;
    {
        AsInvoker invoker;  // the stick belongs to whoever ran the command
        std::error_code ec;
        auto size = std::filesystem::file_size(file, ec);
        if (ec || size > kMaxFileBytes) {
            std::cerr << "import-pending: cannot read " << file.string() << (ec ? ": " + ec.message() : std::string(": too large")) << "\n";
            return InputError;
        }
        std::ifstream in(file, std::ios::binary);
        bytes.assign(static_cast<std::size_t>(size), '\0');
        if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
            std::cerr << "import-pending: cannot read " << file.string() << "\n";
            return InputError;
        }
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
    service::SecurityService security(*store, store::systemNow);
    if (!opened) {
        const auto& e = opened.error();
        std::cerr << "import-pending: " << file.filename().string() << ": " << e.message << "\n";
        security.audit("technician", "usb.import_refused",
                       nlohmann::json{{"file", file.filename().string()}, {"reason", static_cast<int>(e.kind)}}.dump());
        switch (e.kind) {
        case BundleError::Kind::NotABundle: return InputError;
        case BundleError::Kind::Foreign: return kForeign;
        case BundleError::Kind::Tampered: return kTampered;
        }
        return kTampered;
    }
    const auto& m = opened->manifest;
    std::cout << "verified: " << opened->records.size() << " record(s) from kiosk " << (m.kioskName.empty() ? m.kioskId : m.kioskName)
              << " (" << m.kioskId << ") of site " << m.siteId << ", exported " << m.createdAt << "; every record matches its hash\n";

    auto creds = readCredentials(config->state->credentialsFile, why);
    if (!creds) {
        std::cerr << "import-pending: " << why << "\n";
        return InputError;
    }
    auto tally = uploadBundle(*config->state, *creds, opened->records);
    sodium_memzero(creds->secret.data(), creds->secret.size());
    security.audit("technician", "usb.import",
                   nlohmann::json{{"fromKiosk", m.kioskId}, {"site", m.siteId}, {"records", opened->records.size()}, {"stored", tally.stored},
                                  {"retry", tally.retry}, {"refused", tally.refused}}
                       .dump());
    if (tally.fatal) {
        using Kind = edsync::edfi::ApiError::Kind;
        std::cerr << "import-pending: nothing was uploaded: " << tally.fatal->describe() << "\n";
        return tally.fatal->kind == Kind::AuthRejected ? kCredentials : kOffline;
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
        std::cout << "Refused records will stay refused from any kiosk; they show under \"needs attention\" on the kiosk that made them.\n";
        return kSomeRefused;
    }
    if (tally.retry > 0) {
        std::cout << "Run import-pending again later for the rest; records already stored are not duplicated.\n";
        return kSomeNotStored;
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
                                                           "the state.\nExit: 0 all stored, 3 some to retry, 4 some refused, "
                                                           "5 offline, 6 credentials refused, 8 another site's file, 9 altered or damaged");
    importCmd->add_option("FILE", *importFile, "The file from export-pending")->required()->check(CLI::ExistingFile);
    importCmd->callback([&ctx, importFile] { ctx.action = [&ctx, importFile] { return importPending(ctx, *importFile); }; });
}

} // namespace kiosk::app::ctl
