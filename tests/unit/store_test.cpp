// kiosk::store: schema and migrations, identity, the append-only event log,
// identifiers, the Ed-Fi StudentAssessment mapping and the session report.
#include "kiosk/domain/text_fold.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/schema.hpp"
#include "kiosk/store/session_report.hpp"
#include "support/kiosk_fixture.hpp"
#include "support/temp_dir.hpp"
#include "sync/sqlite/migrations.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <sys/stat.h>

using namespace kiosk;
using namespace kiosk::test;
using nlohmann::json;

namespace {

bool isLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool looksLikeUuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isLowerHex(s[i])) return false;
    }
    return true;
}

std::uint64_t uuidMillis(const std::string& s) {
    std::string hex = s.substr(0, 8) + s.substr(9, 4);
    return std::stoull(hex, nullptr, 16);
}

store::Store openStore(const std::filesystem::path& file) {
    auto s = store::Store::open(file);
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().describe()));
    return std::move(s).value();
}

store::Store memoryStore() {
    auto s = store::Store::openInMemory();
    REQUIRE(s.ok());
    return std::move(s).value();
}

void loadSmallRoster(store::Store& s) { REQUIRE(store::writeRoster(s.db(), smallRoster()).ok()); }

// RFC 4180 reader for checking the report: rows of fields.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, fieldStarted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field.push_back(c);
            }
        } else if (c == '"' && !fieldStarted) {
            quoted = fieldStarted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            fieldStarted = false;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row.push_back(std::move(field));
            field.clear();
            fieldStarted = false;
            rows.push_back(std::move(row));
            row.clear();
            ++i;
        } else {
            field.push_back(c);
            fieldStarted = true;
        }
    }
    if (fieldStarted || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

domain::SessionInfo mathSession() { return smallRoster().sessions[0]; }

domain::AttendanceEvent ev(domain::EventKind kind, int minute, std::int64_t seq) {
    domain::AttendanceEvent e;
    e.kind = kind;
    e.seq = seq;
    e.id = "ev-" + std::to_string(seq);
    e.at = atMinute(minute);
    e.proctor = kProctor;
    if (kind == domain::EventKind::CheckedIn) {
        e.idMethod = domain::IdMethod::PhotoId;
        e.idVerifiedBy = kProctor;
    }
    return e;
}

domain::Attendance build(const std::vector<domain::AttendanceEvent>& events) {
    auto r = domain::replay(events, mathSession().rules());
    REQUIRE_FALSE(r.refusal.has_value());
    return r.state;
}

const std::string kCircumstanceNs(domain::kEventCircumstanceNs);

} // namespace

// --- schema -----------------------------------------------------------------

