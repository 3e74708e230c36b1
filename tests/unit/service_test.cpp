// kiosk::service::AttendanceService: one action = one event + projection +
// outbox bump in one transaction; refusals write nothing; session rules
// (open, cut-off, sign-off); walk-ins; corrections; a full disk.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/clock_watch.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/session_report.hpp"
#include "support/fixed_zone.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"
#include "sync/outbox/outbox.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;
using service::ActionResult;

namespace {

const std::string kScheduling = "uri://ed-fi.org/AccommodationDescriptor#Scheduling";
const std::string kTestMaterial = "uri://ed-fi.org/AccommodationDescriptor#Test material";
const std::string kFireAlarm = "uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm";
// The proctor kProctor names, as the technician set them up.
const std::string kProctorId = "P007";
const std::string kProctorPin = "2468";

store::Store openOrFail(const std::filesystem::path* file) {
    auto s = file ? store::Store::open(*file) : store::Store::openInMemory();
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().describe()));
    return std::move(s).value();
}

struct Kiosk {
    explicit Kiosk(const std::filesystem::path* file = nullptr) : store(openOrFail(file)), svc(store, clock.clock()), security(store, clock.clock()) {
        REQUIRE(store.setSite("255901001", "Riverbend High School").ok());
        REQUIRE(store::writeRoster(store.db(), smallRoster()).ok());
        REQUIRE(security.setProctor(kProctorId, kProctor, kProctorPin).saved);
        svc.setOnCommitted([this] { ++commits; });
    }

    ManualClock clock{atMinute(-10)};
    store::Store store;
    service::AttendanceService svc;
    service::SecurityService security;
    int commits = 0;

    store::Database& db() { return store.db(); }
    std::int64_t events() { return queryInt(db(), "SELECT count(*) FROM event;"); }
    std::int64_t studentEvents(const std::string& id) {
        return queryInt(db(), "SELECT count(*) FROM event WHERE student_unique_id = " + sqlQuote(id) + ";");
    }
    domain::SessionInfo session(const std::string& id = kMathSession) {
        auto s = store::findSession(db(), id);
        REQUIRE(s.ok());
        REQUIRE(s->has_value());
        return **s;
    }
    std::string key(const std::string& student, const std::string& sessionId = kMathSession) {
        return store::studentAssessmentKey(session(sessionId), student);
    }
    std::int64_t version(const std::string& student, const std::string& sessionId = kMathSession) {
        auto st = edsync::outbox::status(db(), store::kStudentAssessments, key(student, sessionId));
        REQUIRE(st.ok());
        return *st ? (*st)->localVersion : 0;
    }
    json body(const std::string& student, const std::string& sessionId = kMathSession) {
        return json::parse(queryText(db(), "SELECT body FROM outbox WHERE natural_key = " + sqlQuote(key(student, sessionId)) + ";"));
    }
    edsync::outbox::Counts outbox() {
        auto c = edsync::outbox::counts(db());
        REQUIRE(c.ok());
        return *c;
    }
    std::string presence(const std::string& student, const std::string& sessionId = kMathSession) {
        auto stmt = db().prepare("SELECT presence FROM attendance WHERE session_id = ?1 AND student_unique_id = ?2;");
        REQUIRE(stmt.ok());
        stmt->bind(1, sessionId).bind(2, student);
        auto row = stmt->step();
        REQUIRE(row.ok());
        return *row ? stmt->getText(0) : std::string("(none)");
    }
    json detail(const std::string& student) {
        return json::parse(queryText(db(), "SELECT detail FROM attendance WHERE student_unique_id = " + sqlQuote(student) + ";"));
    }
    domain::SessionCounts counts(const std::string& sessionId = kMathSession) {
        auto c = store::countsForSession(db(), sessionId);
        REQUIRE(c.ok());
        return *c;
    }

    // Everything the service may write, as text: "nothing changed" is then
    // one comparison.
    std::string everything() {
        std::string out;
        for (const char* sql : {
                 "SELECT group_concat(seq || ':' || event_id || ':' || kind || ':' || coalesce(student_unique_id, '-'), ';') FROM event;",
                 "SELECT group_concat(student_unique_id || ':' || presence || ':' || last_seq || ':' || detail, ';') FROM attendance;",
                 "SELECT group_concat(natural_key || ':' || local_version || ':' || body, ';') FROM outbox;",
                 "SELECT group_concat(session_id || ':' || student_unique_id || ':' || walk_in, ';') FROM registration;",
                 "SELECT group_concat(student_unique_id || ':' || first_name, ';') FROM student;",
                 "SELECT group_concat(session_id || ':' || coalesce(opened_at, '') || ':' || coalesce(signed_off_at, ''), ';')"
                 " FROM assessment_session;",
             }) {
            auto stmt = db().prepare(sql);
            REQUIRE(stmt.ok());
            REQUIRE(*stmt->step());
            out += stmt->getOptionalText(0).value_or("") + "\n";
        }
        return out;
    }

    // Invariants of one-action-one-transaction, for every student with a
    // record: the projection is at the student's last event, and the outbox
    // row was bumped at most once per event.
    void checkConsistent() {
        auto stmt = db().prepare(
            "SELECT a.student_unique_id, a.last_seq, (SELECT max(seq) FROM event e WHERE e.session_id = a.session_id AND"
            " e.student_unique_id = a.student_unique_id), (SELECT count(*) FROM event e WHERE e.session_id = a.session_id AND"
            " e.student_unique_id = a.student_unique_id), o.local_version, o.seq,"
            " a.presence = 'expected' AND coalesce(o.op, 'delete') = 'delete'"
            " FROM attendance a LEFT JOIN outbox o ON o.natural_key = a.edfi_key;");
        REQUIRE(stmt.ok());
        for (;;) {
            auto row = stmt->step();
            REQUIRE(row.ok());
            if (!*row) break;
            CAPTURE(stmt->getText(0));
            CHECK(stmt->getInt(1) == stmt->getInt(2));
            // Nothing to report (no row yet, or queued for deletion): no bump per event.
            if (stmt->getInt(6) != 0) continue;
            // At most one bump per event since the sitting first had something
            // to report (a walk-in added before check-in queues nothing; an
            // event that leaves the record as it was, a seat, bumps nothing).
            CHECK(stmt->getInt(4) >= 1);
            CHECK(stmt->getInt(4) <= stmt->getInt(3));
            CHECK(stmt->getInt(5) <= stmt->getInt(1));
        }
        // No student event without a projection row.
        CHECK(queryInt(db(), "SELECT count(*) FROM event e WHERE e.student_unique_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
                             " attendance a WHERE a.session_id = e.session_id AND a.student_unique_id = e.student_unique_id);") == 0);
    }

