// Upgrade: a database written at schema version 1 (kiosk 1, sync 1: roster,
// sessions, events, attendance, outbox; none of v2's credentials, audit log,
// proctors or work entries) is opened by the current code. It migrates to the
// latest version, keeps every queued record and every event byte for byte,
// and the kiosk works on it.
//
// The v1 file is generated here by applying only the v1 migration SQL and
// writing rows the way the v1 kiosk did (event + projection + outbox in one
// transaction, sequence from the event table alone).
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/attendance_repo.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/schema.hpp"
#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"
#include "sync/sqlite/migrations.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <tuple>

using namespace kiosk;
using kiosk::test::TempDir;
using edsync::sqlite::Database;

namespace {

constexpr int kStudents = 30;

domain::Timestamp now() { return domain::systemNow(); }

std::vector<std::vector<std::string>> rows(Database& db, const std::string& sql, int columns) {
    std::vector<std::vector<std::string>> out;
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    while (stmt->step().value_or(false)) {
        std::vector<std::string> row;
        for (int i = 0; i < columns; ++i) row.push_back(stmt->getText(i));
        out.push_back(std::move(row));
    }
    return out;
}

std::int64_t scalar(Database& db, const std::string& sql) {
    auto stmt = db.prepare(sql);
    REQUIRE(stmt.ok());
    REQUIRE(stmt->step().value_or(false));
    return stmt->getInt(0);
}

bool hasTable(Database& db, const std::string& name) {
    return scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "';") == 1;
}

// An event row as release 1 wrote it (its columns, before the site's hlc).
void v1AppendEvent(Database& db, const std::string& session, const std::optional<std::string>& student, const std::string& kind,
                   std::int64_t seq, const std::string& id, const std::string& proctor, const std::string& payload) {
    auto stmt = db.prepare(
        "INSERT INTO event (seq, event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor, recorded_at,"
        " local_utc_offset_min, payload) VALUES (?1, ?2, 'v1-kiosk-0001', '255901001', ?3, ?4, ?5, ?6, ?7, 0, ?8);");
    REQUIRE(stmt.ok());
    stmt->bind(1, seq).bind(2, id).bind(3, session).bind(4, student).bind(5, kind).bind(6, proctor);
    stmt->bind(7, domain::formatUtc(now())).bind(8, payload);
    REQUIRE(stmt->run().ok());
}

// What a v1 kiosk did for one proctor action. `history` holds the student's
// earlier events (release 1 replayed them from its own table).
void v1Record(Database& db, const domain::SessionInfo& session, const std::string& student, domain::AttendanceEvent e,
              std::vector<domain::AttendanceEvent>& history) {
    auto tx = edsync::sqlite::Transaction::begin(db);
    REQUIRE(tx.ok());
    std::int64_t seq = scalar(db, "SELECT coalesce(max(seq), 0) + 1 FROM event;");
    e.id = store::uuidV7(now());
    e.seq = seq;
    e.at = now();
    history.push_back(e);
    auto replayed = domain::replay(history, session.rules());
    REQUIRE_FALSE(replayed.refusal);
    nlohmann::json payload = nlohmann::json::object();
    if (e.idMethod) payload["idMethod"] = domain::idMethodCode(*e.idMethod);
    if (!e.idVerifiedBy.empty()) payload["idVerifiedBy"] = e.idVerifiedBy;
    if (!e.seat.empty()) payload["seat"] = e.seat;
    if (!e.circumstance.empty()) payload["circumstance"] = e.circumstance;
    if (!e.reason.empty()) payload["reason"] = e.reason;
    if (!e.description.empty()) payload["description"] = e.description;
    if (e.occurredAt) payload["occurredAt"] = domain::formatUtc(*e.occurredAt);
    v1AppendEvent(db, session.sessionId, student, std::string(domain::eventKindCode(e.kind)), seq, e.id, e.proctor, payload.dump());
    std::string key = store::studentAssessmentKey(session, student);
    REQUIRE(store::writeAttendance(db, session.sessionId, student, replayed.state, seq, key).ok());
    REQUIRE(edsync::outbox::put(db, store::kStudentAssessments, key, store::studentAssessmentJson(session, student, replayed.state).dump(), seq)
                .ok());
    REQUIRE(tx->commit().ok());
}

struct V1Contents {
    std::vector<std::vector<std::string>> events, outbox, attendance, students, registrations, meta;
    std::int64_t queued = 0;
};

