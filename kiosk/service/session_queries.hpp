#pragma once
// Read side for screens and the CLI: snapshots built from the store, so the
// UI never touches SQL.
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/records.hpp"
#include "kiosk/store/store.hpp"
#include "sync/outbox/outbox.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

struct SessionSummary {
    domain::SessionInfo info;
    domain::SessionCounts counts;
};

struct SessionSnapshot {
    domain::SessionInfo info;
    std::vector<domain::RosterRow> roster;
    domain::SessionCounts counts;
    // Changes whenever who is on the roster or how they are named changes (a
    // rename, a registration added or withdrawn, a walk-in): whatever is built
    // from the roster's names or order (the search index) is keyed to it.
    std::uint64_t rosterRevision = 0;
};

// The revision of a roster as listed (FNV-1a over each row's ID, names, birth
// date and walk-in flag, in order).
std::uint64_t rosterRevision(const std::vector<domain::RosterRow>& roster);

// Whether the state holds the latest version of a student's record.
enum class StateCopy { NoRecord, Pending, Synced, NeedsAttention };

// A student typed by their ID who is not on the session open but on another's.
struct StudentElsewhere {
    domain::Student student;
    domain::SessionInfo session;  // the one starting nearest `now`
};

struct StudentDetail {
    domain::RosterRow row;
    domain::Attendance attendance;
    std::vector<domain::HistoryItem> history;
    StateCopy stateCopy = StateCopy::NoRecord;
    std::string stateMessage;  // the server's words when it needs attention
};

// The same reads on any connection (a read model's worker has its own).
store::Result<std::vector<SessionSummary>> sessionList(store::Database& db);
// One student of a session as the check-in dialog shows them: the roster
// line given, with their events replayed and the state's copy.
store::Result<StudentDetail> studentDetail(store::Database& db, const domain::SessionInfo& info, const domain::RosterRow& row);
store::Result<SessionSnapshot> sessionSnapshot(store::Database& db, const std::string& sessionId);
store::Result<std::vector<StateCopy>> stateCopies(store::Database& db, const SessionSnapshot& snapshot);

class SessionQueries {
public:
    explicit SessionQueries(store::Store& store) : m_store(store) {}
    // The store these queries read, for read-side builders such as the papers.
    store::Store& store() { return m_store; }

    store::Result<std::vector<SessionSummary>> sessions();
    store::Result<SessionSnapshot> session(const std::string& sessionId);
    store::Result<StudentDetail> student(const std::string& sessionId, const std::string& studentId);
    store::Result<edsync::outbox::Counts> outbox();
    // Per student in a session: does the state have the latest version?
    store::Result<std::vector<StateCopy>> stateCopies(const SessionSnapshot& snapshot);

    // Where a student not on `sessionId`'s roster is registered instead
    // (none: no such ID, or no other session of theirs).
    store::Result<std::optional<StudentElsewhere>> studentElsewhere(const std::string& sessionId, const std::string& studentId,
                                                                    domain::Timestamp now);

    // Writes the session report CSV atomically (temp file + rename).
    // Returns an error message, or nothing on success.
    std::optional<std::string> exportReport(const std::string& sessionId, const std::filesystem::path& file);

private:
    store::Store& m_store;
};

} // namespace kiosk::service
