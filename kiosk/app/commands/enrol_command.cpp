// enrol: set a machine up once — configuration, credentials, a server check.
#include "kiosk/app/commands/ctl.hpp"

#include "kiosk/app/enrolment.hpp"
#include "kiosk/app/install_paths.hpp"
#include "kiosk/app/printable.hpp"
#include "kiosk/app/privileges.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/ids.hpp"
#include "sync/core/files.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app::ctl {

namespace {

struct EnrolOptions {
    std::string baseUrl;
    std::string siteId;
    std::string siteName;
    std::string kioskName;
    std::optional<std::filesystem::path> credentialsFile;
    std::optional<std::filesystem::path> caBundle;
    std::optional<std::filesystem::path> siteKeyFile;
    std::optional<std::filesystem::path> configDir;
    std::vector<std::string> hubServers;
    std::optional<std::filesystem::path> hubCa;
};

int enrol(Context& ctx, const EnrolOptions& o) {
    EnrolRequest request;
    request.baseUrl = o.baseUrl;
    while (request.baseUrl.size() > 8 && request.baseUrl.back() == '/') request.baseUrl.pop_back();
    request.siteId = o.siteId;
    request.siteName = o.siteName;
    request.kioskName = o.kioskName;
    request.caBundle = o.caBundle;
    request.configDir = o.configDir.value_or(kSystemConfigDir);
    if (!o.hubServers.empty()) {
        request.hub = HubConfig{o.hubServers, o.hubCa};
        request.copyHubCa = o.hubCa.has_value();
    } else if (auto current = loadConfig(request.configDir / "kiosk.toml"); current.config && current.config->hub) {
        request.hub = current.config->hub;  // kept: re-enrolling does not leave the site's hub
    }

    std::string error;
    if (o.credentialsFile) {
        // The technician's own file: it may be 0644 (a note says to delete
        // it), but it is read once and bounded.
        auto text = edsync::files::readBounded(*o.credentialsFile, {.maxBytes = 64 * 1024, .magic = {}, .jsonObject = false});
        if (!text) {
            std::cerr << "enrol: " << printable(text.error()) << "\n";
            return InputError;
        }
        auto creds = parseCredentials(text.value(), error);
        sodium_memzero(text.value().data(), text.value().size());
        if (!creds) {
            std::cerr << "enrol: " << printable(o.credentialsFile->string()) << ": " << printable(error) << "\n";
            return InputError;
        }
        request.credentials = *creds;
        struct stat st {};
        if (::stat(o.credentialsFile->c_str(), &st) == 0 && (st.st_mode & 077) != 0)
            std::cerr << "note: " << printable(o.credentialsFile->string())
                      << " can be read by other users; delete it once the kiosk is enrolled\n";
    } else {
        request.credentials.key = readLine("Ed-Fi client key: ");
        request.credentials.secret = readSecret("Ed-Fi client secret (not shown): ");
    }
    if (o.siteKeyFile) {
        auto key = readSiteKey(*o.siteKeyFile, error);
        if (!key) {
            std::cerr << "enrol: " << printable(error) << "\n";
            return InputError;
        }
        request.siteKey = *key;
    }
    if (!validateEnrolment(request, error)) {
        sodium_memzero(request.credentials.secret.data(), request.credentials.secret.size());
        std::cerr << "enrol: " << error << "\n";
        return InputError;
    }

    // The server first: nothing on disk changes until it has answered, so a
    // mistyped secret cannot break a kiosk that works.
    std::cout << "checking " << printable(request.baseUrl) << " ...\n" << std::flush;
    StateConfig state;
    state.baseUrl = request.baseUrl;
    state.caBundle = request.caBundle;
    auto check = checkServer(state, request.credentials);
    const std::filesystem::path configFile = request.configDir / "kiosk.toml";
    std::error_code ec;
    const bool firstEnrolment = !std::filesystem::exists(configFile, ec);
    // Offline at the first enrolment there is nothing to break: the files are
    // written and the kiosk keeps trying by itself.
    const bool write = check.outcome == CheckOutcome::Ok || (check.outcome == CheckOutcome::Unreachable && firstEnrolment);

    // Secrets belong to the kiosk's own account when it exists (root
    // enrolling an installed kiosk): the service reads them as that user
    // (the owner of the data directory, else the installed service account).
    std::optional<std::pair<uid_t, gid_t>> owner;
    if (::geteuid() == 0) {
        struct stat st {};
        auto data = ctx.wantedDataDir();
        if (data && ::stat(data->c_str(), &st) == 0 && st.st_uid != 0) owner = std::make_pair(st.st_uid, st.st_gid);
        else if (auto account = serviceAccount()) owner = std::make_pair(account->uid, account->gid);
    }

    std::optional<EnrolFiles> files;
    if (write) {
        files = writeEnrolment(request, owner, error);
        if (!files) {
            sodium_memzero(request.credentials.secret.data(), request.credentials.secret.size());
            std::cerr << "enrol: " << printable(error) << "\n";
            return DataError;
        }
        std::cout << "wrote " << files->config.string() << ", " << files->credentials.string() << " (0600), " << files->siteKey.string()
                  << " (0600)" << (files->caBundle ? ", " + files->caBundle->string() : std::string()) << "\n";
    }
    sodium_memzero(request.credentials.secret.data(), request.credentials.secret.size());

    // The kiosk's own records carry the site from now on; the audit keeps every attempt.
    int code = Ok;
    if (files) ctx.configArg = files->config;
    auto store = ctx.openStore(code);
    if (!store) return code;
    if (files) {
        if (auto s = store->setSite(request.siteId, request.siteName.empty() ? request.siteId : request.siteName); !s) {
            std::cerr << "enrol: cannot record the site: " << s.error().describe() << "\n";
            return DataError;
        }
    }
    service::SecurityService security(*store, domain::systemNow);
    if (!security.audit("technician", "kiosk.enrol",
                        nlohmann::json{{"site", request.siteId}, {"kioskName", request.kioskName}, {"baseUrl", request.baseUrl},
                                       {"check", static_cast<int>(check.outcome)}, {"written", files.has_value()}}
                            .dump())) {
        std::cerr << "enrol: the audit log cannot be written; see `testsite-kioskctl verify-audit`\n";
        return DataError;
    }

    const std::string message = printable(check.message);
    switch (check.outcome) {
    case CheckOutcome::Ok:
        std::cout << "enrolled: " << printable(request.kioskName) << " at site " << printable(request.siteId) << " talks to "
                  << printable(request.baseUrl);
        if (!check.dataModelVersion.empty()) std::cout << " (Ed-Fi data model " << printable(check.dataModelVersion) << ")";
        std::cout << "; discovery answered and a token was granted.\n";
        std::cout << "pre-flight:\n";
        for (const auto& r : check.resources)
            std::cout << "  " << printable(r.resource) << (r.writes ? " (writes)" : " (reads)") << ": "
                      << (r.finding == ResourceCheck::Finding::Usable ? "ok" : printable(r.detail)) << "\n";
        for (const auto& d : check.descriptors)
            std::cout << "  " << printable(d.resource) << ": "
                      << (!d.listed ? printable(d.detail) : d.missing.empty() ? std::string("every value the kiosk offers is there")
                                                                              : std::to_string(d.missing.size()) + " value(s) missing")
                      << (d.listed && !d.mapped.empty() ? " (" + std::to_string(d.mapped.size()) + " under the state's own names, written as the state spells them)" : std::string())
                      << "\n";
        if (auto findings = preflightFindings(check); findings.empty()) {
            std::cout << "pre-flight: every resource and descriptor value the kiosk uses is there and allowed\n";
        } else {
            for (const auto& f : findings) std::cout << "warning: " << printable(f) << "\n";
        }
        if (check.clockOffsetMs && std::llabs(*check.clockOffsetMs) > 5 * 60 * 1000)
            std::cout << "warning: this machine's clock is " << std::llabs(*check.clockOffsetMs) / 1000
                      << " s off the server's; fix it (timedatectl) so records carry the right times\n";
        std::cout << "next: start the background sync (systemctl restart " << kSyncServiceUnit
                  << ") and run `testsite-kioskctl sync` to download the roster\n";
        break;
    case CheckOutcome::WrongCredentials: std::cerr << "enrol: WRONG KEY OR SECRET: " << message << "\n"; break;
    case CheckOutcome::Unreachable: std::cerr << "enrol: SERVER UNREACHABLE: " << message << "\n"; break;
    case CheckOutcome::TlsFailure: std::cerr << "enrol: CERTIFICATE NOT TRUSTED: " << message << "\n"; break;
    case CheckOutcome::NotEdFi: std::cerr << "enrol: NOT AN ED-FI API: " << message << "\n"; break;
    case CheckOutcome::ServerError: std::cerr << "enrol: SERVER ERROR: " << message << "\n"; break;
    }
    if (check.outcome != CheckOutcome::Ok) {
        if (files) std::cerr << "This first enrolment is saved; the kiosk keeps trying. Fix the cause and run enrol again to check.\n";
        else if (firstEnrolment) std::cerr << "Nothing was written. Fix the cause and run enrol again.\n";
        else std::cerr << "Nothing was changed: the kiosk keeps its working configuration. Fix the cause and run enrol again.\n";
    }
    return exitFor(check.outcome);
}

} // namespace

