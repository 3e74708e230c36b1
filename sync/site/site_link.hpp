#pragma once
// The site link: a background worker that keeps this kiosk joined to its
// site's event log. One thread publishes the outbox (woken by notify() after
// a local commit), keeps the uploader lease when asked, announces the machine
// and (re)connects with backoff; another fetches the site's events and hands
// each to the apply callback. Each thread has its own SQLite connection to
// the kiosk's database. Nothing here ever blocks a caller's commit, and
// stop() returns within a few seconds whatever the hub does (every nats call
// is bounded by the config's timeouts).
#include "sync/site/consumer.hpp"
#include "sync/site/site_config.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace edsync::site {

struct SiteLinkStatus {
    bool running = false;
    bool connected = false;
    std::int64_t lastContactUnixMs = 0;                     // 0: never
    std::int64_t unpublished = 0;                           // local events not yet in the site log
    std::optional<std::int64_t> oldestUnpublishedUnixMs;    // when the oldest of them was queued
    std::uint64_t consumerPending = 0;                      // site events not yet applied here
    std::optional<std::int64_t> secondsBehind;              // see ConsumerLag::secondsBehind
    std::optional<std::string> leaseHolder;                 // per the hub, when last asked
    bool holdsLease = false;                                // this kiosk, by its own safe reckoning
    std::int64_t published = 0;                             // since start
    std::int64_t applied = 0;                               // since start
    std::int64_t applyFailures = 0;                         // since start (retried, never dropped)
    std::string lastError;                                  // empty when the last round went well
    std::string lastApplyFailure;
};

class SiteLink {
public:
    // Opens two connections to `dbFile` and migrates the site tables. The
    // apply callback runs on the consumer thread, in its own transaction or
    // inside the consumer's batch transaction (`mode`, see Consumer).
    static edsync::Result<std::unique_ptr<SiteLink>, std::string> create(const SiteLogConfig& config,
                                                                          const std::filesystem::path& dbFile,
                                                                          ApplyFn apply,
                                                                          ApplyMode mode = ApplyMode::CallbackTransaction);
    // The same, with the consumer on the caller's connection to `dbFile`
    // (borrowed: it must outlive the link and be used by nothing else while
    // the link runs): an apply that writes through its own objects on that
    // connection can then run inside the consumer's batch transaction.
    static edsync::Result<std::unique_ptr<SiteLink>, std::string> create(const SiteLogConfig& config,
                                                                          const std::filesystem::path& dbFile,
                                                                          Database& consumerDb, ApplyFn apply,
                                                                          ApplyMode mode);
    // Runs on the consumer thread after each fetch that applied something,
    // outside any transaction (e.g. facts parked until now can follow).
    void setAfterApplied(std::function<void()> fn);
    ~SiteLink();  // stops
    SiteLink(const SiteLink&) = delete;
    SiteLink& operator=(const SiteLink&) = delete;

    void start();
    // Asks both threads to finish (returns at once); stop() also waits for them.
    void interrupt();
    void stop();

    // A local commit queued site events: publish now.
    void notify();
    // Keep (or give up) the uploader lease.
    void setWantLease(bool want);
    // What this machine tells the site about itself (JSON), re-announced every few seconds.
    void setAnnouncement(std::string json);

    SiteLinkStatus status() const;
    bool holdsLease() const;

private:
    SiteLink();
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace edsync::site
