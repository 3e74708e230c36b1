#include "kiosk/store/demo_data.hpp"

#include "kiosk/store/credentials.hpp"

#include <array>
#include <cstdio>
#include <random>

namespace kiosk::store {

namespace {

// Names from many backgrounds, with the diacritics real rosters carry.
constexpr std::array<std::string_view, 40> kFirst{
    "Zoë", "Łukasz", "José", "Aaliyah", "Mateo", "Siobhán", "Nguyễn", "Chloé", "Søren", "Ana", "Björn", "Dmitri",
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Elijah", "Sofía", "Lucas", "Mía", "Jamal", "Priya", "Keanu",
    "Hiroshi", "Amara", "Renée", "François", "Zoltán", "Ingrid", "Tomás", "Maëlle", "Ximena", "Kwame", "Aroha",
    "Dara", "Wyatt", "Kayden", "Brooklyn", "Luna",
};
constexpr std::array<std::string_view, 40> kLast{
    "Ñúñez", "Dvořák", "García", "Johnson", "O'Brien", "Øvergård", "Trần", "Müller", "Kowalski", "Smith",
    "Hernández", "Nakamura", "Okafor", "Patel", "Williams", "Brown", "Jones", "Miller", "Davis", "Rodríguez",
    "Martínez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lefèvre", "Szabó", "Çelik",
    "Ashworth-Pérez", "Begay", "Yazzie", "Kealoha", "Lindqvist", "Ó Súilleabháin", "Đặng", "Schröder", "Wójcik", "Ramírez",
};
constexpr std::array<std::string_view, 7> kAccommodations{
    "Extended time 1.5x", "Large print", "Read aloud", "Separate setting", "Breaks as needed", "Spanish directions",
    "Color contrast",
};

} // namespace

RosterData makeDemoRoster(const DemoOptions& options) {
    using namespace std::chrono;
    RosterData data;
    // Session 1 started a few minutes ago (arrivals are being checked in);
    // session 2 is this afternoon. Times follow "now" so the demo always works.
    auto now = floor<minutes>(options.now);
    SessionInfo math;
    math.sessionId = "RHS-2026-WK-AM-114";
    math.assessmentIdentifier = "WK-APPLIED-MATH";
    math.assessmentNamespace = std::string(kDemoNamespace);
    math.assigningEdOrgId = 255901;
    math.schoolId = 255901001;
    math.title = "WorkKeys Applied Math";
    math.room = "Room 114";
    math.scheduledStart = time_point_cast<milliseconds>(now - minutes{10});
    math.lateAfterMinutes = 15;
    math.noShowAfterMinutes = 30;
    SessionInfo docs = math;
    docs.sessionId = "RHS-2026-WK-PM-116";
    docs.assessmentIdentifier = "WK-WORKPLACE-DOCS";
    docs.title = "WorkKeys Workplace Documents";
    docs.room = "Room 116";
    docs.scheduledStart = time_point_cast<milliseconds>(now + hours{3});
    data.sessions = {math, docs};

    std::mt19937 rng(options.seed);
    auto pick = [&](auto& list) { return list[std::uniform_int_distribution<std::size_t>(0, list.size() - 1)(rng)]; };
    for (int i = 0; i < options.students; ++i) {
        Student s;
        char id[16];
        std::snprintf(id, sizeof id, "S%06d", 100001 + i);
        s.studentUniqueId = id;
        // The first two are always the names people test diacritics with.
        if (i == 0) {
            s.firstName = "Zoë";
            s.lastSurname = "Ñúñez";
        } else if (i == 1) {
            s.firstName = "Łukasz";
            s.lastSurname = "Dvořák";
        } else {
            s.firstName = std::string(pick(kFirst));
            s.lastSurname = std::string(pick(kLast));
        }
        int year = 2008 + static_cast<int>(rng() % 3);
        char birth[16];
        std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", year, 1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
        s.birthDate = i == 0 ? std::string(kDemoStudentBirthDate) : std::string(birth);
        // Born 2008-2010: grades 12 to 10 in the 2026-27 school year (no draw
        // from rng: the demo's names stay what the docs and tests name).
        s.gradeLevel = std::to_string(2020 - std::stoi(s.birthDate.substr(0, 4)));
        data.students.push_back(s);

        Registration r;
        r.sessionId = (i % 3 == 2) ? docs.sessionId : math.sessionId;
        r.studentUniqueId = s.studentUniqueId;
        if (i == 0 || rng() % 100 < 15) {
            r.scheduledAccommodations.push_back(std::string(kDemoAccommodationNs) + std::string(pick(kAccommodations)));
            if (rng() % 3 == 0)
                r.scheduledAccommodations.push_back(std::string(kDemoAccommodationNs) + std::string(pick(kAccommodations)));
            if (r.scheduledAccommodations.size() == 2 && r.scheduledAccommodations[0] == r.scheduledAccommodations[1])
                r.scheduledAccommodations.pop_back();
        }
        data.registrations.push_back(std::move(r));
    }
    return data;
}

bool demoCredentialsHold(Database& db) {
    auto flag = getMeta(db, kDemoCredentialsMeta);
    return flag && *flag && **flag == "1";
}

Status loadDemo(Store& store, const DemoOptions& options) {
    if (auto s = store.setSite("255901001", "Riverbend High School"); !s) return s;
    if (auto s = writeRoster(store.db(), makeDemoRoster(options)); !s) return s;
    // A demo proctor, so verification and kiosk exit can be tried (README).
    auto stmt = store.db().prepare("INSERT OR IGNORE INTO proctor (proctor_id, name) VALUES (?1, ?2);");
    if (!stmt) return edsync::fail(stmt.error());
    stmt->bind(1, kDemoProctorId).bind(2, kDemoProctorName);
    if (auto s = stmt->run(); !s) return s;
    auto has = hasCredential(store.db(), CredentialKind::ProctorPin, kDemoProctorId);
    if (!has) return edsync::fail(has.error());
    if (*has) return {};  // a PIN set before (by the demo or a technician) says nothing of the README's
    if (auto s = setCredential(store.db(), CredentialKind::ProctorPin, kDemoProctorId, kDemoProctorPin, HashCost::Interactive, options.now); !s)
        return s;
    return setMeta(store.db(), kDemoCredentialsMeta, "1");
}

} // namespace kiosk::store