    void open() {
        auto r = svc.openSession(kMathSession, kProctor);
        REQUIRE_MESSAGE(r.saved, r.message);
    }
    void must(const ActionResult& r) { REQUIRE_MESSAGE(r.saved, r.message); }
    ActionResult signOff(const std::string& pin = kProctorPin) { return svc.signOff(kMathSession, security, kProctorId, pin); }
    std::int64_t audited(const std::string& action) {
        return queryInt(db(), "SELECT count(*) FROM audit_log WHERE action = " + sqlQuote(action) + ";");
    }
    ActionResult checkIn(const std::string& student, domain::IdMethod method = domain::IdMethod::PhotoId) {
        return svc.checkIn(kMathSession, student, kProctor, {method, "", "", ""});
    }
};

// Checks a refused action: not saved, says why, and writes nothing at all.
void refused(Kiosk& k, const std::function<ActionResult()>& action, const std::string& words = {}) {
    const std::string before = k.everything();
    const int commits = k.commits;
    ActionResult r = action();
    CAPTURE(r.message);
    CHECK_FALSE(r.saved);
    CHECK(r.eventId.empty());
    CHECK_FALSE(r.message.empty());
    if (!words.empty()) CHECK(r.message.find(words) != std::string::npos);
    CHECK(k.everything() == before);
    CHECK(k.commits == commits);
}

} // namespace

// --- opening ----------------------------------------------------------------

TEST_CASE("a session opens with its first record, in that record's transaction, by its proctor, and a refused first record opens nothing") {
    Kiosk k;
    refused(k, [&] { return k.checkIn("S999999"); }, "not on this session's roster");
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S100001", "Zoë", "", "Ñúñez", ""}, kProctor); }, "already on this session's roster");
    // Before the cut-off: refused, and the session is not opened either.
    const auto before = k.everything();
    auto early = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(early.saved == 0);
    CHECK_FALSE(early.message.empty());
    CHECK(k.everything() == before);
    CHECK_FALSE(k.session().openedAt.has_value());

    const int commits = k.commits;
    auto r = k.checkIn("S100001");
    REQUIRE_MESSAGE(r.saved, r.message);
    CHECK(k.commits == commits + 1);
    auto info = k.session();
    REQUIRE(info.openedAt.has_value());
    CHECK(*info.openedAt == atMinute(-10));
    CHECK(info.openedBy == kProctor);
    // The opening comes first in the log, then the check-in; the second record opens nothing again.
    CHECK(queryText(k.db(), "SELECT group_concat(kind, ',') FROM (SELECT kind FROM event ORDER BY seq);") == "session_opened,checked_in");
    k.must(k.checkIn("S100002"));
    CHECK(queryInt(k.db(), "SELECT count(*) FROM event WHERE kind = 'session_opened';") == 1);
    CHECK_FALSE(k.session(kDocsSession).openedAt.has_value());

    // A bulk action opens a session too (the documents session's cut-off: 180 + 30 minutes).
    k.clock.setMinute(225);
    auto docs = k.svc.markNoShowsAtCutoff(kDocsSession, kProctor);
    CHECK(docs.message.empty());
    CHECK(k.session(kDocsSession).openedBy == kProctor);
}

TEST_CASE("opening a session writes one session event and no outbox record") {
    Kiosk k;
    refused(k, [&] { return k.svc.openSession(kMathSession, ""); }, "proctor");
    refused(k, [&] { return k.svc.openSession("NO-SUCH-SESSION", kProctor); }, "not on this kiosk");
    auto r = k.svc.openSession(kMathSession, kProctor);
    REQUIRE(r.saved);
    CHECK(k.events() == 1);
    CHECK(queryText(k.db(), "SELECT kind FROM event;") == "session_opened");
    CHECK(queryText(k.db(), "SELECT event_id FROM event;") == r.eventId);
    CHECK(queryInt(k.db(), "SELECT count(*) FROM event WHERE student_unique_id IS NULL;") == 1);
    CHECK(k.outbox().pending == 0);
    auto info = k.session();
    REQUIRE(info.openedAt.has_value());
    CHECK(*info.openedAt == atMinute(-10));
    CHECK(info.openedBy == kProctor);
    // The other session stays closed.
    CHECK_FALSE(k.session(kDocsSession).openedAt.has_value());
}

TEST_CASE("each event records the zone's offset at its own time, across a DST change") {
    // America/Chicago: CDT (-5 h) until 2026-11-01 07:00 UTC, then CST (-6 h).
    // Whatever this machine's date, each event gets the offset of its time.
    FixedZone zone("America/Chicago");
    Kiosk k;
    k.clock.set(*domain::parseIso8601("2026-10-31T13:00:00Z"));
    k.open();
    k.must(k.checkIn("S100001"));
    CHECK(k.svc.checkOutEveryone(kMathSession, kProctor, {"S100001"}).saved == 1);  // the bulk path
    k.clock.set(*domain::parseIso8601("2026-11-23T13:05:00Z"));
    k.must(k.checkIn("S100002"));
    CHECK(queryText(k.db(), "SELECT group_concat(kind || ':' || local_utc_offset_min, ' ') FROM (SELECT * FROM event ORDER BY seq);") ==
          "session_opened:-300 checked_in:-300 checked_out:-300 checked_in:-360");
}

