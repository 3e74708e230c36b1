#include "kiosk/app/enrolment.hpp"

#include "kiosk/domain/descriptors.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/app/edfi_roster_sink.hpp"
#include "kiosk/store/work_repo.hpp"
#include "sync/core/files.hpp"
#include "sync/edfi/clock.hpp"
#include "sync/edfi/session.hpp"
#include "sync/transport/curl_transport.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <span>
#include <fcntl.h>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

namespace kiosk::app {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string tomlString(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out.push_back(c);
            }
        }
    }
    return out + "\"";
}

bool validText(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20) return false;
    return true;
}

} // namespace

std::string enrolmentToml(const EnrolRequest& r, const EnrolFiles& files) {
    std::string out = "# Written by `testsite-kioskctl enrol`. Run it again to change anything here.\n"
                      "[state]\n";
    out += "base_url = " + tomlString(r.baseUrl) + "\n";
    out += "credentials_file = " + tomlString(files.credentials.string()) + "\n";
    if (files.caBundle) out += "ca_bundle = " + tomlString(files.caBundle->string()) + "\n";
    out += "\n[site]\nid = " + tomlString(r.siteId) + "\n";
    if (!r.siteName.empty()) out += "name = " + tomlString(r.siteName) + "\n";
    out += "key_file = " + tomlString(files.siteKey.string()) + "\n";
    out += "\n[kiosk]\nname = " + tomlString(r.kioskName) + "\n";
    if (r.hub && !r.hub->servers.empty()) {
        out += "\n[hub]\nservers = [";
        for (std::size_t i = 0; i < r.hub->servers.size(); ++i) out += (i ? ", " : "") + tomlString(r.hub->servers[i]);
        out += "]\n";
        if (files.hubCa) out += "ca_file = " + tomlString(files.hubCa->string()) + "\n";
        else if (r.hub->caFile) out += "ca_file = " + tomlString(r.hub->caFile->string()) + "\n";
    }
    return out;
}

bool validateEnrolment(const EnrolRequest& r, std::string& error) {
    if (!r.baseUrl.starts_with("https://") || r.baseUrl.size() <= 8) {
        error = "--base-url must start with https:// (the kiosk talks to the state only over verified TLS)";
        return false;
    }
    if (r.siteId.empty() || r.kioskName.empty() || !validText(r.siteId) || !validText(r.kioskName) || !validText(r.siteName) ||
        !validText(r.baseUrl)) {
        error = "--site-id and --kiosk-name are needed, on one line each";
        return false;
    }
    if (r.hub) {
        for (const auto& s : r.hub->servers) {
            if (!validText(s) || !(s.starts_with("tls://") || s.starts_with("nats://")) || s.size() <= 7) {
                error = "--hub-server must be tls://HOST:PORT (or nats://HOST:PORT on a test bench), on one line";
                return false;
            }
            if (s.starts_with("tls://") && !r.hub->caFile) {
                error = "--hub-server tls://... needs --hub-ca, the hub's certificate (hub-ca.pem from `testsite-kioskctl hub-setup`)";
                return false;
            }
        }
    }
    if (r.credentials.key.empty() || r.credentials.secret.empty() || !validText(r.credentials.key) || !validText(r.credentials.secret)) {
        error = "both a client key and a client secret are needed, each on one line without control characters";
        return false;
    }
    return true;
}

