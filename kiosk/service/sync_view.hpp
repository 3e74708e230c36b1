#pragma once
// What the proctor sees of the state sync: online or not, last contact, what
// waits, what is stuck and why, how fast a backlog drains. Screens read these
// plain values; the sync engine stays behind the service layer.
#include "kiosk/domain/time.hpp"
#include "kiosk/store/store.hpp"
#include "sync/edfi/engine.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

struct SyncSummary {
    enum class Connection { NotEnrolled, Connecting, Online, Offline, CredentialsRefused };
    Connection connection = Connection::NotEnrolled;
    std::optional<domain::Timestamp> lastContact;
    std::optional<std::int64_t> clockOffsetSeconds;  // the state's clock minus ours
    bool clockWarning = false;                       // more than five minutes apart
    double ratePerSecond = 0;
    std::int64_t waiting = 0;
    std::int64_t inFlight = 0;
    std::int64_t needsAttention = 0;
    std::int64_t synced = 0;
    std::optional<std::int64_t> secondsLeft;  // waiting / rate, while draining
    std::string lastError;                    // may quote the server: show it, never log it
};

SyncSummary summarise(const edsync::edfi::SyncStatus& status);
// A kiosk that is not enrolled still shows what waits to go.
SyncSummary offlineSummary(store::Store& store);

using SyncSummaryProvider = std::function<SyncSummary()>;

// A record the state refused for good, named for a person.
struct AttentionRecord {
    std::string resource;
    std::string naturalKey;
    std::string who;      // "Ñúñez, Zoë (S100001) · WorkKeys Applied Math", or a description
    int httpStatus = 0;
    std::string message;  // the server's own words
};

class SyncQueries {
public:
    explicit SyncQueries(store::Store& store) : m_store(store) {}
    store::Result<std::vector<AttentionRecord>> needsAttention(int limit = 200);
    // The cause was fixed (a descriptor added, an enrolment synced): send it again.
    store::Status retry(const std::string& resource, const std::string& naturalKey);

private:
    store::Store& m_store;
};

} // namespace kiosk::service