TEST_CASE("a clock that jumps back an hour between check-in and check-out: audited once per jump, and the state never gets an end before the start") {
    Kiosk k;
    k.open();  // minute -10
    k.clock.setMinute(5);
    k.must(k.checkIn("S100001"));
    k.clock.setMinute(5 - 60);  // the clock moved back an hour
    k.must(k.svc.checkOut(kMathSession, "S100001", kProctor));

    // The event keeps the time recorded...
    CHECK(queryText(k.db(), "SELECT recorded_at FROM event WHERE kind = 'checked_out';") == domain::formatUtc(atMinute(-55)));
    // ...and the state's record ends at the check-in, never before it.
    json body = k.body("S100001");
    CHECK(body["administrationDate"] == domain::formatUtc(atMinute(5)));
    CHECK(body["administrationEndDate"] == body["administrationDate"]);
    CHECK(body["assessedMinutes"] == 0);

    // One audit entry for the jump, times only; events after it at the moved
    // clock, or a second back within the tolerance, add none.
    k.clock.setMinute(-54);
    k.must(k.checkIn("S100002"));
    k.clock.set(atMinute(-54) - std::chrono::seconds{1});
    k.must(k.checkIn("S100003"));
    CHECK(queryInt(k.db(), "SELECT count(*) FROM audit_log WHERE action = 'clock.moved_back';") == 1);
    json detail = json::parse(queryText(k.db(), "SELECT detail FROM audit_log WHERE action = 'clock.moved_back';"));
    CHECK(detail["seconds"] == 3600);
    CHECK(detail["note"] == "clock moved back by 3600 s");
    CHECK(detail["lastEventAt"] == domain::formatUtc(atMinute(5)));
    CHECK(detail.dump().find("S1000") == std::string::npos);  // no student in the chain
    CHECK(queryText(k.db(), "SELECT actor FROM audit_log WHERE action = 'clock.moved_back';") == "system");

    // The health view reports it; a second jump is a second entry.
    auto health = service::clockHealth(k.db());
    REQUIRE(health.ok());
    CHECK(health->movedBack == 1);
    CHECK(health->lastSeconds == 3600);
    CHECK(health->lastAt == atMinute(-55));
    k.clock.setMinute(-120);
    k.must(k.svc.checkOut(kMathSession, "S100002", kProctor));
    health = service::clockHealth(k.db());
    REQUIRE(health.ok());
    CHECK(health->movedBack == 2);
    CHECK(health->lastSeconds == 65 * 60 + 59);  // from -54 min -1 s to -120 min
    CHECK(k.body("S100002")["administrationEndDate"] == k.body("S100002")["administrationDate"]);

    // The session report marks each such sitting and keeps both times as recorded.
    auto csv = store::sessionReportCsv(k.db(), kMathSession);
    REQUIRE(csv.ok());
    std::istringstream lines(*csv);
    std::string line;
    std::getline(lines, line);
    auto cells = [](const std::string& l) {
        std::vector<std::string> out;
        std::stringstream in(l.substr(0, l.find('\r')));
        for (std::string c; std::getline(in, c, ',');) out.push_back(c);
        return out;
    };
    auto header = cells(line);
    auto column = std::find(header.begin(), header.end(), "clock_moved_back") - header.begin();
    REQUIRE(column < static_cast<std::ptrdiff_t>(header.size()));
    std::map<std::string, std::string> marked;
    while (std::getline(lines, line)) {
        auto row = cells(line);
        if (row.size() > static_cast<std::size_t>(column)) marked[row[6]] = row[static_cast<std::size_t>(column)];
    }
    CHECK(marked["S100001"] == "yes");
    CHECK(marked["S100002"] == "yes");
    CHECK(marked["S100003"] == "");
}

// --- one action, one transaction -------------------------------------------

TEST_CASE("each action writes exactly one event, updates the projection and bumps the outbox row when the record changed") {
    Kiosk k;
    k.open();
    struct Step {
        const char* name;
        int minute;
        std::function<ActionResult()> action;
        const char* presence;
        const char* kind;
    };
    const std::string s = "S100001";
    std::vector<Step> steps{
        {"id check", -8, [&] { return k.svc.recordIdCheck(kMathSession, s, kProctor, domain::IdMethod::SchoolId, "Mr. Okafor"); },
         "expected", "id_checked"},
        {"check in", -5, [&] { return k.checkIn(s); }, "present", "checked_in"},
        {"seat", -4, [&] { return k.svc.assignSeat(kMathSession, s, kProctor, "B7"); }, "present", "seat_assigned"},
        {"accommodation", 0, [&] { return k.svc.deliverAccommodation(kMathSession, s, kProctor, kScheduling); }, "present",
         "accommodation_delivered"},
        {"break out", 30, [&] { return k.svc.breakOut(kMathSession, s, kProctor); }, "on_break", "break_out"},
        {"break in", 38, [&] { return k.svc.breakIn(kMathSession, s, kProctor); }, "present", "break_in"},
        {"irregularity", 50,
         [&] { return k.svc.recordIrregularity(kMathSession, s, kProctor, {kFireAlarm, "Alarm test, 5 minutes", std::nullopt}); },
         "present", "irregularity"},
        {"check out", 95, [&] { return k.svc.checkOut(kMathSession, s, kProctor); }, "checked_out", "checked_out"},
    };
    std::int64_t events = k.events();
    std::int64_t version = 0;
    int commits = 0;
    auto bodyText = [&] { return queryText(k.db(), "SELECT coalesce(max(body), '') FROM outbox WHERE natural_key = " + sqlQuote(k.key(s)) + ";"); };
    for (const auto& step : steps) {
        CAPTURE(step.name);
        k.clock.setMinute(step.minute);
        const std::string before = bodyText();
        ActionResult r = step.action();
        REQUIRE_MESSAGE(r.saved, r.message);
        CHECK(k.events() == ++events);
        // An ID check before check-in leaves nothing to report (no
        // administrationDate): a withdrawal, settled at once, nothing to
        // send (kept so that a site's news can reopen it). An action the
        // record does not show (a seat) leaves it as it was.
        if (bodyText() != before) ++version;
        if (std::string_view(step.presence) == "expected") CHECK(k.outbox().pending == 0);
        CHECK(k.version(s) == version);
        // What the state sees changes with each of these.
        for (std::string_view changes : {"checked_in", "accommodation_delivered", "irregularity", "checked_out"})
            if (step.kind == changes) CHECK(bodyText() != before);
        CHECK(k.commits == ++commits);
        CHECK(k.presence(s) == step.presence);
        // The event is the one reported to the UI, written as this kiosk at this time.
        auto stmt = k.db().prepare("SELECT event_id, kind, kiosk_id, site_id, proctor, recorded_at, seq FROM event ORDER BY seq DESC LIMIT 1;");
        REQUIRE(*stmt->step());
        CHECK(stmt->getText(0) == r.eventId);
        CHECK(stmt->getText(1) == step.kind);
        CHECK(stmt->getText(2) == k.store.kioskId());
        CHECK(stmt->getText(3) == "255901001");
        CHECK(stmt->getText(4) == kProctor);
        CHECK(stmt->getText(5) == domain::formatUtc(atMinute(step.minute)));
        CHECK(r.eventId[14] == '7');
        CHECK(queryInt(k.db(), "SELECT last_seq FROM attendance;") == stmt->getInt(6));
        k.checkConsistent();
    }
    CHECK(k.outbox().pending == 1);  // one record per student, not one per event
    json b = k.body(s);
    CHECK(b["administrationDate"] == domain::formatUtc(atMinute(-5)));
    CHECK(b["administrationEndDate"] == domain::formatUtc(atMinute(95)));
    CHECK(b["assessedMinutes"] == 100 - 8);
    REQUIRE(b["accommodations"].size() == 1);
    CHECK(b["accommodations"][0]["accommodationDescriptor"] == kScheduling);
    CHECK(b["eventCircumstanceDescriptor"] == kFireAlarm);
    json d = k.detail(s);
    CHECK(d["idVerifiedBy"] == kProctor);  // the check-in's own verification
    CHECK(d["breaks"] == 1);
    CHECK(d["minutesOnBreak"] == 8);
    CHECK(queryText(k.db(), "SELECT seat FROM attendance;") == "B7");

    // A second student is a second outbox record.
    k.clock.setMinute(96);
    k.must(k.checkIn("S100002"));
    CHECK(k.outbox().pending == 2);
    CHECK(k.version("S100002") == 1);
    k.checkConsistent();
}

