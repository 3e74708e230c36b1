#pragma once
// `testsite-kioskctl enrol`: writes the site configuration and the 0600
// credentials, then proves the server is usable — discovery answers over
// verified TLS and the token endpoint grants a token. Each way it can fail has
// its own outcome, message and exit code. TLS verification is never relaxed.
#include "kiosk/app/config.hpp"
#include "kiosk/app/site_key.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace kiosk::app {

struct EnrolRequest {
    std::string baseUrl;
    std::string siteId;
    std::string siteName;
    std::string kioskName;
    Credentials credentials;
    std::optional<std::filesystem::path> caBundle;  // copied into the config directory
    std::optional<SiteKey> siteKey;                 // from --site-key-file; else derived
    std::filesystem::path configDir;
    // [hub]: the site hub's address(es) and certificate (--hub-server,
    // --hub-ca), or the section of the kiosk.toml being replaced, kept: a
    // re-enrolment must not take a kiosk off its site's hub.
    std::optional<HubConfig> hub;
    bool copyHubCa = false;  // hub->caFile is the technician's file: copied beside kiosk.toml
};

struct EnrolFiles {
    std::filesystem::path config;
    std::filesystem::path credentials;
    std::filesystem::path siteKey;
    std::optional<std::filesystem::path> caBundle;
    std::optional<std::filesystem::path> hubCa;
};

// Whether the request can be written: https, names on one line, a key and a
// secret without control characters (a NUL byte included).
bool validateEnrolment(const EnrolRequest& request, std::string& error);

// Checks the request, then writes kiosk.toml (0644), credentials and site.key
// (0600, handed to `secretsOwner` when given) and ca.pem: all are written
// beside their targets first and renamed into place only when every one is,
// so a failure leaves the previous enrolment as it was.
std::optional<EnrolFiles> writeEnrolment(const EnrolRequest& request, std::optional<std::pair<uid_t, gid_t>> secretsOwner,
                                         std::string& error);

// The exact TOML written (also for tests).
std::string enrolmentToml(const EnrolRequest& request, const EnrolFiles& files);

enum class CheckOutcome {
    Ok,                // discovery answered and a token was granted
    WrongCredentials,  // the token endpoint refused the key/secret
    Unreachable,       // no answer: name not found, refused, timed out, reset
    TlsFailure,        // the server's certificate is not trusted (or the CA file is unusable)
    NotEdFi,           // an answer, but not an Ed-Fi ODS/API discovery document
    ServerError,       // the server answered with an error (5xx, 429)
};

// The pre-flight (docs/edfi.md, "Before the test day"): each resource the
// kiosk reads or writes, asked for one item with the kiosk's own token.
struct ResourceCheck {
    enum class Finding {
        Usable,      // answered 200: it exists and the client may read it
        Absent,      // 404: this server does not offer it
        NotAllowed,  // 403: the client's claims do not cover it
        Unknown,     // no answer, or another one: not known before the test day
    };
    std::string resource;
    bool writes = false;  // the kiosk writes it (else only reads it)
    Finding finding = Finding::Unknown;
    std::string detail;  // the status or the failure, for the report
    bool optional = false;  // read for a nicety (grades): the roster comes without it
};
struct KioskResource {
    std::string name;
    bool writes = false;
    bool optional = false;  // PullResource::optional
};
// Every resource the kiosk uses: the roster it reads, the records it writes.
std::vector<KioskResource> kioskResources();

// The descriptor values of one type the kiosk may write, as the state lists them.
struct DescriptorCheck {
    std::string resource;              // "reasonNotTestedDescriptors"
    bool listed = false;               // the state answered with its values
    std::string detail;                // when not listed: the status or the failure
    std::vector<std::string> missing;  // code values the kiosk offers that the state lacks
    // Values the state lists under its own namespace or code: the kiosk writes
    // the state's (the site's uploader learns them at each download).
    std::vector<std::pair<std::string, std::string>> mapped;  // code value -> the state's URI
};

struct ServerCheck {
    CheckOutcome outcome = CheckOutcome::Unreachable;
    std::string message;
    std::string dataModelVersion;
    std::optional<std::int64_t> clockOffsetMs;
    std::vector<ResourceCheck> resources;  // when a token was granted
    std::vector<DescriptorCheck> descriptors;
};
// What the pre-flight means for the test day, one sentence per finding that
// is not "usable" (empty: nothing to fix).
std::vector<std::string> preflightFindings(const ServerCheck& check);

ServerCheck checkServer(const StateConfig& state, const Credentials& credentials,
                        std::chrono::milliseconds connectTimeout = std::chrono::seconds(10));

} // namespace kiosk::app