V1Contents snapshot(Database& db) {
    V1Contents c;
    c.events = rows(db, "SELECT seq, event_id, kiosk_id, site_id, session_id, coalesce(student_unique_id, ''), kind, proctor,"
                        " recorded_at, local_utc_offset_min, payload, coalesce(corrects_event_id, '') FROM event ORDER BY seq;",
                    12);
    c.outbox = rows(db, "SELECT resource, natural_key, body, local_version, synced_version, seq, first_queued_at FROM outbox"
                        " ORDER BY resource, natural_key;",
                    7);
    c.attendance = rows(db, "SELECT session_id, student_unique_id, presence, last_seq, edfi_key, detail FROM attendance ORDER BY 1, 2;", 6);
    c.students = rows(db, "SELECT student_unique_id, first_name, last_surname, birth_date FROM student ORDER BY 1;", 4);
    c.registrations = rows(db, "SELECT session_id, student_unique_id, scheduled_accommodations FROM registration ORDER BY 1, 2;", 3);
    c.meta = rows(db, "SELECT key, value FROM kiosk_meta ORDER BY key;", 2);
    c.queued = scalar(db, "SELECT count(*) FROM outbox WHERE local_version > synced_version;");
    return c;
}

// Builds a v1 database in `file`: a demo roster, an opened session, check-ins,
// breaks, an irregularity and check-outs, some records already synced and
// the rest queued. Returns the connection still open (the caller decides
// whether the old kiosk stopped cleanly).
Database makeV1(const std::filesystem::path& file, std::vector<std::string>& checkedIn) {
    auto opened = Database::open(file);
    REQUIRE(opened.ok());
    Database db = std::move(*opened);
    auto version = store::migrateTo(db, 1);
    REQUIRE(version.ok());
    REQUIRE(*version == 1);
    REQUIRE_FALSE(hasTable(db, "work_event"));
    REQUIRE_FALSE(hasTable(db, "credential"));
    REQUIRE(db.exec("INSERT INTO kiosk_meta (key, value) VALUES ('kiosk_id', 'v1-kiosk-0001'), ('site_id', '255901001'),"
                    " ('site_name', 'Riverbend High School');")
                .ok());
    store::DemoOptions demo;
    demo.students = kStudents;
    demo.now = now();
    {
        // v1 kept the roster's birth dates in the student table (v2 keeps
        // only hashes); today's writeRoster would write v2's credential table.
        auto roster = store::makeDemoRoster(demo);
        auto tx = edsync::sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        for (const auto& session : roster.sessions) REQUIRE(store::upsertSession(db, session).ok());
        // v1's own columns: today's upsertStudent also writes v5's grade.
        for (const auto& student : roster.students) {
            auto stmt = db.prepare("INSERT INTO student (student_unique_id, first_name, middle_name, last_surname, birth_date)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5);");
            REQUIRE(stmt.ok());
            stmt->bind(1, student.studentUniqueId).bind(2, student.firstName).bind(3, student.middleName).bind(4, student.lastSurname);
            stmt->bind(5, student.birthDate);
            REQUIRE(stmt->run().ok());
        }
        for (const auto& reg : roster.registrations) REQUIRE(store::upsertRegistration(db, reg).ok());
        REQUIRE(tx->commit().ok());
    }

    auto sessions = store::listSessions(db);
    REQUIRE(sessions.ok());
    REQUIRE(sessions->size() == 2);
    const domain::SessionInfo first = sessions->front();
    {
        auto tx = edsync::sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        v1AppendEvent(db, first.sessionId, std::nullopt, std::string(store::kSessionOpened), 1, store::uuidV7(now()), "Ms. Rivera", "{}");
        REQUIRE(store::markSessionOpened(db, first.sessionId, now(), "Ms. Rivera").ok());
        REQUIRE(tx->commit().ok());
    }
    auto session = store::findSession(db, first.sessionId);
    REQUIRE(session.ok());
    REQUIRE(session->has_value());
    // The session's students as v1 listed them (today's rosterForSession reads v5's columns).
    auto roster = rows(db, "SELECT r.student_unique_id FROM registration r JOIN student s USING (student_unique_id)"
                           " WHERE r.session_id = '" + first.sessionId + "' ORDER BY s.last_surname, s.first_name, s.student_unique_id;", 1);
    REQUIRE(roster.size() >= 12);
    std::map<std::string, std::vector<domain::AttendanceEvent>> histories;
    for (std::size_t i = 0; i < 10; ++i) {
        const std::string& id = roster[i].at(0);
        domain::AttendanceEvent in;
        in.kind = domain::EventKind::CheckedIn;
        in.proctor = "Ms. Rivera";
        in.idMethod = domain::IdMethod::PhotoId;
        in.idVerifiedBy = "Ms. Rivera";
        in.seat = "A" + std::to_string(i + 1);
        v1Record(db, **session, id, in, histories[id]);
        checkedIn.push_back(id);
        if (i % 3 == 0) {
            domain::AttendanceEvent out;
            out.kind = domain::EventKind::BreakOut;
            out.proctor = "Ms. Rivera";
            v1Record(db, **session, id, out, histories[id]);
        }
        if (i == 4) {
            domain::AttendanceEvent irr;
            irr.kind = domain::EventKind::Irregularity;
            irr.proctor = "Ms. Rivera";
            irr.circumstance = std::string(domain::kEventCircumstanceNs) + "Fire alarm";
            irr.description = "Evacuated for 12 minutes; resumed at 09:40.";
            v1Record(db, **session, id, irr, histories[id]);
        }
    }
    // The first four reached the state before the upgrade; the rest wait.
    auto claims = edsync::outbox::claimDue(db, 0, 4);
    REQUIRE(claims.ok());
    REQUIRE(claims->size() == 4);
    for (const auto& c : *claims) REQUIRE(edsync::outbox::acknowledge(db, c.resource, c.naturalKey, c.version).ok());
    return db;
}