TEST_CASE("a refused action writes nothing: no event, no projection change, no outbox change") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-5);
    k.must(k.checkIn("S100001"));
    k.must(k.svc.deliverAccommodation(kMathSession, "S100001", kProctor, kScheduling));
    const auto outboxBefore = k.outbox();

    refused(k, [&] { return k.checkIn("S100001"); }, "already checked in");
    refused(k, [&] { return k.svc.checkOut(kMathSession, "S100002", kProctor); }, "not been checked in");
    refused(k, [&] { return k.svc.breakIn(kMathSession, "S100002", kProctor); }, "not on a break");
    refused(k, [&] { return k.svc.assignSeat(kMathSession, "S100001", kProctor, ""); }, "seat");
    refused(k, [&] { return k.svc.deliverAccommodation(kMathSession, "S100001", kProctor, kScheduling); }, "already recorded");
    refused(k, [&] { return k.svc.deliverAccommodation(kMathSession, "S100002", kProctor, kScheduling); }, "Check the student in");
    refused(k, [&] { return k.svc.recordIrregularity(kMathSession, "S100001", kProctor, {kFireAlarm, "", std::nullopt}); }, "Describe");
    refused(k, [&] { return k.checkIn("S100002", domain::IdMethod::RefusedOrMismatch); }, "refused");
    refused(k, [&] { return k.svc.markNoShow(kMathSession, "S100002", kProctor); }, "cut-off");
    refused(k, [&] { return k.checkIn("S999999"); }, "not on this session's roster");
    refused(k, [&] { return k.checkIn("S100006"); }, "not on this session's roster");  // in the other session
    refused(k, [&] { return k.svc.checkIn("NO-SUCH-SESSION", "S100001", kProctor, {}); }, "not on this kiosk");
    // A refused first record of a session does not open it either (its opening rolls back with it).
    refused(k, [&] { return k.svc.checkIn(kDocsSession, "S100006", kProctor, {domain::IdMethod::RefusedOrMismatch, "", "", ""}); }, "refused");
    CHECK_FALSE(k.session(kDocsSession).openedAt.has_value());

    auto outboxAfter = k.outbox();
    CHECK(outboxAfter.pending == outboxBefore.pending);
    CHECK(k.version("S100001") == 2);
    CHECK(k.commits == 2);
    k.checkConsistent();
}

TEST_CASE("a refused ID check is kept - the student can still check in with a good ID") {
    Kiosk k;
    k.open();
    k.must(k.svc.recordIdCheck(kMathSession, "S100003", kProctor, domain::IdMethod::RefusedOrMismatch, "Mr. Okafor"));
    CHECK(k.detail("S100003")["idRefused"] == true);
    CHECK(k.presence("S100003") == "expected");
    k.must(k.checkIn("S100003", domain::IdMethod::StaffVouched));
    CHECK(k.presence("S100003") == "present");
    CHECK(k.detail("S100003")["idRefused"] == true);
    CHECK(k.detail("S100003")["idMethod"] == "staff_vouched");
}

TEST_CASE("late arrival is flagged against the session's own cut-off") {
    Kiosk k;
    k.open();
    k.clock.setMinute(15);
    k.must(k.checkIn("S100001"));
    k.clock.setMinute(16);
    k.must(k.svc.checkIn(kMathSession, "S100002", kProctor, {domain::IdMethod::PhotoId, "", "", "bus broke down"}));
    CHECK(queryInt(k.db(), "SELECT late FROM attendance WHERE student_unique_id = 'S100001';") == 0);
    CHECK(queryInt(k.db(), "SELECT late FROM attendance WHERE student_unique_id = 'S100002';") == 1);
    CHECK(k.detail("S100002")["lateReason"] == "bus broke down");
    auto c = k.counts();
    CHECK(c.present == 2);
    CHECK(c.late == 1);
    CHECK(c.expected == 3);
}

// --- sign-off ---------------------------------------------------------------

