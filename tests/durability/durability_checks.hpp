#pragma once
// The checker of the kill -9 runs, shared by durability-harness (one kiosk)
// and site-durability-harness (a site): what a driver printed as committed,
// held against the store, and a store's outbox held against the Ed-Fi
// double's /_test/received.
#include "kiosk/store/store.hpp"
#include "sync/transport/curl_transport.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::durability {

struct Committed {
    std::string kind;      // event, work_event, outbox, proctor
    std::string resource;  // outbox only
    std::string id;
    std::int64_t value = 0;
};

// Every "committed ..." line of a driver's stdout log; `malformed` counts the rest of that kind.
std::vector<Committed> readCommitted(const std::filesystem::path& log, int& malformed);

// Unauthenticated questions to the double or the proxy (/_test/..., /_proxy/...).
class Control {
public:
    Control(const std::filesystem::path& ca, std::string base);
    std::optional<nlohmann::json> call(edsync::transport::Method method, const std::string& path, const std::string& body = {});

private:
    std::string m_base;
    std::unique_ptr<edsync::transport::CurlTransport> m_http;
};

// The last `bytes` of a file (a child's stderr, for a failure message).
std::string tail(const std::filesystem::path& file, std::size_t bytes = 2000);

struct Verdict {
    int failures = 0;
    std::vector<std::string> notes;
    void fail(const std::string& what) {
        ++failures;
        if (notes.size() < 40) notes.push_back(what);
    }
};

struct CheckReport {
    std::size_t committedLines = 0, events = 0, workEvents = 0, outboxVersions = 0, other = 0;
    std::size_t lost = 0, duplicated = 0, stale = 0, projectionsChecked = 0, evaluationsChecked = 0;
    std::size_t deletions = 0;  // outbox rows that are deletions, checked gone from the server
    std::size_t deletedAtState = 0;  // of those, records the server took and no longer holds (a DELETE reached it)
    std::size_t nothingToReport = 0;  // sittings whose every entry was withdrawn (durability-harness)
    std::int64_t serverDeletes = 0, serverMissedDeletes = 0;  // DELETEs the double served; of those, ones that found nothing (404)
    std::map<std::string, std::pair<std::size_t, std::int64_t>> onServer;  // resource -> (records, posts)
    std::string integrity;
};

// integrity_check, foreign_key_check, and every committed line in the store.
void checkStoreAgainstLog(store::Database& db, const std::vector<Committed>& committed, CheckReport& rep, Verdict& v);
// The double holds each record of the store's outbox once, with its latest
// body; nothing the store never wrote; no rejected post; deletions gone.
void checkServer(store::Database& db, Control& control, CheckReport& rep, Verdict& v);

} // namespace kiosk::durability
