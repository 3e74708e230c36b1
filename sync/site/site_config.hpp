#pragma once
// What a kiosk needs to reach its site's event log, and the NATS names made
// from it. Ids are sanitised to NATS-legal tokens so any site or kiosk id
// (dots, spaces, non-ASCII) maps to one stream, subject and consumer.
#include "sync/core/result.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace edsync::site {

struct SiteLogConfig {
    std::vector<std::string> servers;  // "nats://host:4222" or "tls://host:4222"
    std::string caFile;                // set: TLS, the hub verified against it (never off)
    std::string user, password;        // the hub's one user (password derived from the site key)
    std::string siteId, kioskId;

    std::chrono::milliseconds connectTimeout{2000};
    std::chrono::milliseconds requestTimeout{3000};  // JetStream API calls and PubAck waits
    std::chrono::milliseconds reconnectWait{500};
    // JetStream drops a repeated Nats-Msg-Id only inside this window. A row
    // whose PubAck was lost (hub killed, kiosk killed) is sent again when the
    // kiosk next reaches the hub, which may be after a weekend switched off:
    // a week covers that. The cost is the hub's id map (~100 bytes per event
    // of the last week). Appliers still dedupe by event id beyond it.
    std::chrono::hours duplicateWindow{24 * 7};
    std::chrono::seconds leaseTtl{20};
    std::chrono::seconds ackWait{30};  // an applied-but-unacked message comes back after this
    int publishBatch = 256;            // async publishes in flight at most
    int fetchBatch = 512;
    std::chrono::milliseconds fetchWait{500};  // long poll of one fetch (bounds shutdown)
};

struct SiteError {
    int status = 0;      // natsStatus (0 = NATS_OK), or -1 for a local (SQLite) failure
    int jsCode = 0;      // jsErrCode from JetStream, 0 if none
    std::string message;
    bool authFailed() const;
    bool notConnected() const;
};

template <class T>
using Result = edsync::Result<T, SiteError>;
using Status = edsync::Result<void, SiteError>;

// [A-Za-z0-9-] kept; every other byte (including '_') written as _XX (hex),
// so two different ids never share a token.
std::string natsToken(std::string_view id);

std::string streamName(const SiteLogConfig& c);     // SITE_<site>
std::string subjectPrefix(const SiteLogConfig& c);  // site.<site>.ev.
std::string consumerName(const SiteLogConfig& c);   // kiosk-<kiosk>
std::string leaseBucket(const SiteLogConfig& c);    // lease_<site>
std::string machinesBucket(const SiteLogConfig& c); // machines_<site>

// A subject suffix: one or more dot-separated tokens of [A-Za-z0-9_-].
bool validSubjectSuffix(std::string_view suffix);

// The header carrying the publishing kiosk's id (raw, not the token).
inline constexpr const char* kOriginHeader = "Site-Origin-Kiosk";

} // namespace edsync::site