TEST_CASE("sign-off is refused while students are in the room or not yet arrived, allowed after") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-2);
    k.must(k.checkIn("S100001"));
    k.must(k.checkIn("S100002"));
    k.clock.setMinute(40);
    k.must(k.svc.breakOut(kMathSession, "S100002", kProctor));
    refused(k, [&] { return k.signOff(); }, "still checked in or on a break");
    k.must(k.svc.checkOut(kMathSession, "S100001", kProctor));
    refused(k, [&] { return k.signOff(); }, "1 student(s) are still checked in");
    k.must(k.svc.breakIn(kMathSession, "S100002", kProctor));
    k.must(k.svc.checkOut(kMathSession, "S100002", kProctor));
    refused(k, [&] { return k.signOff("1111"); }, "3 student(s) have not arrived");
    // Those refusals needed no PIN: none was tried, right or wrong.
    CHECK(k.audited("proctor.sign_off") == 0);
    CHECK(k.audited("pin.failure") == 0);
    auto bulk = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(bulk.saved == 3);
    refused(k, [&] { return k.svc.signOff(kMathSession, k.security, "", kProctorPin); }, "proctor");
    // The PIN is the signature: a wrong one signs nothing.
    refused(k, [&] { return k.signOff("1111"); }, "PIN not recognised");
    refused(k, [&] { return k.signOff(""); }, "PIN not recognised");

    const auto events = k.events();
    const auto outboxBefore = k.everything();
    k.clock.setMinute(120);
    auto r = k.signOff();
    REQUIRE_MESSAGE(r.saved, r.message);
    CHECK(k.audited("proctor.sign_off") == 1);
    CHECK(queryText(k.db(), "SELECT actor FROM audit_log WHERE action = 'session.signed_off';") == "proctor:" + kProctorId);
    CHECK(k.events() == events + 1);
    CHECK(queryText(k.db(), "SELECT kind FROM event ORDER BY seq DESC LIMIT 1;") == "session_signed_off");
    auto info = k.session();
    REQUIRE(info.signedOffAt.has_value());
    CHECK(*info.signedOffAt == atMinute(120));
    CHECK(info.signedOffBy == kProctor);
    CHECK(k.outbox().pending == 5);  // sign-off itself sends nothing new
    k.checkConsistent();
}

TEST_CASE("after sign-off nothing more can be recorded in the session") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-1);
    k.must(k.checkIn("S100001"));
    auto checkInId = queryText(k.db(), "SELECT event_id FROM event WHERE kind = 'checked_in';");
    k.clock.setMinute(31);
    k.must(k.svc.checkOut(kMathSession, "S100001", kProctor));
    REQUIRE(k.svc.markNoShowsAtCutoff(kMathSession, kProctor).saved == 4);
    k.must(k.signOff());

    refused(k, [&] { return k.checkIn("S100002"); }, "signed off");
    refused(k, [&] { return k.svc.deliverAccommodation(kMathSession, "S100001", kProctor, kScheduling); }, "signed off");
    refused(k, [&] { return k.svc.recordIrregularity(kMathSession, "S100001", kProctor, {kFireAlarm, "late report", std::nullopt}); },
            "signed off");
    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, checkInId, "mistake"); }, "signed off");
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S900", "Kwame", "", "Okafor", ""}, kProctor); }, "signed off");
    refused(k, [&] { return k.svc.openSession(kMathSession, kProctor); }, "signed off");
    refused(k, [&] { return k.signOff(); }, "already signed off");
    const auto before = k.everything();
    auto bulk = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(bulk.saved == 0);
    CHECK(bulk.message.find("signed off") != std::string::npos);
    CHECK(k.everything() == before);
}

// --- no-shows ---------------------------------------------------------------

TEST_CASE("markNoShowsAtCutoff is refused before the cut-off and marks every absentee after") {
    Kiosk k;
    k.open();
    k.clock.setMinute(5);
    k.must(k.checkIn("S100001"));
    k.must(k.checkIn("S100002"));
    k.clock.setMinute(25);
    k.must(k.svc.checkOut(kMathSession, "S100002", kProctor));

    k.clock.set(atMinute(30) - std::chrono::milliseconds{1});
    const auto before = k.everything();
    auto early = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(early.saved == 0);
    CHECK(early.message.find("cut-off") != std::string::npos);
    CHECK(k.everything() == before);

    k.clock.setMinute(30);
    const auto events = k.events();
    const int commits = k.commits;
    auto bulk = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(bulk.saved == 3);
    CHECK(bulk.message.empty());
    CHECK(k.events() == events + 3);
    CHECK(k.commits == commits + 1);  // one transaction for all of them
    for (const char* s : {"S100003", "S100004", "S100005"}) {
        CAPTURE(s);
        CHECK(k.presence(s) == "no_show");
        CHECK(k.version(s) == 1);
        json b = k.body(s);
        CHECK(b["reasonNotTestedDescriptor"] == "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent");
        CHECK(b["administrationDate"] == domain::formatUtc(sessionStart()));
    }
    CHECK(k.presence("S100001") == "present");
    CHECK(k.presence("S100002") == "checked_out");
    auto c = k.counts();
    CHECK(c.noShow == 3);
    CHECK(c.expected == 0);
    k.checkConsistent();

    // Nobody left to mark.
    auto again = k.svc.markNoShowsAtCutoff(kMathSession, kProctor);
    CHECK(again.saved == 0);
    CHECK(k.events() == events + 3);
    // A no-show cannot then check in, until the no-show is corrected.
    refused(k, [&] { return k.checkIn("S100003"); }, "no-show");
    auto noShowId = queryText(k.db(), "SELECT event_id FROM event WHERE kind = 'no_show' AND student_unique_id = 'S100003';");
    k.clock.setMinute(41);
    k.must(k.svc.correct(kMathSession, "S100003", kProctor, noShowId, "arrived at the wrong room"));
    k.must(k.checkIn("S100003"));
    CHECK(k.presence("S100003") == "present");
    CHECK(queryInt(k.db(), "SELECT late FROM attendance WHERE student_unique_id = 'S100003';") == 1);
    CHECK_FALSE(k.body("S100003").contains("reasonNotTestedDescriptor"));
    k.checkConsistent();
}

TEST_CASE("a single no-show with a reason") {
    Kiosk k;
    k.open();
    k.clock.setMinute(31);
    k.must(k.svc.markNoShow(kMathSession, "S100004", kProctor, "Medical waiver"));
    CHECK(k.body("S100004")["reasonNotTestedDescriptor"] == "uri://ed-fi.org/ReasonNotTestedDescriptor#Medical waiver");
    refused(k, [&] { return k.svc.markNoShow(kMathSession, "S100004", kProctor); }, "already");
}

// --- walk-ins ---------------------------------------------------------------

