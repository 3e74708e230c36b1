#pragma once
// The site hub: a nats-server configuration file for one site, and a
// self-signed certificate for it (made at enrolment; kiosks pin it as their CA).
#include "sync/site/site_config.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace edsync::site {

struct HubConfig {
    std::string listenHost = "0.0.0.0";
    int port = 4222;
    std::string serverName = "testsite-hub";
    std::filesystem::path dataDir;   // JetStream keeps its store in <dataDir>/hub
    std::filesystem::path certFile;  // empty: no TLS (tests only; a site always has one)
    std::filesystem::path keyFile;
    std::string user = "kiosk";
    std::string password;            // derived from the site key by the caller
    // Sized for 30 machines and a school year of events.
    std::int64_t maxFileStoreBytes = 8LL << 30;
    std::int64_t maxMemoryStoreBytes = 64LL << 20;
    int maxConnections = 128;        // 30 kiosks with a few connections each, and tools
    std::int64_t maxPayloadBytes = 1 << 20;
};

// The configuration text (strings quoted and escaped).
std::string hubConfigText(const HubConfig& c);
// Writes it to `file`, mode 0600 (it holds the password).
Status writeHubConfig(const HubConfig& c, const std::filesystem::path& file);

// A self-signed ECDSA P-256 certificate (CA:TRUE, serverAuth) for the hub,
// valid `days` days, naming `dnsNames` and `ipAddresses` as subject
// alternative names. The key file is written 0600.
Status makeSelfSignedCert(const std::filesystem::path& certFile, const std::filesystem::path& keyFile,
                          const std::string& commonName, const std::vector<std::string>& dnsNames,
                          const std::vector<std::string>& ipAddresses, int days = 3650);

} // namespace edsync::site
