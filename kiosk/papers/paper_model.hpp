#pragma once
// What each paper shows, as plain text values built from the store's read
// side (docs/architecture.md, "Papers"): the roster and session from
// SessionQueries, irregularities replayed from each student's events as the
// session report (export-session) does. Times are already local here.
#include "kiosk/papers/local_time.hpp"
#include "kiosk/store/store.hpp"

#include <string>
#include <vector>

namespace kiosk::papers {

// On every page.
struct PaperHeader {
    std::string siteName;
    std::string sessionName;   // the session's title
    std::string sessionId;
    std::string assessment;    // assessment identifier
    std::string room;
    std::string date;          // "Monday, November 23, 2026"
    std::string scheduledStart;  // "08:00"
    std::string printedAt;     // "2026-11-23 14:05"
    std::string auditHead;     // "412:1a2b3c4d5e6f7a8b": the audit chain when printed (verify-audit --printed-head)
};

struct RosterLine {
    std::string name;  // "Ñúñez, Zoë"
    std::string studentId;
    std::string seat;
    std::string timeIn;   // "08:04" or ""
    std::string timeOut;
    std::string status;   // "present", "not arrived", ...
};

struct IrregularityLine {
    std::string student;
    std::string studentId;
    std::string category;  // the circumstance's code value
    std::string time;
    std::string description;
    std::string proctor;
    domain::Timestamp occurredAt{};  // for ordering only
};

struct SessionPapers {
    PaperHeader header;
    std::vector<RosterLine> roster;      // the roster's order (surname, first name, ID)
    std::vector<RosterLine> seated;      // by seat, "A2" before "A10"
    std::vector<RosterLine> unseated;    // the roster's order
    std::vector<IrregularityLine> irregularities;  // by time
    std::string signedOffBy;             // "" while not signed off
    std::string signedOffAt;
};

// Error code 12 (SQLITE_NOTFOUND) when there is no such session.
store::Result<SessionPapers> buildSessionPapers(store::Store& store, const std::string& sessionId, const LocalClock& clock);

// "A2" < "A10" < "B1": digit runs compare as numbers, the rest as text.
bool seatBefore(const std::string& a, const std::string& b);

} // namespace kiosk::papers