TEST_CASE("a walk-in is flagged, added to the roster, and can then check in") {
    Kiosk k;
    k.open();
    domain::Student walkIn{"S900001", "Kwame", "", "Okafor", "2009-05-05"};
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"", "Kwame", "", "Okafor", ""}, kProctor); }, "student ID");
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S900001", "", "", "Okafor", ""}, kProctor); }, "name");
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S900001", "Kwame", "", "", ""}, kProctor); }, "name");
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S100001", "Zoë", "", "Ñúñez", ""}, kProctor); }, "already on");
    refused(k, [&] { return k.svc.addWalkIn("NO-SUCH-SESSION", walkIn, kProctor); }, "not on this kiosk");
    CHECK_FALSE(store::findStudent(k.db(), "S900001")->has_value());  // the refused attempt left no student behind

    const auto events = k.events();
    auto r = k.svc.addWalkIn(kMathSession, walkIn, kProctor);
    REQUIRE_MESSAGE(r.saved, r.message);
    CHECK(k.events() == events + 1);
    CHECK(queryText(k.db(), "SELECT kind FROM event ORDER BY seq DESC LIMIT 1;") == "walk_in_added");
    auto reg = store::findRegistration(k.db(), kMathSession, "S900001");
    REQUIRE(reg->has_value());
    CHECK((*reg)->walkIn);
    CHECK((*store::findStudent(k.db(), "S900001"))->firstName == "Kwame");
    CHECK(k.presence("S900001") == "expected");
    CHECK(k.detail("S900001")["walkIn"] == true);
    CHECK(k.counts().walkIns == 1);
    k.checkConsistent();

    refused(k, [&] { return k.svc.addWalkIn(kMathSession, walkIn, kProctor); }, "already on");
    k.must(k.checkIn("S900001"));
    CHECK(k.presence("S900001") == "present");
    // The walk-in alone had nothing to report: a withdrawal kept settled
    // (version 1, nothing sent), so the check-in is the record's version 2.
    CHECK(k.version("S900001") == 2);
    auto roster = store::rosterForSession(k.db(), kMathSession);
    REQUIRE(roster->size() == 6);
    k.checkConsistent();
}

TEST_CASE("a walk-in who is known from another session keeps the stored name") {
    Kiosk k;
    k.open();
    k.must(k.svc.addWalkIn(kMathSession, {"S100006", "Soren", "", "Overgard", ""}, kProctor));
    auto st = store::findStudent(k.db(), "S100006");
    CHECK((*st)->firstName == "Søren");
    CHECK(store::findRegistration(k.db(), kDocsSession, "S100006")->has_value());
    CHECK((*store::findRegistration(k.db(), kMathSession, "S100006"))->walkIn);
}

TEST_CASE("a walk-in whose ID is known under another name is refused: a mistyped ID or name is the proctor's to say") {
    Kiosk k;
    k.open();
    const auto events = k.events();
    refused(k, [&] { return k.svc.addWalkIn(kMathSession, {"S100006", "Test", "", "Walker", ""}, kProctor); }, "another name");
    CHECK(k.events() == events);
    CHECK_FALSE(store::findRegistration(k.db(), kMathSession, "S100006")->has_value());
    CHECK((*store::findStudent(k.db(), "S100006"))->firstName == "Søren");
}

TEST_CASE("a walk-in who never arrives is marked a no-show at the cut-off") {
    Kiosk k;
    k.open();
    k.must(k.svc.addWalkIn(kMathSession, {"S900002", "Aroha", "", "Ngata", ""}, kProctor));
    k.clock.setMinute(30);
    CHECK(k.svc.markNoShowsAtCutoff(kMathSession, kProctor).saved == 6);
    CHECK(k.presence("S900002") == "no_show");
    CHECK(k.detail("S900002")["walkIn"] == true);
}

// --- corrections ------------------------------------------------------------

TEST_CASE("a correction is a new event - the projection and the outbox reflect the withdrawal") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-3);
    k.must(k.checkIn("S100001"));
    auto wrong = k.svc.deliverAccommodation(kMathSession, "S100001", kProctor, kTestMaterial);
    REQUIRE(wrong.saved);
    k.must(k.svc.deliverAccommodation(kMathSession, "S100001", kProctor, kScheduling));
    REQUIRE(k.body("S100001")["accommodations"].size() == 2);
    const auto events = k.events();
    const auto version = k.version("S100001");

    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, wrong.eventId, ""); }, "reason");
    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, "not-an-event", "x"); }, "not in this student's record");
    refused(k, [&] { return k.svc.correct(kMathSession, "S100002", kProctor, wrong.eventId, "x"); }, "not in this student's record");

    k.clock.setMinute(1);
    auto fix = k.svc.correct(kMathSession, "S100001", kProctor, wrong.eventId, "large print was not given after all");
    REQUIRE_MESSAGE(fix.saved, fix.message);
    CHECK(fix.eventId != wrong.eventId);
    CHECK(k.events() == events + 1);
    CHECK(k.version("S100001") == version + 1);
    CHECK(queryText(k.db(), "SELECT kind FROM event WHERE event_id = " + sqlQuote(fix.eventId) + ";") == "corrected");
    CHECK(queryText(k.db(), "SELECT corrects_event_id FROM event WHERE event_id = " + sqlQuote(fix.eventId) + ";") == wrong.eventId);
    CHECK(queryText(k.db(), "SELECT json_extract(payload, '$.reason') FROM event WHERE event_id = " + sqlQuote(fix.eventId) + ";") ==
          "large print was not given after all");
    // The original entry is still in the log, unchanged.
    CHECK(queryText(k.db(), "SELECT kind FROM event WHERE event_id = " + sqlQuote(wrong.eventId) + ";") == "accommodation_delivered");

    json b = k.body("S100001");
    REQUIRE(b["accommodations"].size() == 1);
    CHECK(b["accommodations"][0]["accommodationDescriptor"] == kScheduling);
    CHECK(k.detail("S100001")["accommodations"].size() == 1);
    k.checkConsistent();

    service::SessionQueries queries(k.store);
    auto detail = queries.student(kMathSession, "S100001");
    REQUIRE(detail.ok());
    CHECK(detail->attendance.accommodations.size() == 1);
    int withdrawn = 0;
    for (const auto& h : detail->history)
        if (h.withdrawn) {
            ++withdrawn;
            CHECK(h.event.id == wrong.eventId);
        }
    CHECK(withdrawn == 1);
    CHECK(detail->stateCopy == service::StateCopy::Pending);

    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, wrong.eventId, "again"); }, "already withdrawn");
    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, fix.eventId, "undo"); }, "cannot itself be withdrawn");
}

