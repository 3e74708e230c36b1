#pragma once
// What one kiosk of a site holds, read from its database (read-only, while
// its processes may still run), so the site harness can tell when every
// kiosk holds the same and nothing waits, and say where two differ.
// Local sequence numbers are left out: each kiosk numbers its own rows.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kiosk::durability {

struct KioskPicture {
    std::set<std::string> events;                     // event ids
    std::set<std::string> workEvents;                 // work event ids
    std::map<std::string, std::string> attendance;    // session|student -> the projection's columns
    std::map<std::string, std::string> workEntries;   // entry id -> the projection's columns
    std::map<std::string, std::string> outbox;        // resource|key -> op|body (settled deletions left out)
    std::int64_t pending = 0;                         // outbox rows not at the state (or not known to be)
    std::int64_t attention = 0;                       // outbox rows refused by the state
    std::int64_t unpublished = 0;                     // facts not yet on the hub
    std::int64_t published = 0;                       // facts the hub acknowledged
    std::int64_t parked = 0;                          // site facts waiting or refused here
    std::string error;                                // the database could not be read

    // Nothing of this kiosk waits for the hub or the state.
    bool settled() const { return error.empty() && pending == 0 && attention == 0 && unpublished == 0 && parked == 0; }
};

KioskPicture readPicture(const std::filesystem::path& dbFile);

// Where `b` differs from `a` (at most `limit` lines, naming keys, never bodies:
// a body holds a student's record); empty when they hold the same.
std::vector<std::string> differences(const KioskPicture& a, const KioskPicture& b, std::size_t limit = 8);

} // namespace kiosk::durability