void upgradeAndUse(const std::filesystem::path& file, const V1Contents& before, const std::vector<std::string>& checkedIn) {
    auto opened = store::Store::open(file);
    REQUIRE(opened.ok());
    store::Store& s = *opened;
    Database& db = s.db();

    // Migrated to the latest version, every step recorded.
    CHECK(s.schemaVersion() == store::latestSchemaVersion());
    CHECK(s.schemaVersion() >= 2);
    CHECK(edsync::sqlite::schemaVersion(db, "kiosk").value() == store::latestSchemaVersion());
    CHECK(edsync::sqlite::schemaVersion(db, "sync").value() == 11);
    // The outbox is stored in queue order (sync v8): no row sits before one queued earlier.
    CHECK(scalar(db, "SELECT count(*) FROM outbox a JOIN outbox b ON a.seq < b.seq AND a.rowid > b.rowid;") == 0);
    CHECK(edsync::sqlite::schemaVersion(db, "site").value() == 4);
    CHECK(scalar(db, "SELECT count(*) FROM schema_migrations WHERE component = 'kiosk';") == store::latestSchemaVersion());
    for (const char* table : {"credential", "audit_log", "proctor", "work_event", "work_entry", "site_parked", "site_outbox"}) CHECK(hasTable(db, table));
    CHECK(s.kioskId() == "v1-kiosk-0001");
    CHECK(s.siteId() == "255901001");

    // Every event, queued record, projection and roster row, unchanged.
    V1Contents after = snapshot(db);
    CHECK(after.events == before.events);
    CHECK(after.outbox == before.outbox);
    CHECK(after.attendance == before.attendance);
    CHECK(after.students == before.students);
    CHECK(after.registrations == before.registrations);
    CHECK(after.meta == before.meta);
    CHECK(after.queued == before.queued);
    CHECK(before.queued > 0);
    CHECK(rows(db, "PRAGMA integrity_check;", 1) == std::vector<std::vector<std::string>>{{"ok"}});

    // The queued records are still the uploader's to send, oldest first.
    {
        auto tx = edsync::sqlite::Transaction::begin(db);
        REQUIRE(tx.ok());
        auto due = edsync::outbox::claimDue(db, 0, 1000);
        REQUIRE(due.ok());
        CHECK(static_cast<std::int64_t>(due->size()) == before.queued);
        // Rolled back: the claim was only a look.
    }

    // The kiosk works on it: a new check-in, a check-out of a student checked
    // in under v1 (the old history replays), and v2 features.
    service::AttendanceService attendance(s, domain::systemNow);
    auto sessions = store::listSessions(db);
    REQUIRE(sessions.ok());
    const std::string sessionId = sessions->front().sessionId;
    auto roster = store::rosterForSession(db, sessionId);
    REQUIRE(roster.ok());
    std::string newcomer;
    for (const auto& row : *roster)
        if (row.presence == domain::Presence::Expected) newcomer = row.student.studentUniqueId;
    REQUIRE_FALSE(newcomer.empty());
    const std::int64_t oldMaxSeq = scalar(db, "SELECT max(seq) FROM event;");
    auto in = attendance.checkIn(sessionId, newcomer, "Ms. Rivera", {domain::IdMethod::SchoolId, "", "B7", ""});
    CHECK_MESSAGE(in.saved, in.message);
    CHECK(scalar(db, "SELECT seq FROM event WHERE event_id = '" + in.eventId + "';") == oldMaxSeq + 1);
    auto out = attendance.checkOut(sessionId, checkedIn[1], "Ms. Rivera");
    CHECK_MESSAGE(out.saved, out.message);
    auto back = attendance.breakIn(sessionId, checkedIn[0], "Ms. Rivera");  // on a break since v1
    CHECK_MESSAGE(back.saved, back.message);
    // (A break changes nothing the state receives; an irregularity does.)
    auto noted = attendance.recordIrregularity(sessionId, checkedIn[0], "Ms. Rivera",
                                               {"uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm", "Alarm test", std::nullopt});
    CHECK_MESSAGE(noted.saved, noted.message);
    // Each of the three is queued for the state again, at a new version.
    auto session = store::findSession(db, sessionId);
    REQUIRE(session.ok());
    for (const std::string& student : {newcomer, checkedIn[0], checkedIn[1]}) {
        auto st = edsync::outbox::status(db, store::kStudentAssessments, store::studentAssessmentKey(**session, student));
        REQUIRE(st.ok());
        REQUIRE(st->has_value());
        CHECK((*st)->localVersion > (*st)->syncedVersion);
    }

    // v1's plain birth dates become hashes (the second factor of sign-in):
    // until then a v1 student cannot sign in with a birth date.
    service::SecurityService security(s, domain::systemNow);
    const std::string birthDate = rows(db, "SELECT birth_date FROM student WHERE student_unique_id = '" + newcomer + "';", 1).at(0).at(0);
    REQUIRE_FALSE(birthDate.empty());
    CHECK_FALSE(security.signIn(newcomer, birthDate).ok);
    auto hashed = security.hashBirthDates();
    REQUIRE(hashed.ok());
    CHECK(*hashed == kStudents);
    CHECK(scalar(db, "SELECT count(*) FROM student WHERE birth_date <> '';") == 0);
    CHECK(security.signIn(newcomer, birthDate).ok);
    // v5 gave every student a grade, empty until a roster says.
    CHECK(scalar(db, "SELECT count(*) FROM student WHERE grade_level = '';") == kStudents);
    auto proctor = security.setProctor("P001", "Ms. Rivera", "2468");
    CHECK_MESSAGE(proctor.saved, proctor.message);
    service::WorkService work(s, domain::systemNow, security);
    REQUIRE_FALSE(work.loadCatalogue(KIOSK_TASK_CATALOGUE).has_value());
    domain::EntryFields f{"comm-written", "", 30, "Riverbend Hardware", "Wrote the weekly stock report."};
    auto draft = work.saveDraft(newcomer, "", f);
    CHECK_MESSAGE(draft.saved, draft.message);
    CHECK(rows(db, "PRAGMA integrity_check;", 1) == std::vector<std::vector<std::string>>{{"ok"}});

    // Opening it again changes nothing more.
    const auto migrations = scalar(db, "SELECT count(*) FROM schema_migrations;");
    auto again = store::Store::open(file);
    REQUIRE(again.ok());
    CHECK(scalar(again->db(), "SELECT count(*) FROM schema_migrations;") == migrations);
}

} // namespace