TEST_CASE("withdrawing a check-in that a check-out depends on is refused and writes nothing") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-3);
    auto in = k.checkIn("S100001");
    REQUIRE(in.saved);
    k.clock.setMinute(60);
    auto out = k.svc.checkOut(kMathSession, "S100001", kProctor);
    REQUIRE(out.saved);
    refused(k, [&] { return k.svc.correct(kMathSession, "S100001", kProctor, in.eventId, "wrong student"); }, "inconsistent");
    CHECK(k.presence("S100001") == "checked_out");

    // Withdrawing the check-out puts the student back in the room.
    k.must(k.svc.correct(kMathSession, "S100001", kProctor, out.eventId, "left for the nurse, came back"));
    CHECK(k.presence("S100001") == "present");
    CHECK_FALSE(k.body("S100001").contains("administrationEndDate"));
    // Now the check-in itself may go.
    k.must(k.svc.correct(kMathSession, "S100001", kProctor, in.eventId, "wrong student"));
    CHECK(k.presence("S100001") == "expected");
    CHECK(k.version("S100001") == 4);
    // Never sent: nothing to delete at the state, so nothing waits.
    CHECK(k.outbox().pending == 0);
    k.checkConsistent();
}

TEST_CASE("a correction that leaves a sitting nothing to report deletes the state's record, and a new check-in re-creates it") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-3);
    auto in = k.checkIn("S100001");
    REQUIRE(in.saved);
    CHECK(k.version("S100001") == 1);
    // The state took it (as the uploader's acknowledgement records it).
    const std::string key = k.key("S100001", kMathSession);
    REQUIRE(*edsync::outbox::adoptWrite(k.db(), store::kStudentAssessments, key, k.body("S100001").dump(), "id-1", "\"1\""));
    k.must(k.svc.correct(kMathSession, "S100001", kProctor, in.eventId, "wrong student"));
    auto st = edsync::outbox::status(k.db(), store::kStudentAssessments, k.key("S100001", kMathSession));
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->op == edsync::outbox::Op::Delete);
    CHECK((*st)->localVersion == 2);
    // The deletion carries the record's identity, for the lookup by natural key.
    auto body = k.body("S100001");
    CHECK(body["studentReference"]["studentUniqueId"] == "S100001");
    CHECK(body.contains("studentAssessmentIdentifier"));
    CHECK(body.contains("assessmentReference"));
    CHECK_FALSE(body.contains("administrationDate"));
    CHECK(k.outbox().pending == 1);  // the deletion waits to go like any record

    // Checked in again (the right student after all): an upsert again.
    k.clock.setMinute(5);
    k.must(k.checkIn("S100001"));
    st = edsync::outbox::status(k.db(), store::kStudentAssessments, k.key("S100001", kMathSession));
    REQUIRE(st.ok());
    CHECK((*st)->op == edsync::outbox::Op::Upsert);
    CHECK((*st)->localVersion == 3);
    CHECK(k.body("S100001").contains("administrationDate"));

    // A check-in withdrawn before it was ever sent leaves nothing to delete.
    auto other = k.checkIn("S100002");
    REQUIRE(other.saved);
    k.must(k.svc.correct(kMathSession, "S100002", kProctor, other.eventId, "wrong student"));
    auto gone = edsync::outbox::status(k.db(), store::kStudentAssessments, k.key("S100002", kMathSession));
    REQUIRE(gone.ok());
    REQUIRE(gone->has_value());
    CHECK((*gone)->op == edsync::outbox::Op::Delete);
    CHECK((*gone)->state == edsync::outbox::State::Synced);

    // A walk-in added but never checked in has nothing at the state: nothing
    // to send. Its withdrawal is kept settled, so that a site's news that a
    // write of it reached the state after all reopens it (docs/edfi.md).
    const auto waitingBefore = k.outbox().pending;
    auto walkIn = k.svc.addWalkIn(kMathSession, {"S900003", "Dara", "", "Begay", ""}, kProctor);
    REQUIRE(walkIn.saved);
    auto none = edsync::outbox::status(k.db(), store::kStudentAssessments, k.key("S900003", kMathSession));
    REQUIRE(none.ok());
    REQUIRE(none->has_value());
    CHECK((*none)->op == edsync::outbox::Op::Delete);
    CHECK((*none)->state == edsync::outbox::State::Synced);
    CHECK(k.outbox().pending == waitingBefore);
    k.checkConsistent();
}

TEST_CASE("a walk-in flag cannot be withdrawn") {
    Kiosk k;
    k.open();
    auto r = k.svc.addWalkIn(kMathSession, {"S900003", "Dara", "", "Begay", ""}, kProctor);
    REQUIRE(r.saved);
    refused(k, [&] { return k.svc.correct(kMathSession, "S900003", kProctor, r.eventId, "oops"); }, "walk-in");
}

// --- a full disk ------------------------------------------------------------

TEST_CASE("a write that fails for lack of space says so, writes nothing, and works again once there is room") {
    TempDir dir;
    const auto file = dir / "kiosk.db";
    Kiosk k(&file);
    k.open();
    k.clock.setMinute(-5);
    for (const char* s : {"S100001", "S100002", "S100003"}) k.must(k.checkIn(s));
    const auto pages = queryInt(k.db(), "PRAGMA page_count;");
    REQUIRE(k.db().exec("PRAGMA max_page_count = " + std::to_string(pages) + ";").ok());

    // Irregularity reports with long descriptions until the file cannot grow.
    const std::string longText(900, 'x');  // under the 1,000-byte description limit
    const auto eventsAtLimit = k.events();
    const auto versionAtLimit = k.version("S100001");
    int saved = 0;
    ActionResult failed;
    std::string before;
    for (int i = 0; i < 100; ++i) {
        before = k.everything();
        k.clock.setMinute(i);
        failed = k.svc.recordIrregularity(kMathSession, "S100001", kProctor, {kFireAlarm, longText + std::to_string(i), std::nullopt});
        if (!failed.saved) break;
        ++saved;
    }
    REQUIRE_FALSE(failed.saved);
    CAPTURE(saved);
    CHECK(failed.message.find("disk is full") != std::string::npos);
    CHECK(failed.message.find("Everything saved before is safe") != std::string::npos);
    CHECK(failed.eventId.empty());
    // Nothing half-written: the failed action left no trace at all.
    CHECK(k.everything() == before);
    CHECK(k.events() == eventsAtLimit + saved);
    CHECK(k.version("S100001") == versionAtLimit + saved);
    CHECK_FALSE(k.db().inTransaction());
    k.checkConsistent();
    // Earlier data is intact.
    CHECK(queryText(k.db(), "PRAGMA integrity_check;") == "ok");
    for (const char* s : {"S100001", "S100002", "S100003"}) CHECK(k.presence(s) == "present");
    // Another student's record fails the same clean way once the space left
    // in existing pages is used up (descriptions stay under their own limit).
    REQUIRE(queryInt(k.db(), "PRAGMA freelist_count;") == 0);
    ActionResult alsoFull;
    std::string beforeOther;
    for (int i = 0; i < 50; ++i) {
        beforeOther = k.everything();
        alsoFull = k.svc.recordIrregularity(kMathSession, "S100002", kProctor, {kFireAlarm, std::string(900, 'y') + std::to_string(i), std::nullopt});
        if (!alsoFull.saved) break;
    }
    CHECK_FALSE(alsoFull.saved);
    CHECK(alsoFull.message.find("disk is full") != std::string::npos);
    CHECK(k.everything() == beforeOther);

    // Room again: the same connection writes again.
    REQUIRE(k.db().exec("PRAGMA max_page_count = 1073741823;").ok());
    auto retry = k.svc.recordIrregularity(kMathSession, "S100001", kProctor, {kFireAlarm, longText + "retry", std::nullopt});
    REQUIRE_MESSAGE(retry.saved, retry.message);
    k.must(k.svc.recordIrregularity(kMathSession, "S100002", kProctor, {kFireAlarm, std::string(900, 'y'), std::nullopt}));
    k.must(k.checkIn("S100004"));
    CHECK(k.presence("S100004") == "present");
    k.checkConsistent();
    CHECK(queryText(k.db(), "PRAGMA integrity_check;") == "ok");
    // And what was written survives a reopen.
    const auto events = k.events();
    auto reopened = store::Store::open(file);
    REQUIRE(reopened.ok());
    CHECK(queryInt(reopened->db(), "SELECT count(*) FROM event;") == events);
}