std::optional<EnrolFiles> writeEnrolment(const EnrolRequest& r, std::optional<std::pair<uid_t, gid_t>> secretsOwner, std::string& error) {
    if (!validateEnrolment(r, error)) return std::nullopt;
    std::error_code ec;
    std::filesystem::create_directories(r.configDir, ec);
    if (ec) {
        error = "cannot create " + r.configDir.string() + ": " + ec.message();
        return std::nullopt;
    }
    EnrolFiles files;
    files.config = r.configDir / "kiosk.toml";
    files.credentials = r.configDir / "credentials";
    files.siteKey = r.configDir / "site.key";

    std::string caText;
    if (r.caBundle) {
        auto ca = edsync::files::readBounded(*r.caBundle, {.maxBytes = 4u << 20, .magic = {}, .jsonObject = false});
        if (ca) caText = std::move(ca.value());
        if (!ca || caText.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            error = "--ca-bundle " + r.caBundle->string() + " is not a readable PEM certificate file";
            return std::nullopt;
        }
        files.caBundle = r.configDir / "ca.pem";
    }
    std::optional<edsync::files::Owner> owner;
    if (secretsOwner) owner = edsync::files::Owner{secretsOwner->first, secretsOwner->second};

    // Every file is written beside its target first; only when all four are
    // on disk are they renamed into place, so a failure (a full disk, a
    // read-only /etc) leaves the previous enrolment whole.
    std::vector<edsync::files::StagedFile> staged;
    auto stage = [&](const std::filesystem::path& target, std::string_view text, mode_t mode, std::optional<edsync::files::Owner> who) {
        auto s = edsync::files::stageFile(target, text, mode, who);
        if (!s) {
            error = s.error() + (s.error().find("Permission denied") != std::string::npos ? " (run as root: sudo testsite-kioskctl enrol ..., or pass --config-dir)" : "");
            return false;
        }
        staged.push_back(std::move(s.value()));
        return true;
    };
    std::string creds = "key=" + r.credentials.key + "\nsecret=" + r.credentials.secret + "\n";
    bool ok = stage(files.credentials, creds, 0600, owner);
    sodium_memzero(creds.data(), creds.size());
    if (!ok) return std::nullopt;

    SiteKey key = r.siteKey ? *r.siteKey : deriveSiteKey(r.siteId, r.credentials.key, r.credentials.secret);
    std::string keyText = formatSiteKey(key);
    ok = stage(files.siteKey, keyText, 0600, owner);
    sodium_memzero(keyText.data(), keyText.size());
    if (!ok) return std::nullopt;

    if (files.caBundle && !stage(*files.caBundle, caText, 0644, std::nullopt)) return std::nullopt;
    if (r.hub && r.copyHubCa && r.hub->caFile) {
        auto hubCa = edsync::files::readBounded(*r.hub->caFile, {.maxBytes = 1u << 20, .magic = {}, .jsonObject = false});
        if (!hubCa || hubCa.value().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
            error = "--hub-ca " + r.hub->caFile->string() + " is not a readable PEM certificate file";
            return std::nullopt;
        }
        files.hubCa = r.configDir / "hub-ca.pem";
        if (!stage(*files.hubCa, hubCa.value(), 0644, std::nullopt)) return std::nullopt;
    }
    if (!stage(files.config, enrolmentToml(r, files), 0644, std::nullopt)) return std::nullopt;
    // kiosk.toml goes last: it names the other files.
    for (auto& f : staged) {
        if (auto c = f.commit(); !c) {
            error = c.error();
            return std::nullopt;
        }
    }
    return files;
}

namespace {

// GET every value of one descriptor type (pages of 500) and name the offered
// codes it lacks: a value counts in the Ed-Fi namespace, or under the state's
// own namespace or code (domain::matchDescriptor), which the kiosk then writes.
DescriptorCheck listedDescriptors(edsync::transport::CurlTransport& http, const edsync::edfi::Session& session, const std::string& token,
                                  const std::string& resource, std::string_view ns, std::span<const std::string_view> offered) {
    constexpr int kPage = 500, kMaxPages = 20;
    DescriptorCheck c;
    c.resource = resource;
    std::vector<domain::ListedDescriptor> present;
    for (int page = 0; page < kMaxPages; ++page) {
        auto reply = http.performOne(session.getRequest(
            session.resourceUrl(resource) + "?limit=" + std::to_string(kPage) + "&offset=" + std::to_string(page * kPage), token));
        if (!reply || reply->status != 200) {
            c.detail = reply ? "HTTP " + std::to_string(reply->status) : reply.error().describe();
            return c;
        }
        nlohmann::json items = nlohmann::json::parse(reply->body, nullptr, false);
        if (!items.is_array()) {
            c.detail = "an answer that is not a list of descriptors";
            return c;
        }
        for (const auto& item : items) {
            if (!item.is_object()) continue;
            auto n = item.find("namespace");
            auto code = item.find("codeValue");
            if (n == item.end() || !n->is_string() || code == item.end() || !code->is_string()) continue;
            domain::ListedDescriptor d{n->get<std::string>(), code->get<std::string>(), {}};
            if (auto sd = item.find("shortDescription"); sd != item.end() && sd->is_string()) d.shortDescription = sd->get<std::string>();
            present.push_back(std::move(d));
        }
        if (items.size() < static_cast<std::size_t>(kPage)) break;
    }
    c.listed = true;
    for (auto code : offered) {
        const std::string kioskUri = std::string(ns) + "#" + std::string(code);
        auto stateUri = domain::matchDescriptor(kioskUri, present);
        if (!stateUri) c.missing.emplace_back(code);
        else if (*stateUri != kioskUri) c.mapped.emplace_back(std::string(code), *stateUri);
    }
    return c;
}

} // namespace