TEST_CASE("upgrade: a v1 database, closed cleanly, migrates and keeps every queued record and event") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    std::vector<std::string> checkedIn;
    V1Contents before;
    {
        Database db = makeV1(file, checkedIn);
        before = snapshot(db);
    }
    CHECK(before.events.size() == 1 + 10 + 4 + 1);
    CHECK(before.outbox.size() == 10);
    CHECK(before.queued == 6);
    upgradeAndUse(file, before, checkedIn);
}

TEST_CASE("upgrade: a v1 database left with an un-checkpointed WAL (the old kiosk was killed) migrates intact") {
    TempDir dir;
    const auto oldFile = dir / "old.db";
    const auto file = dir / "kiosk.db";
    std::vector<std::string> checkedIn;
    V1Contents before;
    {
        Database db = makeV1(oldFile, checkedIn);
        before = snapshot(db);
        // Copy the files while the old connection is still open, as a kill
        // would leave them: the newest transactions live only in the WAL.
        REQUIRE(std::filesystem::exists(oldFile.string() + "-wal"));
        REQUIRE(std::filesystem::file_size(oldFile.string() + "-wal") > 0);
        std::filesystem::copy_file(oldFile, file);
        std::filesystem::copy_file(oldFile.string() + "-wal", file.string() + "-wal");
    }
    upgradeAndUse(file, before, checkedIn);
}

TEST_CASE("upgrade: a database from a newer release is refused, not downgraded") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    {
        auto s = store::Store::open(file);
        REQUIRE(s.ok());
        REQUIRE(s->db().exec("INSERT INTO schema_migrations (component, version) VALUES ('kiosk', 99);").ok());
    }
    auto db = Database::open(file);
    REQUIRE(db.ok());
    auto older = store::migrateTo(*db, 1);
    CHECK_FALSE(older.ok());
    auto s = store::Store::open(file);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message.find("newer version") != std::string::npos);
}