TEST_CASE("a roster correction that re-points the session to another assessment moves the sitting's record: never a second one") {
    Kiosk k;
    k.open();
    k.clock.setMinute(-3);
    REQUIRE(k.checkIn("S100001").saved);
    const std::string oldKey = k.key("S100001");
    // The state took it.
    REQUIRE(*edsync::outbox::adoptWrite(k.db(), store::kStudentAssessments, oldKey, k.body("S100001").dump(), "id-1", "\"1\""));
    // The district corrects the administration's assessment after the upload.
    auto corrected = k.session(kMathSession);
    corrected.assessmentIdentifier = "WK-APPLIED-MATH-2026";
    REQUIRE(store::upsertSession(k.db(), corrected).ok());
    k.clock.setMinute(40);
    k.must(k.svc.checkOut(kMathSession, "S100001", kProctor));
    const std::string newKey = k.key("S100001");
    REQUIRE(newKey != oldKey);
    // The old record leaves the state (by its own identity); the new one is the only upsert.
    auto old = edsync::outbox::status(k.db(), store::kStudentAssessments, oldKey);
    REQUIRE(old.ok());
    REQUIRE(old->has_value());
    CHECK((*old)->op == edsync::outbox::Op::Delete);
    CHECK((*old)->state == edsync::outbox::State::Pending);
    auto now = edsync::outbox::status(k.db(), store::kStudentAssessments, newKey);
    REQUIRE(now.ok());
    REQUIRE(now->has_value());
    CHECK((*now)->op == edsync::outbox::Op::Upsert);
    CHECK(k.body("S100001")["assessmentReference"]["assessmentIdentifier"] == "WK-APPLIED-MATH-2026");
    CHECK(test::queryInt(k.db(), "SELECT count(*) FROM outbox WHERE resource = 'studentAssessments' AND op = 'upsert' AND body LIKE '%S100001%'") == 1);
    auto kept = edsync::outbox::keptRecord(k.db(), store::kStudentAssessments, oldKey);
    REQUIRE(kept.ok());
    REQUIRE(kept->has_value());
    auto identity = nlohmann::json::parse((*kept)->identityOrBody);
    CHECK(identity["assessmentReference"]["assessmentIdentifier"] == "WK-APPLIED-MATH");
    CHECK(identity["studentReference"]["studentUniqueId"] == "S100001");
}

TEST_CASE("studentElsewhere: a student typed by ID who is registered for another session is found there") {
    Kiosk k;
    service::SessionQueries queries(k.store);
    const auto now = sessionStart();
    // S100006 is on the documents session only.
    auto found = queries.studentElsewhere(kMathSession, "S100006", now);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->student.studentUniqueId == "S100006");
    CHECK((*found)->student.lastSurname == "Øvergård");
    CHECK((*found)->session.sessionId == kDocsSession);
    CHECK((*found)->session.title == "WorkKeys Workplace Documents");
    CHECK((*found)->session.room == "Room 116");
    // Typed in small letters.
    found = queries.studentElsewhere(kMathSession, "s100006", now);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->session.sessionId == kDocsSession);
    // On this session's roster and no other: nothing elsewhere.
    found = queries.studentElsewhere(kMathSession, "S100001", now);
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
    // An unknown ID, and one that would match every row if it were built into the SQL.
    for (const char* id : {"S999999", "' OR '1'='1"}) {
        found = queries.studentElsewhere(kMathSession, id, now);
        REQUIRE(found.ok());
        CHECK_FALSE(found->has_value());
    }
    // Registered for both: the session starting nearest now is named.
    REQUIRE(store::upsertRegistration(k.db(), domain::Registration{kDocsSession, "S100001", {}, false}).ok());
    auto third = store::findSession(k.db(), kDocsSession).value().value();
    third.sessionId = "RHS-2026-WK-EVE-200";
    third.title = "WorkKeys Evening";
    third.scheduledStart = sessionStart() + std::chrono::hours(8);
    REQUIRE(store::upsertSession(k.db(), third).ok());
    REQUIRE(store::upsertRegistration(k.db(), domain::Registration{third.sessionId, "S100006", {}, false}).ok());
    found = queries.studentElsewhere(kMathSession, "S100006", now);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->session.sessionId == kDocsSession);
    found = queries.studentElsewhere(kMathSession, "S100006", sessionStart() + std::chrono::hours(7));
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->session.sessionId == "RHS-2026-WK-EVE-200");
    // Seen from the documents session, S100001 is on the math one.
    found = queries.studentElsewhere(kDocsSession, "S100001", now);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->session.sessionId == kMathSession);
}