void addEnrolCommand(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<EnrolOptions>();
    auto* cmd = app.add_subcommand("enrol", "Enrol this machine: write the site configuration and 0600 credentials, then check the server.\n"
                                            "Exit: 0 enrolled, 3 bad input, 4 cannot write, 6 wrong key or secret, 9 server unreachable,\n"
                                            "11 certificate not trusted (bad CA), 12 not an Ed-Fi API, 13 server error");
    cmd->alias("enroll");
    cmd->add_option("--base-url", o->baseUrl, "The state's Ed-Fi ODS/API root (https://...)")->required();
    cmd->add_option("--site-id", o->siteId, "The site (school) identifier")->required();
    cmd->add_option("--site-name", o->siteName, "The site's name as shown on the kiosk");
    cmd->add_option("--kiosk-name", o->kioskName, "This machine's name, e.g. \"Lab 114 #3\"")->required();
    cmd->add_option("--credentials-file", o->credentialsFile, "File with key=... and secret=... lines (default: ask, secret not shown)");
    cmd->add_option("--ca-bundle", o->caBundle, "The state's CA certificate(s), PEM (default: the system's CAs)");
    cmd->add_option("--site-key-file", o->siteKeyFile, "Another kiosk's site.key (only when kiosks of the site have their own credentials)");
    cmd->add_option("--config-dir", o->configDir, "Where to write (default /etc/testsite-kiosk)");
    cmd->add_option("--hub-server", o->hubServers, "The site hub, tls://HOST:PORT (from `hub-setup`); kept from kiosk.toml when not given");
    cmd->add_option("--hub-ca", o->hubCa, "The hub's certificate, hub-ca.pem from `hub-setup` (copied beside kiosk.toml)");
    cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return enrol(ctx, *o); }; });
}

} // namespace kiosk::app::ctl
