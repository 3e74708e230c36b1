#pragma once
// The site's uploader lease and the machines' heartbeats, in JetStream KV.
//
// Lease: bucket lease_<site>, key "uploader", value = the holder's kiosk id,
// bucket TTL = config.leaseTtl (an entry not rewritten within the TTL is
// removed by the hub, so a dead holder's lease lapses). Every write is a
// compare-and-set on the key's revision: create-if-absent, or update of the
// revision we read; an empty value means released. The holder renews well
// inside the TTL (every ~TTL/4) and trusts its lease only until the last
// successful write + TTL - a safety margin, measured on its own monotonic
// clock from before the write was sent, so it stops believing before the hub
// can let anyone else in.
#include "sync/site/connection.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace edsync::site {

class Lease {
public:
    static Result<std::unique_ptr<Lease>> open(SiteConnection& connection);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    // Takes the lease if free or renews it if ours; false if another kiosk
    // holds it (or a concurrent writer won the compare-and-set).
    Result<bool> tryAcquire(const std::string& kioskId);
    // Renews only if ours; false if it lapsed or was taken.
    Result<bool> renew(const std::string& kioskId);
    // Gives it up if ours (compare-and-set to empty), so another kiosk need not wait out the TTL.
    Status release(const std::string& kioskId);
    // The kiosk id holding it now per the hub, nullopt if free.
    Result<std::optional<std::string>> holder();

    // True while our last successful write is younger than TTL - margin.
    bool heldLocally() const;

private:
    explicit Lease(SiteConnection& connection);
    Result<bool> write(const std::string& kioskId, bool mayCreate);
    SiteConnection& m_conn;
    struct Kv;
    std::unique_ptr<Kv> m_kv;
    std::chrono::steady_clock::time_point m_validUntil{};
};

struct MachineInfo {
    std::string kioskId;
    std::string json;              // whatever the kiosk announced (last seen, events not yet in the log...)
    std::int64_t updatedUnixMs = 0;  // the hub's time of the announcement
};

// Bucket machines_<site>, one key per kiosk; entries lapse after a month unannounced.
class Machines {
public:
    static Result<std::unique_ptr<Machines>> open(SiteConnection& connection);
    ~Machines();
    Machines(const Machines&) = delete;
    Machines& operator=(const Machines&) = delete;

    Status announce(const std::string& kioskId, const std::string& json);
    Result<std::vector<MachineInfo>> machines();

private:
    explicit Machines(SiteConnection& connection);
    SiteConnection& m_conn;
    struct Kv;
    std::unique_ptr<Kv> m_kv;
};

} // namespace edsync::site
