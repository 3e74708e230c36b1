#pragma once
// A testing session, its students and its roster as plain values: what the
// store keeps, the services read and the screens show (no SQL, no I/O).
#include "kiosk/domain/attendance.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::domain {

struct SessionInfo {
    std::string sessionId;  // Ed-Fi administrationIdentifier
    std::string assessmentIdentifier;
    std::string assessmentNamespace;
    std::int64_t assigningEdOrgId = 0;
    std::optional<std::int64_t> schoolId;
    std::string title;
    std::string room;
    Timestamp scheduledStart{};
    int lateAfterMinutes = 15;
    int noShowAfterMinutes = 30;
    std::optional<Timestamp> openedAt;
    std::string openedBy;
    std::optional<Timestamp> signedOffAt;
    std::string signedOffBy;

    SessionRules rules() const;
};

struct Student {
    std::string studentUniqueId;
    std::string firstName;
    std::string middleName;
    std::string lastSurname;
    std::string birthDate;  // YYYY-MM-DD or empty
    std::string gradeLevel{};  // "11", as the roster gives it; empty if it gives none ({}: older initialisers may leave it out)
    std::string displayName() const;  // "Ñúñez, Zoë"
};

struct Registration {
    std::string sessionId;
    std::string studentUniqueId;
    std::vector<std::string> scheduledAccommodations;  // descriptor URIs
    bool walkIn = false;
};

// One line of a session's roster: the student, what was scheduled and
// where they are now.
struct RosterRow {
    Student student;
    std::vector<std::string> scheduledAccommodations;
    bool walkIn = false;
    Presence presence = Presence::Expected;
    bool late = false;
    std::string seat;
    std::optional<Timestamp> checkedInAt;
    std::optional<Timestamp> checkedOutAt;
    std::optional<Timestamp> breakStartedAt;  // while on a break
    int accommodationsDelivered = 0;
    bool hasRecord = false;  // a record for the state exists (queued or sent)
};

struct SessionCounts {
    int expected = 0, present = 0, onBreak = 0, checkedOut = 0, noShow = 0, walkIns = 0, late = 0;
    int irregularities = 0;  // irregularity events recorded in the session (for the sign-off checklist)
    int total() const { return expected + present + onBreak + checkedOut + noShow; }
};

} // namespace kiosk::domain