ServerCheck checkServer(const StateConfig& state, const Credentials& credentials, std::chrono::milliseconds connectTimeout) {
    using edsync::transport::FailureKind;
    ServerCheck out;
    edsync::transport::TransportOptions options;
    options.caBundle = state.caBundle;
    options.connectTimeout = connectTimeout;
    options.totalTimeout = connectTimeout * 3;
    options.maxInFlight = 1;
    auto made = edsync::transport::CurlTransport::create(std::move(options));
    if (!made) {
        out.outcome = made.error().kind == FailureKind::Tls ? CheckOutcome::TlsFailure : CheckOutcome::Unreachable;
        out.message = made.error().describe();
        return out;
    }
    edsync::transport::CurlTransport http = std::move(*made);
    const std::string trust = state.caBundle ? "the CA bundle " + state.caBundle->string() : std::string("this machine's trusted CAs");

    // 1. Discovery, classified by what the transport saw.
    edsync::transport::Request probe;
    probe.url = edsync::edfi::Endpoints::defaults(state.baseUrl).discovery;
    probe.headers.push_back({"Accept", "application/json"});
    auto answer = http.performOne(probe);
    if (!answer) {
        const auto& e = answer.error();
        switch (e.kind) {
        case FailureKind::Tls:
            out.outcome = CheckOutcome::TlsFailure;
            if (edsync::transport::isCertificateDateFailure(e.message)) {
                out.message = "TLS verification failed on the certificate's dates (" + e.message +
                              "). Verification cannot be turned off.";
                return out;
            }
            out.message = "TLS verification failed: the server's certificate is not trusted by " + trust + " (" + e.message +
                          "). Give the state's CA certificate with --ca-bundle, or check the host name in --base-url. "
                          "Verification cannot be turned off.";
            return out;
        case FailureKind::Config:
            out.outcome = CheckOutcome::Unreachable;
            out.message = "the address " + state.baseUrl + " cannot be used: " + e.message;
            return out;
        default:
            out.outcome = CheckOutcome::Unreachable;
            out.message = "cannot reach " + state.baseUrl + ": " + e.describe() +
                          ". Check the address, the network and any firewall; the configuration is saved and the kiosk "
                          "keeps trying on its own.";
            return out;
        }
    }
    edsync::edfi::SystemClock clock;
    out.clockOffsetMs = edsync::edfi::clockOffsetMs(*answer, clock.unixMs());
    if (answer->status >= 500 || answer->status == 429) {
        out.outcome = CheckOutcome::ServerError;
        out.message = "the server at " + state.baseUrl + " answered HTTP " + std::to_string(answer->status) + "; try again later";
        return out;
    }

    // 2. The same discovery through the Ed-Fi session (endpoints), then a token.
    edsync::edfi::Session session(state.baseUrl, edsync::edfi::Credentials{credentials.key, credentials.secret}, http, clock);
    if (!state.route.empty()) session.setRoute(state.route);
    auto discovery = session.discover();
    if (!discovery) {
        out.outcome = CheckOutcome::NotEdFi;
        out.message = "the server at " + state.baseUrl + " answered, but not as an Ed-Fi ODS/API (" + discovery.error().describe() +
                      "); check --base-url (it is the API root that serves the discovery document)";
        return out;
    }
    out.dataModelVersion = session.dataModelVersion();
    auto token = session.token();
    if (!token) {
        const auto& e = token.error();
        using Kind = edsync::edfi::ApiError::Kind;
        if (e.kind == Kind::AuthRejected) {
            out.outcome = CheckOutcome::WrongCredentials;
            out.message = "the server refused the client key or secret" +
                          (e.httpStatus ? " (HTTP " + std::to_string(*e.httpStatus) + ")" : std::string()) +
                          "; check them with the state and run enrol again";
        } else if (e.kind == Kind::Offline) {
            out.outcome = CheckOutcome::Unreachable;
            out.message = "the token endpoint could not be reached: " + e.describe();
        } else {
            out.outcome = CheckOutcome::ServerError;
            out.message = "the token endpoint failed: " + e.describe();
        }
        return out;
    }
    out.outcome = CheckOutcome::Ok;
    out.message = "the server answered and granted a token";

    // 3. The pre-flight: one item of each resource, so a missing resource or
    // claim shows now and not as refusals on the test day.
    for (const auto& r : kioskResources()) {
        ResourceCheck c{r.name, r.writes, ResourceCheck::Finding::Unknown, {}, r.optional};
        auto reply = http.performOne(session.getRequest(session.resourceUrl(r.name) + "?limit=1", *token));
        if (!reply) c.detail = reply.error().describe();
        else if (reply->status == 200) c.finding = ResourceCheck::Finding::Usable;
        else if (reply->status == 404) c.finding = ResourceCheck::Finding::Absent;
        else if (reply->status == 403) c.finding = ResourceCheck::Finding::NotAllowed;
        if (reply) c.detail = "HTTP " + std::to_string(reply->status);
        out.resources.push_back(std::move(c));
    }

    // 4. The descriptor values the kiosk offers a proctor (why a student did
    // not test, what kind of irregularity): one the state lacks would be a
    // 400 on the test day, so it is named now.
    struct Offered {
        const char* resource;
        std::string_view ns;  // "uri://ed-fi.org/ReasonNotTestedDescriptor#"
        std::span<const std::string_view> codes;
    };
    for (const Offered& o : {Offered{"reasonNotTestedDescriptors", domain::kReasonNotTestedNs, domain::reasonsNotTested()},
                             Offered{"eventCircumstanceDescriptors", domain::kEventCircumstanceNs, domain::eventCircumstances()}}) {
        out.descriptors.push_back(listedDescriptors(http, session, *token, o.resource, o.ns.substr(0, o.ns.size() - 1), o.codes));
    }
    return out;
}

