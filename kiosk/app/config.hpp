#pragma once
// The site configuration (TOML): where the state's Ed-Fi API is, where its
// credentials are, and an optional pinned CA bundle. Without a [state]
// section the kiosk runs offline only (demo and unenrolled machines).
//
//   [state]
//   base_url = "https://edfi.state.example/api"
//   credentials_file = "/etc/testsite-kiosk/credentials"   # key=... / secret=..., mode 0600
//   ca_bundle = "/etc/testsite-kiosk/state-ca.pem"          # optional
//   route = "district-a/2026"      # optional: tenant/year segments before data/v3
//   full_resync_hours = 24         # optional: read the whole roster this often (0: never)
//   max_in_flight = 16                                      # optional cap of requests at once (1-256, default 128)
//   [kiosk]
//   name = "RHS lab 114 #3"
//   proctor_lock_minutes = 10      # optional: a proctor's screens left this long lock (1-120)
//   [site]                                                  # written by `testsite-kioskctl enrol`
//   id = "255901001"
//   name = "Riverbend High School"                          # optional
//   key_file = "/etc/testsite-kiosk/site.key"                # USB export key material, mode 0600
//   [hub]                                                   # a site of several machines (`enrol --hub ...`)
//   servers = ["tls://lab-hub.local:4222"]                   # the site hub's NATS address(es)
//   ca_file = "/etc/testsite-kiosk/hub-ca.pem"               # the hub's certificate, made at enrolment
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::app {

struct StateConfig {
    std::string baseUrl;
    std::filesystem::path credentialsFile;
    std::optional<std::filesystem::path> caBundle;
    std::string route;               // "" or e.g. "2026", "district-a/2026"
    int fullResyncHours = 24;
    std::optional<int> maxInFlight;  // the state's cap on requests in flight; absent: the sync default
};

struct SiteConfig {
    std::string id;
    std::string name;
    std::optional<std::filesystem::path> keyFile;
};

// The site hub (NATS JetStream) that shares every fact between the site's
// machines; absent on a site of one machine. docs/architecture.md.
struct HubConfig {
    std::vector<std::string> servers;
    std::optional<std::filesystem::path> caFile;
};

struct KioskConfig {
    std::optional<StateConfig> state;
    std::optional<SiteConfig> site;
    std::optional<HubConfig> hub;
    std::string kioskName;
    int proctorLockMinutes = 10;
    std::filesystem::path source;  // the file it came from
};

struct ConfigLoad {
    std::optional<KioskConfig> config;
    std::string error;
};

ConfigLoad parseConfig(std::string_view tomlText);
ConfigLoad loadConfig(const std::filesystem::path& file);

// --config, else $TESTSITE_KIOSK_CONFIG, else /etc/testsite-kiosk/kiosk.toml,
// else <data dir>/kiosk.toml; nothing when none exists.
std::optional<std::filesystem::path> findConfig(const std::optional<std::filesystem::path>& explicitFile,
                                                const std::filesystem::path& dataDir);

struct Credentials {
    std::string key;
    std::string secret;
};
// Refuses a file others can read: the secret is the site's key to the state.
std::optional<Credentials> readCredentials(const std::filesystem::path& file, std::string& error);
std::optional<Credentials> parseCredentials(std::string_view text, std::string& error);

} // namespace kiosk::app
