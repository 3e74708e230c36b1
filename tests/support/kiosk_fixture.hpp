#pragma once
// Shared set-up for store, service and crash tests: a small roster, a clock
// the test moves by hand, and one-line SQL queries for assertions.
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_import.hpp"
#include "kiosk/store/store.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace kiosk::test {

// 2026-11-23T13:00:00Z, the scheduled start of the test session.
inline domain::Timestamp sessionStart() { return *domain::parseIso8601("2026-11-23T13:00:00Z"); }
inline domain::Timestamp atMinute(int m) { return sessionStart() + domain::Minutes{m}; }

// A clock the test sets; copies of clock() all see the same time.
class ManualClock {
public:
    explicit ManualClock(domain::Timestamp t = sessionStart()) : m_now(std::make_shared<domain::Timestamp>(t)) {}
    void set(domain::Timestamp t) { *m_now = t; }
    void setMinute(int m) { *m_now = atMinute(m); }
    domain::Timestamp now() const { return *m_now; }
    domain::Clock clock() const {
        auto p = m_now;
        return [p] { return *p; };
    }

private:
    std::shared_ptr<domain::Timestamp> m_now;
};

inline constexpr const char* kMathSession = "RHS-2026-WK-AM-114";
inline constexpr const char* kDocsSession = "RHS-2026-WK-PM-116";
inline constexpr const char* kProctor = "Ms. Rivera";

// Two sessions; five students in the math one, two in the documents one.
inline store::RosterData smallRoster() {
    store::RosterData d;
    domain::SessionInfo math;
    math.sessionId = kMathSession;
    math.assessmentIdentifier = "WK-APPLIED-MATH";
    math.assessmentNamespace = "uri://testsite.example.org/assessment";
    math.assigningEdOrgId = 255901;
    math.schoolId = 255901001;
    math.title = "WorkKeys Applied Math";
    math.room = "Room 114";
    math.scheduledStart = sessionStart();
    domain::SessionInfo docs = math;
    docs.sessionId = kDocsSession;
    docs.assessmentIdentifier = "WK-WORKPLACE-DOCS";
    docs.title = "WorkKeys Workplace Documents";
    docs.room = "Room 116";
    docs.scheduledStart = atMinute(180);
    d.sessions = {math, docs};
    d.students = {
        {"S100001", "Zoë", "", "Ñúñez", "2009-04-12"},
        {"S100002", "Łukasz", "", "Dvořák", "2008-11-02"},
        {"S100003", "Siobhán", "Aoife", "O'Brien", "2009-01-30"},
        {"S100004", "Nguyễn", "", "Trần", "2008-07-19"},
        {"S100005", "Mateo", "", "Ashworth-Pérez", ""},
        {"S100006", "Søren", "", "Øvergård", "2009-02-14"},
        {"S100007", "Emma", "", "Smith", "2008-12-01"},
    };
    const std::string acc = "uri://ed-fi.org/AccommodationDescriptor#";
    d.registrations = {
        {kMathSession, "S100001", {acc + "Scheduling"}, false},
        {kMathSession, "S100002", {}, false},
        {kMathSession, "S100003", {acc + "Test material", acc + "Settings"}, false},
        {kMathSession, "S100004", {}, false},
        {kMathSession, "S100005", {}, false},
        {kDocsSession, "S100006", {}, false},
        {kDocsSession, "S100007", {}, false},
    };
    return d;
}

// The first column of the first row of `sql`, as an integer.
inline std::int64_t queryInt(store::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE_MESSAGE(stmt.ok(), (stmt.ok() ? std::string() : stmt.error().message));
    auto row = stmt->step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    return stmt->getInt(0);
}

inline std::string queryText(store::Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE_MESSAGE(stmt.ok(), (stmt.ok() ? std::string() : stmt.error().message));
    auto row = stmt->step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    return stmt->getText(0);
}

inline std::string sqlQuote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "''";
        else out.push_back(c);
    }
    return out + "'";
}

} // namespace kiosk::test