TEST_CASE("a new store file gets the whole schema: kiosk and sync components at their versions") {
    TempDir dir;
    auto s = openStore(dir / "kiosk.db");
    CHECK(s.schemaVersion() == store::latestSchemaVersion());
    CHECK(store::latestSchemaVersion() >= 1);
    auto kioskVersion = edsync::sqlite::schemaVersion(s.db(), "kiosk");
    REQUIRE(kioskVersion.ok());
    CHECK(*kioskVersion == store::latestSchemaVersion());
    auto syncVersion = edsync::sqlite::schemaVersion(s.db(), "sync");
    REQUIRE(syncVersion.ok());
    CHECK(*syncVersion == 11);  // 11: the order of this kiosk's news that a write went unanswered
    auto siteVersion = edsync::sqlite::schemaVersion(s.db(), "site");
    REQUIRE(siteVersion.ok());
    CHECK(*siteVersion == 4);  // v4: applied sequences name their event
    for (const char* table : {"kiosk_meta", "assessment_session", "student", "registration", "event", "attendance", "outbox",
                              "schema_migrations", "site_outbox", "site_cursor", "site_parked"}) {
        CAPTURE(table);
        CHECK(queryInt(s.db(), std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ") + sqlQuote(table)) ==
              1);
    }
    for (const char* trigger : {"event_no_update", "event_no_delete"}) {
        CAPTURE(trigger);
        CHECK(queryInt(s.db(), std::string("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ") +
                                   sqlQuote(trigger)) == 1);
    }
    CHECK(queryText(s.db(), "PRAGMA journal_mode;") == "wal");
    CHECK(queryInt(s.db(), "PRAGMA synchronous;") == 2);  // FULL
    CHECK(queryInt(s.db(), "PRAGMA foreign_keys;") == 1);
    CHECK(queryText(s.db(), "PRAGMA integrity_check;") == "ok");
    // Nothing but the identity is written on first open.
    CHECK(queryInt(s.db(), "SELECT count(*) FROM event;") == 0);
    CHECK(queryInt(s.db(), "SELECT count(*) FROM outbox;") == 0);
}

TEST_CASE("reopening a store keeps its data, its kiosk id and its schema version") {
    TempDir dir;
    std::string kioskId;
    {
        auto s = openStore(dir / "kiosk.db");
        kioskId = s.kioskId();
        CHECK(looksLikeUuid(kioskId));
        CHECK(s.siteId().empty());
        REQUIRE(s.setSite("255901001", "Riverbend High School").ok());
        loadSmallRoster(s);
    }
    {
        auto s = openStore(dir / "kiosk.db");
        CHECK(s.kioskId() == kioskId);
        CHECK(s.siteId() == "255901001");
        CHECK(s.siteName() == "Riverbend High School");
        CHECK(s.schemaVersion() == store::latestSchemaVersion());
        CHECK(queryInt(s.db(), "SELECT count(*) FROM schema_migrations WHERE component = 'kiosk';") == store::latestSchemaVersion());
        auto student = store::findStudent(s.db(), "S100001");
        REQUIRE(student.ok());
        REQUIRE(student->has_value());
        CHECK((*student)->firstName == "Zoë");
        CHECK((*student)->lastSurname == "Ñúñez");
        CHECK((*student)->displayName() == "Ñúñez, Zoë");
        auto sessions = store::listSessions(s.db());
        REQUIRE(sessions.ok());
        CHECK(sessions->size() == 2);
        auto session = store::findSession(s.db(), kMathSession);
        REQUIRE(session.ok());
        REQUIRE(session->has_value());
        CHECK((*session)->scheduledStart == sessionStart());
        CHECK((*session)->schoolId == 255901001);
        auto reg = store::findRegistration(s.db(), kMathSession, "S100003");
        REQUIRE(reg.ok());
        REQUIRE(reg->has_value());
        CHECK((*reg)->scheduledAccommodations.size() == 2);
    }
    auto other = openStore(dir / "other.db");
    CHECK(other.kioskId() != kioskId);  // each machine its own identity
}

TEST_CASE("the database and its WAL files are readable by the kiosk user only") {
    TempDir dir;
    auto s = openStore(dir / "kiosk.db");
    loadSmallRoster(s);  // a write, so the WAL holds student names
    for (const char* name : {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm"}) {
        CAPTURE(name);
        struct stat st {};
        REQUIRE(::stat((dir / name).c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
}

TEST_CASE("a database written by a newer build is refused, not downgraded") {
    TempDir dir;
    {
        auto s = openStore(dir / "kiosk.db");
        REQUIRE(s.db().exec("INSERT INTO schema_migrations(component, version) VALUES ('kiosk', 99);").ok());
    }
    auto again = store::Store::open(dir / "kiosk.db");
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().message.find("newer version") != std::string::npos);
}

TEST_CASE("a file that is not a database is refused with a clear message") {
    TempDir dir;
    {
        std::ofstream out(dir / "kiosk.db", std::ios::binary);
        for (int i = 0; i < 200; ++i) out << "this is a roster export, not a database\n";
    }
    auto s = store::Store::open(dir / "kiosk.db");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().describe().find("damaged or is not a kiosk database") != std::string::npos);
}

TEST_CASE("a store in a missing folder is refused with a clear message") {
    TempDir dir;
    auto s = store::Store::open(dir / "no-such-folder" / "kiosk.db");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().describe().find("cannot be written") != std::string::npos);
}

// --- event log --------------------------------------------------------------

TEST_CASE("the event table is append-only: UPDATE and DELETE are refused by triggers") {
    auto s = memoryStore();
    loadSmallRoster(s);
    store::EventContext ctx{s.kioskId(), "255901001", kMathSession, std::string("S100001"), -300};
    auto e = ev(domain::EventKind::CheckedIn, 0, 1);
    e.id = store::uuidV7(e.at);
    REQUIRE(store::appendEvent(s.db(), ctx, e).ok());
    CHECK(queryInt(s.db(), "SELECT count(*) FROM event;") == 1);

    auto update = s.db().exec("UPDATE event SET kind = 'no_show';");
    REQUIRE_FALSE(update.ok());
    CHECK(update.error().message.find("append-only") != std::string::npos);
    auto updatePayload = s.db().exec("UPDATE event SET payload = '{}' WHERE seq = 1;");
    CHECK_FALSE(updatePayload.ok());
    auto del = s.db().exec("DELETE FROM event;");
    REQUIRE_FALSE(del.ok());
    CHECK(del.error().message.find("append-only") != std::string::npos);

    CHECK(queryInt(s.db(), "SELECT count(*) FROM event;") == 1);
    CHECK(queryText(s.db(), "SELECT kind FROM event;") == "checked_in");

    // The same event id or sequence number cannot be written twice.
    CHECK_FALSE(store::appendEvent(s.db(), ctx, e).ok());
    auto again = e;
    again.id = store::uuidV7(e.at);
    CHECK_FALSE(store::appendEvent(s.db(), ctx, again).ok());
}

TEST_CASE("events read back with every field, in seq order") {
    auto s = memoryStore();
    loadSmallRoster(s);
    store::EventContext ctx{s.kioskId(), "255901001", kMathSession, std::string("S100001"), 60};
    auto in = ev(domain::EventKind::CheckedIn, 3, 1);
    in.idMethod = domain::IdMethod::StaffVouched;
    in.idVerifiedBy = "Mr. Okafor";
    in.seat = "B4";
    in.reason = "bus";
    auto irr = ev(domain::EventKind::Irregularity, 20, 2);
    irr.circumstance = kCircumstanceNs + "Fire alarm";
    irr.description = "Évacuation, 12 minutes \"drill\"";
    irr.occurredAt = atMinute(18);
    auto fix = ev(domain::EventKind::Corrected, 21, 3);
    fix.correctsEventId = irr.id;
    fix.reason = "wrong student";
    for (auto* e : {&in, &irr, &fix}) REQUIRE(store::appendEvent(s.db(), ctx, *e).ok());

    auto back = store::eventsFor(s.db(), kMathSession, "S100001");
    REQUIRE(back.ok());
    REQUIRE(back->size() == 3);
    const auto& b0 = (*back)[0];
    CHECK(b0.seq == 1);
    CHECK(b0.kind == domain::EventKind::CheckedIn);
    CHECK(b0.at == atMinute(3));
    CHECK(b0.idMethod == domain::IdMethod::StaffVouched);
    CHECK(b0.idVerifiedBy == "Mr. Okafor");
    CHECK(b0.seat == "B4");
    CHECK(b0.reason == "bus");
    CHECK(b0.proctor == kProctor);
    const auto& b1 = (*back)[1];
    CHECK(b1.circumstance == irr.circumstance);
    CHECK(b1.description == irr.description);
    CHECK(b1.occurredAt == atMinute(18));
    const auto& b2 = (*back)[2];
    CHECK(b2.kind == domain::EventKind::Corrected);
    CHECK(b2.correctsEventId == irr.id);
    // The site merge keys: the recording kiosk, and until the site-log schema
    // stores stamps, a provisional one from the recorded time and seq.
    for (const auto& b : *back) {
        CHECK(b.kioskId == s.kioskId());
        CHECK(b.hlc.wallMs == b.at.time_since_epoch().count());
        CHECK(b.hlc.counter == static_cast<std::uint32_t>(b.seq));
    }

    auto h = domain::history(*back);
    REQUIRE(h.size() == 3);
    CHECK_FALSE(h[0].withdrawn);
    CHECK(h[1].withdrawn);
    CHECK_FALSE(h[2].withdrawn);
    CHECK(store::eventCount(s.db()).value() == 3);
    // Another student's history is separate.
    CHECK(store::eventsFor(s.db(), kMathSession, "S100002")->empty());
}

TEST_CASE("a correction must point at an event that exists") {
    auto s = memoryStore();
    loadSmallRoster(s);
    store::EventContext ctx{s.kioskId(), "", kMathSession, std::string("S100001"), 0};
    auto fix = ev(domain::EventKind::Corrected, 1, 1);
    fix.correctsEventId = "no-such-event";
    CHECK_FALSE(store::appendEvent(s.db(), ctx, fix).ok());
}

// --- identifiers ------------------------------------------------------------

TEST_CASE("uuidV7: format, version nibble, variant and embedded time") {
    const domain::Timestamp t = atMinute(0) + std::chrono::milliseconds{123};
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string id = store::uuidV7(t);
        REQUIRE(looksLikeUuid(id));
        CHECK(id[14] == '7');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        CHECK(uuidMillis(id) == static_cast<std::uint64_t>(t.time_since_epoch().count()));
        seen.insert(id);
    }
    CHECK(seen.size() == 1000);  // random bits make ids in the same millisecond distinct
}

TEST_CASE("uuidV7 sorts by time") {
    std::vector<std::string> ids;
    domain::Timestamp t = *domain::parseIso8601("2020-01-01T00:00:00Z");
    for (int i = 0; i < 500; ++i) {
        ids.push_back(store::uuidV7(t));
        t += std::chrono::milliseconds{1 + i * 977};
    }
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    // Across a byte boundary of the timestamp too.
    CHECK(store::uuidV7(domain::Timestamp{std::chrono::milliseconds{0xFF}}) <
          store::uuidV7(domain::Timestamp{std::chrono::milliseconds{0x100}}));
}

TEST_CASE("deterministicKey is stable, distinct and at most 60 characters") {
    auto a = store::deterministicKey("tsk-", {"RHS-2026-WK-AM-114", "WK-APPLIED-MATH", "uri://x", "S100001"});
    auto b = store::deterministicKey("tsk-", {"RHS-2026-WK-AM-114", "WK-APPLIED-MATH", "uri://x", "S100001"});
    CHECK(a == b);
    CHECK(a.size() == 36);
    CHECK(a.size() <= 60);
    CHECK(a.rfind("tsk-", 0) == 0);
    CHECK(a != store::deterministicKey("tsk-", {"RHS-2026-WK-AM-114", "WK-APPLIED-MATH", "uri://x", "S100002"}));
    // Part boundaries matter.
    CHECK(store::deterministicKey("k", {"ab", "c"}) != store::deterministicKey("k", {"a", "bc"}));
    CHECK(store::deterministicKey("k", {"", "abc"}) != store::deterministicKey("k", {"abc", ""}));
    // Known values (BLAKE2b-128 over length-prefixed parts, computed with
    // Python's hashlib), so a change of algorithm — which would duplicate
    // every record already at the state — cannot slip through.
    CHECK(store::deterministicKey("tsk-", {"a", "b"}) == "tsk-35364c858d7b5928d7d52325e224f9a6");
    CHECK(store::studentAssessmentKey(mathSession(), "S100001") == "tsk-8ab08cff79a8be0d3f00aa11e4f231dd");
}

TEST_CASE("studentAssessmentIdentifier depends on administration, assessment and student only") {
    auto session = mathSession();
    auto key = store::studentAssessmentKey(session, "S100001");
    CHECK(key.size() <= 60);
    CHECK(key == store::studentAssessmentKey(session, "S100001"));
    auto moved = session;
    moved.room = "Gym";
    moved.title = "Renamed";
    moved.scheduledStart = atMinute(60);
    CHECK(store::studentAssessmentKey(moved, "S100001") == key);  // not a time or place
    auto other = session;
    other.sessionId = "RHS-2026-WK-AM-115";
    CHECK(store::studentAssessmentKey(other, "S100001") != key);
    CHECK(store::studentAssessmentKey(session, "S100002") != key);
}

// --- Ed-Fi mapping ----------------------------------------------------------

TEST_CASE("Ed-Fi StudentAssessment for a check-in") {
    auto session = mathSession();
    auto a = build({ev(domain::EventKind::CheckedIn, 4, 1)});
    json j = store::studentAssessmentJson(session, "S100001", a);
    CHECK(j["studentAssessmentIdentifier"] == store::studentAssessmentKey(session, "S100001"));
    CHECK(j["assessmentReference"]["assessmentIdentifier"] == "WK-APPLIED-MATH");
    CHECK(j["assessmentReference"]["namespace"] == "uri://testsite.example.org/assessment");
    CHECK(j["studentReference"]["studentUniqueId"] == "S100001");
    CHECK(j["reportedSchoolReference"]["schoolId"] == 255901001);
    CHECK(j["administrationDate"] == "2026-11-23T13:04:00.000+00:00");
    CHECK_FALSE(j.contains("administrationEndDate"));
    CHECK_FALSE(j.contains("assessedMinutes"));
    CHECK_FALSE(j.contains("reasonNotTestedDescriptor"));
    CHECK_FALSE(j.contains("eventCircumstanceDescriptor"));
    CHECK(j["accommodations"].is_array());
    CHECK(j["accommodations"].empty());

    auto noSchool = session;
    noSchool.schoolId.reset();
    CHECK_FALSE(store::studentAssessmentJson(noSchool, "S100001", a).contains("reportedSchoolReference"));
}

TEST_CASE("Ed-Fi StudentAssessment for a check-out: end date and assessedMinutes without breaks") {
    auto a = build({ev(domain::EventKind::CheckedIn, 0, 1), ev(domain::EventKind::BreakOut, 30, 2),
                    ev(domain::EventKind::BreakIn, 42, 3), ev(domain::EventKind::CheckedOut, 100, 4)});
    json j = store::studentAssessmentJson(mathSession(), "S100001", a);
    CHECK(j["administrationDate"] == "2026-11-23T13:00:00.000+00:00");
    CHECK(j["administrationEndDate"] == "2026-11-23T14:40:00.000+00:00");
    CHECK(j["assessedMinutes"] == 88);
}

TEST_CASE("Ed-Fi StudentAssessment for a no-show: ReasonNotTested Absent at the scheduled date") {
    auto a = build({ev(domain::EventKind::NoShow, 31, 1)});
    json j = store::studentAssessmentJson(mathSession(), "S100002", a);
    CHECK(j["reasonNotTestedDescriptor"] == "uri://ed-fi.org/ReasonNotTestedDescriptor#Absent");
    CHECK(j["administrationDate"] == domain::formatUtc(sessionStart()));
    CHECK_FALSE(j.contains("assessedMinutes"));
    CHECK_FALSE(j.contains("administrationEndDate"));

    auto waiver = ev(domain::EventKind::NoShow, 31, 1);
    waiver.reason = "Medical waiver";
    json w = store::studentAssessmentJson(mathSession(), "S100002", build({waiver}));
    CHECK(w["reasonNotTestedDescriptor"] == "uri://ed-fi.org/ReasonNotTestedDescriptor#Medical waiver");
}

TEST_CASE("Ed-Fi StudentAssessment lists the accommodations delivered") {
    auto a1 = ev(domain::EventKind::AccommodationDelivered, 1, 2);
    a1.accommodation = "uri://ed-fi.org/AccommodationDescriptor#Scheduling";
    auto a2 = ev(domain::EventKind::AccommodationDelivered, 2, 3);
    a2.accommodation = "uri://ed-fi.org/AccommodationDescriptor#Test material";
    json j = store::studentAssessmentJson(mathSession(), "S100003", build({ev(domain::EventKind::CheckedIn, 0, 1), a1, a2}));
    REQUIRE(j["accommodations"].size() == 2);
    CHECK(j["accommodations"][0]["accommodationDescriptor"] == a1.accommodation);
    CHECK(j["accommodations"][1]["accommodationDescriptor"] == a2.accommodation);
}

TEST_CASE("Ed-Fi StudentAssessment for irregularities: first circumstance, every description") {
    auto i1 = ev(domain::EventKind::Irregularity, 10, 2);
    i1.circumstance = kCircumstanceNs + "Fire alarm";
    i1.description = "Building evacuated";
    auto i2 = ev(domain::EventKind::Irregularity, 40, 3);
    i2.circumstance = kCircumstanceNs + "Administration or system failure";
    i2.description = "Calculator battery died";
    json j = store::studentAssessmentJson(mathSession(), "S100004", build({ev(domain::EventKind::CheckedIn, 0, 1), i1, i2}));
    CHECK(j["eventCircumstanceDescriptor"] == i1.circumstance);
    std::string d = j["eventDescription"];
    CHECK(d.find("Fire alarm: Building evacuated") != std::string::npos);
    CHECK(d.find("Administration or system failure: Calculator battery died") != std::string::npos);
    CHECK(d.find(" | ") != std::string::npos);
    CHECK(d.find(domain::formatUtc(atMinute(10))) != std::string::npos);
}

TEST_CASE("eventDescription is cut at 1024 bytes without splitting a UTF-8 character") {
    // Pad so the cut falls on every byte of 2-, 3- and 4-byte characters.
    for (const std::string ch : {"é", "ễ", "😀"}) {
        for (int pad = 0; pad < 4; ++pad) {
            CAPTURE(ch);
            CAPTURE(pad);
            auto irr = ev(domain::EventKind::Irregularity, 10, 2);
            irr.circumstance = kCircumstanceNs + "Other";
            // Each description stays under the 1,000-byte limit; together they pass 1,024.
            irr.description = std::string(static_cast<std::size_t>(pad), 'x');
            for (int i = 0; i < 240; ++i) irr.description += ch;
            auto irr2 = irr;
            irr2.id = "irr-2";
            irr2.seq = 3;
            auto irr3 = irr;
            irr3.id = "irr-3";
            irr3.seq = 4;
            json j = store::studentAssessmentJson(mathSession(), "S100001", build({ev(domain::EventKind::CheckedIn, 0, 1), irr, irr2, irr3}));
            std::string d = j["eventDescription"];
            CHECK(d.size() <= 1024);
            CHECK(d.size() >= 1024 - 3 - 3);  // at most one character dropped besides the marker
            CHECK(domain::isValidUtf8(d));
            CHECK(d.substr(d.size() - 3) == "...");
            CHECK(j.dump().size() > 1000);  // the JSON serialises (nlohmann throws on invalid UTF-8)
        }
    }
    auto shortIrr = ev(domain::EventKind::Irregularity, 10, 2);
    shortIrr.circumstance = kCircumstanceNs + "Other";
    shortIrr.description = "short";
    json j = store::studentAssessmentJson(mathSession(), "S100001", build({ev(domain::EventKind::CheckedIn, 0, 1), shortIrr}));
    CHECK(j["eventDescription"].get<std::string>().find("...") == std::string::npos);
}

// --- session report ---------------------------------------------------------

TEST_CASE("csvField quotes what needs quoting and defuses formulas") {
    CHECK(store::csvField("plain") == "plain");
    CHECK(store::csvField("") == "");
    CHECK(store::csvField("Ñúñez") == "Ñúñez");
    CHECK(store::csvField("Smith, Jr.") == "\"Smith, Jr.\"");
    CHECK(store::csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(store::csvField("two\nlines") == "\"two\nlines\"");
    CHECK(store::csvField("cr\rhere") == "\"cr\rhere\"");
    CHECK(store::csvField("=SUM(A1:A9)") == "'=SUM(A1:A9)");
    CHECK(store::csvField("+1") == "'+1");
    CHECK(store::csvField("-1") == "'-1");
    CHECK(store::csvField("@cmd") == "'@cmd");
    CHECK(store::csvField("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    CHECK(store::csvField("a=b") == "a=b");  // only a leading sign is a formula
}

TEST_CASE("csvField defuses a formula after every separator a spreadsheet may split on") {
    CHECK(store::csvField(";=1+1") == "\";'=1+1\"");
    CHECK(store::csvField("a;=cmd") == "\"a;'=cmd\"");
    CHECK(store::csvField("a,@x") == "\"a,'@x\"");
    CHECK(store::csvField("a; -1") == "\"a; '-1\"");
    CHECK(store::csvField(" =1") == " '=1");
    CHECK(store::csvField("a;b") == "\"a;b\"");  // quoted, nothing to defuse
}

TEST_CASE("csvField: a tab, '|', CR or LF starts a cell too, leading spaces included, and is quoted") {
    CHECK(store::csvField("\t=1") == "\"\t'=1\"");
    CHECK(store::csvField("a\t=cmd") == "\"a\t'=cmd\"");
    CHECK(store::csvField("a\t  +1") == "\"a\t  '+1\"");
    CHECK(store::csvField("a|=cmd") == "\"a|'=cmd\"");
    CHECK(store::csvField("a| @x") == "\"a| '@x\"");
    CHECK(store::csvField("a\r-1") == "\"a\r'-1\"");
    CHECK(store::csvField("a\n=1") == "\"a\n'=1\"");
    CHECK(store::csvField("  =1") == "  '=1");
    CHECK(store::csvField("tab\there") == "\"tab\there\"");  // quoted, nothing to defuse
    CHECK(store::csvField("a|b") == "\"a|b\"");
    CHECK(store::csvField("Left - fire alarm") == "Left - fire alarm");  // a space alone splits nothing
    // No cell of the output starts with a formula sign, whichever separator
    // splits it and whatever spaces it is trimmed of.
    for (std::string_view in : {";=A1", "x,+1", "y;;@z", "=a;=b,=c", "p|=1", "q\t-1", "r\t \t @s", "t\r\n=u", " |\t, ;=v"}) {
        std::string out = store::csvField(in);
        CAPTURE(out);
        if (out.front() == '"') out = out.substr(1, out.size() - 2);
        bool start = true;
        for (char c : out) {
            CHECK_FALSE((start && (c == '=' || c == '+' || c == '-' || c == '@')));
            if (start && c == ' ') continue;
            start = c == ';' || c == ',' || c == '|' || c == '\t' || c == '\r' || c == '\n';
        }
    }
}

TEST_CASE("the session report has a header and one row per student, quoted and defused") {
    auto s = memoryStore();
    auto roster = smallRoster();
    roster.students.push_back({"S100008", "=cmd|' /C calc'!A0", "", "Smith, Jr.", ""});
    roster.registrations.push_back({kMathSession, "S100008", {}, false});
    REQUIRE(store::writeRoster(s.db(), roster).ok());

    ManualClock clock(atMinute(-10));
    service::AttendanceService svc(s, clock.clock());
    REQUIRE(svc.openSession(kMathSession, kProctor).saved);
    clock.setMinute(2);
    REQUIRE(svc.checkIn(kMathSession, "S100001", kProctor, {domain::IdMethod::PhotoId, "", "A1", ""}).saved);
    REQUIRE(svc.deliverAccommodation(kMathSession, "S100001", kProctor, "uri://ed-fi.org/AccommodationDescriptor#Scheduling").saved);
    clock.setMinute(20);
    REQUIRE(svc.checkIn(kMathSession, "S100008", kProctor, {domain::IdMethod::SchoolId, "Mr. Okafor", "", "bus, late"}).saved);
    REQUIRE(svc.recordIrregularity(kMathSession, "S100008", kProctor,
                                   {kCircumstanceNs + "Other", "Said \"I'm done\",\nthen left", std::nullopt})
                .saved);
    clock.setMinute(80);
    REQUIRE(svc.checkOut(kMathSession, "S100001", kProctor).saved);

    REQUIRE(store::appendAudit(s.db(), s.kioskId(), domain::systemNow(), "technician", "test.export", "{}").ok());
    auto csv = store::sessionReportCsv(s.db(), kMathSession);
    REQUIRE(csv.ok());
    auto rows = parseCsv(*csv);
    REQUIRE(rows.size() == 1 + 6);
    const auto& header = rows[0];
    CHECK(header.size() == 28);
    CHECK(header.front() == "session_id");
    CHECK(header[header.size() - 2] == "state_has_latest");
    CHECK(header.back() == "audit_head");
    CHECK(csv->rfind("session_id,assessment,room,scheduled_start,", 0) == 0);
    auto col = [&](const std::string& name) {
        auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    };
    std::set<std::string> ids;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        CHECK(rows[i].size() == header.size());
        ids.insert(rows[i][col("student_unique_id")]);
        CHECK(rows[i][col("session_id")] == kMathSession);
    }
    CHECK(ids == std::set<std::string>{"S100001", "S100002", "S100003", "S100004", "S100005", "S100008"});

    auto row = [&](const std::string& id) {
        for (const auto& r : rows)
            if (r.size() == header.size() && r[col("student_unique_id")] == id) return r;
        FAIL("no row for " << id);
        return std::vector<std::string>{};
    };
    auto zoe = row("S100001");
    CHECK(zoe[col("first_name")] == "Zoë");
    CHECK(zoe[col("last_surname")] == "Ñúñez");
    CHECK(zoe[col("status")] == "checked_out");
    CHECK(zoe[col("late")] == "no");
    CHECK(zoe[col("seat")] == "A1");
    CHECK(zoe[col("assessed_minutes")] == "78");
    CHECK(zoe[col("id_method")] == "photo_id");
    CHECK(zoe[col("accommodations_scheduled")] == "Scheduling");
    CHECK(zoe[col("accommodations_delivered")] == "Scheduling");
    CHECK(zoe[col("state_has_latest")] == "no");  // queued, not yet at the state
    // The audit chain's head at export, on every row, as `verify-audit --printed-head` takes it.
    const std::string head = store::printableAuditHead(s.db()).value();
    CHECK(zoe[col("audit_head")] == head);
    REQUIRE_FALSE(head.empty());
    CHECK_FALSE(store::checkPrintedHead(s.db(), head).value().has_value());

    auto hostile = row("S100008");
    CHECK(hostile[col("first_name")] == "'=cmd|' /C calc'!A0");  // defused
    CHECK(hostile[col("last_surname")] == "Smith, Jr.");          // quoted, intact
    CHECK(hostile[col("status")] == "present");
    CHECK(hostile[col("late")] == "yes");
    CHECK(hostile[col("id_verified_by")] == "Mr. Okafor");
    CHECK(hostile[col("irregularities")].find("Said \"I'm done\",\nthen left") != std::string::npos);

    auto absent = row("S100002");
    CHECK(absent[col("status")] == "expected");
    CHECK(absent[col("state_has_latest")] == "");  // nothing recorded, nothing to send
    CHECK(absent[col("checked_in_at")] == "");

    // No raw formula starts any cell of the file.
    for (const auto& r : rows)
        for (const auto& cell : r) CHECK((cell.empty() || std::string("=+@").find(cell[0]) == std::string::npos));

    CHECK_FALSE(store::sessionReportCsv(s.db(), "NO-SUCH-SESSION").ok());
}

TEST_CASE("local times follow the zone's rules at each instant, across a DST change") {
    // A fixed zone, whatever this machine's own: America/Chicago moved from
    // CST (-6 h) to CDT (-5 h) at 2026-03-08 08:00 UTC and back at
    // 2026-11-01 07:00 UTC.
    const char* saved = std::getenv("TZ");
    std::string before = saved ? saved : "";
    ::setenv("TZ", "America/Chicago", 1);
    ::tzset();
    auto at = [](const char* iso) { return *kiosk::domain::parseIso8601(iso); };
    CHECK(store::localUtcOffsetMinutes(at("2026-03-08T07:59:00Z")) == -360);
    CHECK(store::localUtcOffsetMinutes(at("2026-03-08T08:00:00Z")) == -300);
    CHECK(store::localUtcOffsetMinutes(at("2026-11-01T06:59:00Z")) == -300);
    CHECK(store::localUtcOffsetMinutes(at("2026-11-01T07:00:00Z")) == -360);
    // One process, both sides of the change: each time shown in its own offset.
    auto shown = [&](const char* iso) { return kiosk::domain::formatClock(at(iso), store::localUtcOffsetMinutes(at(iso))); };
    CHECK(shown("2026-03-08T07:59:00Z") == "01:59");
    CHECK(shown("2026-03-08T08:00:00Z") == "03:00");
    CHECK(shown("2026-11-23T14:30:00Z") == "08:30");
    if (saved) ::setenv("TZ", before.c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
}

TEST_CASE("the session report file is written 0600, whole, over an older one") {
    auto s = memoryStore();
    loadSmallRoster(s);
    test::TempDir dir;
    auto file = dir / "report.csv";
    std::ofstream(file) << "an older, readable report";
    ::chmod(file.c_str(), 0644);
    service::SessionQueries queries(s);
    REQUIRE_FALSE(queries.exportReport(kMathSession, file).has_value());
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // it names students
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == store::sessionReportCsv(s.db(), kMathSession).value());
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}