std::vector<KioskResource> kioskResources() {
    std::vector<KioskResource> all;
    for (const auto& r : rosterPullResources()) all.push_back({r.name, false, r.optional});
    all.push_back({std::string(store::kStudentAssessments), true});
    all.push_back({std::string(store::kStudentProgramEvaluations), true});
    return all;
}

std::vector<std::string> preflightFindings(const ServerCheck& check) {
    std::vector<std::string> out;
    using F = ResourceCheck::Finding;
    for (const auto& c : check.resources) {
        if (c.finding == F::Usable) continue;
        std::string what = c.finding == F::Absent       ? "this server has no " + c.resource
                           : c.finding == F::NotAllowed ? "this client may not use " + c.resource + " (its claim set does not cover it)"
                                                        : "could not check " + c.resource + " (" + c.detail + ")";
        std::string then = !c.writes ? "the roster cannot come from the state this way; import it from a file (testsite-kioskctl import-roster)"
                           : c.resource == store::kStudentProgramEvaluations
                               ? "work-readiness records will wait at the site until the state offers it"
                               : "check-in records will wait at the site until the state offers it";
        if (c.optional && c.finding != F::Unknown)
            then = "grades will not show beside names at the door; the roster itself still comes from the state";
        if (c.finding == F::Unknown) then = "run enrol again once the server answers";
        out.push_back(what + ": " + then);
    }
    for (const auto& d : check.descriptors) {
        if (!d.listed) {
            out.push_back("could not read the state's " + d.resource + " (" + d.detail + "): run enrol again to check them");
            continue;
        }
        if (d.missing.empty()) continue;
        std::string codes;
        for (const auto& m : d.missing) codes += (codes.empty() ? "\"" : ", \"") + m + "\"";
        out.push_back("the state's " + d.resource + " lack " + codes + ": a record that uses one of them will be refused; " +
                      "ask the state to add them, or do not choose them on the test day");
    }
    // The kiosk's records follow Ed-Fi Data Standard 5 (docs/edfi.md).
    if (check.outcome == CheckOutcome::Ok && !check.dataModelVersion.empty() && check.dataModelVersion.rfind("5.", 0) != 0)
        out.push_back("this server runs Ed-Fi data model " + check.dataModelVersion +
                      "; the kiosk writes Data Standard 5 records, which it may refuse: ask the state which data standard it serves");
    return out;
}

} // namespace kiosk::app
