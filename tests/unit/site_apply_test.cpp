// Several machines of one site, without the network: each kiosk's committed
// facts are collected as the site log would carry them and applied to the
// others in various orders. Every kiosk must end with the same projections
// and the same records for the state.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/service/site_apply.hpp"
#include "kiosk/service/work_service.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/site_facts.hpp"
#include "sync/outbox/outbox.hpp"
#include "support/kiosk_fixture.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <random>

using namespace kiosk;
using kiosk::test::kMathSession;
using kiosk::test::ManualClock;

namespace {

struct Machine {
    ManualClock clock;
    store::Store store = std::move(store::Store::openInMemory().value());
    service::AttendanceService attendance{store, clock.clock()};
    service::SecurityService security{store, clock.clock()};
    service::WorkService work{store, clock.clock(), security};
    service::SiteApplier applier{store, [this] { return work.catalogue().get(); }};
    std::vector<std::string> published;  // what this machine gave the site log, in order

    Machine() {
        REQUIRE(store::writeRoster(store.db(), test::smallRoster()).ok());
        REQUIRE_FALSE(work.loadCatalogue(std::filesystem::path(KIOSK_ASSETS_DIR) / "tasks" / "work-readiness.json").has_value());
        REQUIRE(security.setProctor("P1", "Mr. Okafor", "2468").saved);
        store.setFactSink([this](store::Database&, const store::SiteFact& f) -> store::Status {
            published.push_back(f.json);
            return {};
        });
    }
    void receive(const std::vector<std::string>& facts) {
        for (const auto& f : facts) REQUIRE(applier.apply(f).ok());
    }
    // Every record for the state, by key: what the uploader would send.
    std::map<std::string, std::string> outboxBodies() {
        std::map<std::string, std::string> out;
        auto stmt = store.db().prepare("SELECT resource || ' ' || natural_key, body FROM outbox;");
        REQUIRE(stmt.ok());
        for (;;) {
            auto row = stmt->step();
            REQUIRE(row.ok());
            if (!*row) break;
            out[stmt->getText(0)] = stmt->getText(1);
        }
        return out;
    }
    std::string presenceOf(const std::string& student) {
        return test::queryText(store.db(), "SELECT presence FROM attendance WHERE session_id = " + test::sqlQuote(kMathSession) +
                                               " AND student_unique_id = " + test::sqlQuote(student) + ";");
    }
};

void exchange(Machine& a, Machine& b) {
    auto fromA = a.published;
    auto fromB = b.published;
    b.receive(fromA);
    a.receive(fromB);
}

} // namespace

TEST_CASE("two door stations: the site log carries each check-in to the other station") {
    Machine x, y;
    x.clock.setMinute(-10);
    y.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    y.receive(x.published);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100002", "Ms. Rivera", {}).saved);
    REQUIRE(y.attendance.checkIn(kMathSession, "S100003", "Mr. Okafor", {}).saved);
    y.receive(std::vector<std::string>(x.published.begin() + 1, x.published.end()));
    // Y already knows A and B are in the room: it refuses a second check-in and never marks them absent.
    CHECK_FALSE(y.attendance.checkIn(kMathSession, "S100001", "Mr. Okafor", {}).saved);
    y.clock.setMinute(31);
    auto marked = y.attendance.markNoShowsAtCutoff(kMathSession, "Mr. Okafor");
    CHECK(marked.saved == 2);
    x.receive(y.published);
    for (Machine* m : {&x, &y}) {
        CHECK(m->presenceOf("S100001") == "present");
        CHECK(m->presenceOf("S100002") == "present");
        CHECK(m->presenceOf("S100003") == "present");
        CHECK(m->presenceOf("S100004") == "no_show");
        CHECK(m->presenceOf("S100005") == "no_show");
    }
    CHECK(x.outboxBodies() == y.outboxBodies());
    CHECK(x.outboxBodies().size() == 5);
}

TEST_CASE("two door stations cut off from each other all session: a check-in seen anywhere beats the no-show") {
    Machine x, y;
    x.clock.setMinute(-10);
    y.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(y.attendance.openSession(kMathSession, "Mr. Okafor").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100002", "Ms. Rivera", {}).saved);
    REQUIRE(y.attendance.checkIn(kMathSession, "S100003", "Mr. Okafor", {}).saved);
    y.clock.setMinute(31);
    CHECK(y.attendance.markNoShowsAtCutoff(kMathSession, "Mr. Okafor").saved == 4);  // Y never saw A and B arrive
    exchange(x, y);
    for (Machine* m : {&x, &y}) {
        CHECK(m->presenceOf("S100001") == "present");
        CHECK(m->presenceOf("S100002") == "present");
        CHECK(m->presenceOf("S100003") == "present");
        CHECK(m->presenceOf("S100004") == "no_show");
        CHECK(m->presenceOf("S100005") == "no_show");
    }
    auto bodies = x.outboxBodies();
    CHECK(bodies == y.outboxBodies());
    int notTested = 0;
    for (const auto& kv : bodies) notTested += nlohmann::json::parse(kv.second).contains("reasonNotTestedDescriptor") ? 1 : 0;
    CHECK(notTested == 2);
}

TEST_CASE("a student on two lab machines: the day's record for the state holds every approved task") {
    Machine m3, m7;
    m3.clock.set(*domain::parseIso8601("2026-11-23T15:00:00Z"));
    m7.clock.set(*domain::parseIso8601("2026-11-23T19:00:00Z"));
    auto morning = m3.work.saveDraft("S100001", "", {"comm-customer", "2026-11-23", 50, "Riverbend Hardware", "Helped customers."});
    REQUIRE(morning.saved);
    REQUIRE(m3.work.submit("S100001", morning.eventId).saved);
    auto approved = m3.work.review(morning.eventId, service::Review::Approve, "P1", "2468", "");
    INFO(approved.message);
    REQUIRE(approved.saved);
    auto afternoon = m7.work.saveDraft("S100001", "", {"ps-measure", "2026-11-23", 40, "Riverbend Hardware", "Measured stock."});
    REQUIRE(afternoon.saved);
    REQUIRE(m7.work.submit("S100001", afternoon.eventId).saved);
    REQUIRE(m7.work.review(afternoon.eventId, service::Review::Approve, "P1", "2468", "").saved);
    exchange(m3, m7);

    auto bodies = m3.outboxBodies();
    CHECK(bodies == m7.outboxBodies());
    int evaluations = 0;
    for (const auto& [key, body] : bodies) {
        if (key.rfind("studentProgramEvaluations", 0) != 0) continue;
        ++evaluations;
        CHECK(nlohmann::json::parse(body)["studentEvaluationElements"].size() == 2);
    }
    CHECK(evaluations == 1);
    auto p3 = m3.work.progress("S100001").value();
    auto p7 = m7.work.progress("S100001").value();
    CHECK(p3.totalHours == p7.totalHours);
    CHECK(m3.work.entries("S100001").value().size() == 2);
    CHECK(m7.work.entries("S100001").value().size() == 2);
}

TEST_CASE("a draft deleted on one lab machine is deleted on the other, and an edit made there meanwhile does not bring it back") {
    Machine m3, m7;
    m3.clock.set(*domain::parseIso8601("2026-11-23T15:00:00Z"));
    m7.clock.set(*domain::parseIso8601("2026-11-23T15:05:00Z"));
    auto draft = m3.work.saveDraft("S100001", "", {"comm-customer", "2026-11-23", 50, "Riverbend Hardware", ""});
    REQUIRE(draft.saved);
    exchange(m3, m7);
    REQUIRE(m7.work.entries("S100001").value().size() == 1);
    REQUIRE(m7.work.discard("S100001", draft.eventId).saved);
    m3.clock.set(*domain::parseIso8601("2026-11-23T15:10:00Z"));
    REQUIRE(m3.work.saveDraft("S100001", draft.eventId, {"comm-customer", "2026-11-23", 55, "Riverbend Hardware", ""}).saved);
    exchange(m3, m7);
    for (Machine* m : {&m3, &m7}) {
        auto entries = m->work.entries("S100001").value();
        REQUIRE(entries.size() == 1);
        CHECK(entries.front().status == domain::EntryStatus::Discarded);
    }
}

TEST_CASE("facts applied twice or in any order give the same projections") {
    Machine x, y;
    x.clock.setMinute(-10);
    y.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    x.clock.setMinute(5);
    REQUIRE(x.attendance.breakOut(kMathSession, "S100001", "Ms. Rivera").saved);
    x.clock.setMinute(9);
    REQUIRE(x.attendance.breakIn(kMathSession, "S100001", "Ms. Rivera").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100002", "Ms. Rivera", {}).saved);
    auto seatId = x.attendance.assignSeat(kMathSession, "S100002", "Ms. Rivera", "B4");
    REQUIRE(seatId.saved);
    REQUIRE(x.attendance.correct(kMathSession, "S100002", "Ms. Rivera", seatId.eventId, "wrong seat").saved);
    const auto reference = x.outboxBodies();

    std::mt19937 rng(20261202);
    for (int round = 0; round < 12; ++round) {
        CAPTURE(round);
        Machine z;
        auto facts = x.published;
        facts.insert(facts.end(), x.published.begin(), x.published.begin() + round % static_cast<int>(x.published.size()));
        std::shuffle(facts.begin(), facts.end(), rng);
        z.receive(facts);
        z.applier.retryParked();  // a correction that came before the event it withdraws
        CHECK(z.outboxBodies() == reference);
        CHECK(z.presenceOf("S100001") == "present");
    }
}

TEST_CASE("a fact about a session this kiosk has not received yet waits, then applies") {
    Machine x;
    x.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);

    auto fresh = std::move(store::Store::openInMemory().value());
    service::SiteApplier applier{fresh, [] { return nullptr; }};
    for (const auto& f : x.published) CHECK(applier.apply(f).what == service::ApplyOutcome::What::Parked);
    CHECK(test::queryInt(fresh.db(), "SELECT count(*) FROM site_parked;") == 2);
    REQUIRE(store::writeRoster(fresh.db(), test::smallRoster()).ok());
    CHECK(applier.retryParked() == 2);
    CHECK(test::queryInt(fresh.db(), "SELECT count(*) FROM site_parked;") == 0);
    CHECK(test::queryText(fresh.db(), "SELECT presence FROM attendance;") == "present");
}

TEST_CASE("a malformed fact is refused and kept for a technician, never applied") {
    Machine x;
    for (std::string bad : {std::string("not json"), std::string(R"({"v":1,"fact":"attendance"})"),
                            std::string(R"({"v":9,"fact":"attendance","eventId":"e1"})"), std::string(70000, '{')}) {
        auto out = x.applier.apply(bad);
        CHECK(out.what == service::ApplyOutcome::What::Refused);
        CHECK_FALSE(out.detail.empty());
    }
    CHECK(test::queryInt(x.store.db(), "SELECT count(*) FROM site_parked WHERE waiting_for LIKE 'refused: %';") == 4);
    CHECK(test::queryInt(x.store.db(), "SELECT count(*) FROM event;") == 0);
}

TEST_CASE("what reached the state travels as an acknowledgement: the other station's same record is synced and guarded") {
    Machine x, y;
    x.clock.setMinute(-10);
    y.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    y.receive(x.published);
    auto bodies = y.outboxBodies();
    REQUIRE(bodies.size() == 1);
    const std::string resource = "studentAssessments";
    const std::string key = bodies.begin()->first.substr(resource.size() + 1);
    const std::string body = bodies.begin()->second;

    // X uploaded that record; the state answered with an id and an ETag.
    auto ack = store::ackFact({{}, x.store.kioskId(), resource, key, body, "id-1", "\"e1\"", false, {}});
    REQUIRE(ack.has_value());
    CHECK(ack->subject == "ack");
    CHECK(ack->json.find("S100001") != std::string::npos);  // the body is the record; the subject names no one
    REQUIRE(y.applier.apply(ack->json).ok());
    auto st = edsync::outbox::status(y.store.db(), resource, key);
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->state == edsync::outbox::State::Synced);
    CHECK((*st)->resourceId == "id-1");
    // Applying it again changes nothing; the same acknowledgement has the same id everywhere.
    REQUIRE(y.applier.apply(ack->json).ok());
    CHECK(store::ackFact({{}, y.store.kioskId(), resource, key, body, "id-1", "\"e1\"", false, {}})->eventId.substr(0, 4) == "ack-");
    CHECK(store::ackFact({{}, x.store.kioskId(), resource, key, body, "id-1", "\"e1\"", false, {}})->eventId == ack->eventId);
    // A deletion of the same body is another fact, with its own id, that an older release parks.
    auto deletion = store::ackFact({{}, x.store.kioskId(), resource, key, body, "", "", true, {}});
    REQUIRE(deletion);
    CHECK(deletion->eventId != ack->eventId);
    CHECK(deletion->json.find("\"ackDelete\"") != std::string::npos);
    auto decoded = store::decodeAck(deletion->json);
    REQUIRE(decoded.ack);
    CHECK(decoded.ack->deletion);
    CHECK_FALSE(store::decodeAck(ack->json).ack->deletion);
    // So is a write sent whose answer was lost: its id names its order (each
    // loss is news), and applying it makes the synced row wait again.
    store::AckFact lost{{}, x.store.kioskId(), resource, key, body, "", "", false, "001764680000000.0000000009"};
    lost.unanswered = true;
    auto unanswered = store::ackFact(lost);
    REQUIRE(unanswered);
    CHECK(unanswered->json.find("\"ackUnanswered\"") != std::string::npos);
    CHECK(unanswered->eventId != ack->eventId);
    lost.order = "001764680000000.0000000010";
    CHECK(store::ackFact(lost)->eventId != unanswered->eventId);
    auto decodedLost = store::decodeAck(unanswered->json);
    REQUIRE(decodedLost.ack);
    CHECK(decodedLost.ack->unanswered);
    CHECK_FALSE(decodedLost.ack->deletion);
    CHECK_FALSE(store::decodeAck(ack->json).ack->unanswered);
    REQUIRE(y.applier.apply(unanswered->json).ok());
    CHECK((*edsync::outbox::status(y.store.db(), resource, key))->state == edsync::outbox::State::Pending);
    auto older = store::ackFact({{}, x.store.kioskId(), resource, key, body, "id-1", "\"e1\"", false, "001764680000000.0000000008"});
    REQUIRE(y.applier.apply(older->json).ok());  // older news than that: dropped, the row still waits
    CHECK((*edsync::outbox::status(y.store.db(), resource, key))->state == edsync::outbox::State::Pending);
    // A deletion sent whose answer was lost: a fact of its own, and the row
    // waits to be written anew without the state's id (it may be gone).
    store::AckFact lostDeletion{{}, x.store.kioskId(), resource, key, body, "", "", true, "001764680000000.0000000011"};
    lostDeletion.unanswered = true;
    auto unansweredDeletion = store::ackFact(lostDeletion);
    REQUIRE(unansweredDeletion);
    CHECK(unansweredDeletion->json.find("\"ackUnansweredDelete\"") != std::string::npos);
    CHECK(unansweredDeletion->eventId != unanswered->eventId);
    auto decodedLostDeletion = store::decodeAck(unansweredDeletion->json);
    REQUIRE(decodedLostDeletion.ack);
    CHECK(decodedLostDeletion.ack->unanswered);
    CHECK(decodedLostDeletion.ack->deletion);
    REQUIRE(y.applier.apply(unansweredDeletion->json).ok());
    auto afterDeletion = *edsync::outbox::status(y.store.db(), resource, key);
    CHECK(afterDeletion->state == edsync::outbox::State::Pending);
    CHECK(afterDeletion->op == edsync::outbox::Op::Upsert);
    CHECK_FALSE(afterDeletion->resourceId.has_value());
    // The uploader's order stamp travels with it; one that is no HLC is refused.
    auto ordered = store::ackFact({{}, x.store.kioskId(), resource, key, body, "id-1", "\"e1\"", false, "001764680000000.0000000007"});
    REQUIRE(ordered);
    CHECK(store::decodeAck(ordered->json).ack->order == "001764680000000.0000000007");
    CHECK(store::decodeAck(ack->json).ack->order.empty());  // from an older release
    auto forged = nlohmann::json::parse(ordered->json);
    forged["order"] = "tomorrow";
    CHECK_FALSE(store::decodeAck(forged.dump()).ack.has_value());

    // A late acknowledgement of an older picture marks nothing synced.
    REQUIRE(y.attendance.checkOut(kMathSession, "S100001", "Mr. Okafor").saved);
    REQUIRE(y.applier.apply(ack->json).ok());
    auto later = edsync::outbox::status(y.store.db(), resource, key);
    CHECK((*later)->state != edsync::outbox::State::Synced);

    // A broken acknowledgement is refused and kept, like any malformed fact.
    auto bad = y.applier.apply(R"({"v":1,"fact":"ack","eventId":"ack-1","kiosk":"k"})");
    CHECK(bad.what == service::ApplyOutcome::What::Refused);
    CHECK(test::queryInt(y.store.db(), "SELECT count(*) FROM site_parked WHERE waiting_for LIKE 'refused: %';") == 1);
}

namespace {
// B's student submits a task; both reviewers see it submitted: B rejects
// first, A approves later (A queues the day's record). Nothing exchanged yet.
void rejectThenApprove(Machine& a, Machine& b) {
    b.clock.set(*domain::parseIso8601("2026-11-23T15:00:00Z"));
    a.clock.set(*domain::parseIso8601("2026-11-23T15:05:00Z"));
    auto entry = b.work.saveDraft("S100001", "", {"comm-customer", "2026-11-23", 50, "Riverbend Hardware", "Helped customers."});
    REQUIRE(entry.saved);
    REQUIRE(b.work.submit("S100001", entry.eventId).saved);
    a.receive(b.published);
    REQUIRE(b.work.review(entry.eventId, service::Review::Reject, "P1", "2468", "Not a work-readiness task.").saved);
    REQUIRE(a.work.review(entry.eventId, service::Review::Approve, "P1", "2468", "").saved);
}
} // namespace

TEST_CASE("an approval the site's merge leaves out takes the day's record for the state with it") {
    Machine a, b;
    rejectThenApprove(a, b);
    bool queued = false;
    for (const auto& [key, body] : a.outboxBodies()) queued = queued || key.rfind("studentProgramEvaluations", 0) == 0;
    REQUIRE(queued);  // A queued the day's record with the approved task

    // Sent before the exchange: the state holds A's record.
    const std::string key = test::queryText(a.store.db(), "SELECT natural_key FROM outbox WHERE resource = 'studentProgramEvaluations';");
    const std::string sent = test::queryText(a.store.db(), "SELECT body FROM outbox WHERE resource = 'studentProgramEvaluations';");
    REQUIRE(*edsync::outbox::adoptWrite(a.store.db(), "studentProgramEvaluations", key, sent, "id-1", "\"1\""));

    exchange(a, b);
    // The earlier rejection stands on both: nothing approved that day, so A's record becomes a deletion.
    CHECK(a.work.entries("S100001").value().front().status == domain::EntryStatus::Rejected);
    CHECK(b.work.entries("S100001").value().front().status == domain::EntryStatus::Rejected);
    int upserts = 0, deletions = 0;
    auto stmt = a.store.db().prepare("SELECT op FROM outbox WHERE resource = 'studentProgramEvaluations';");
    REQUIRE(stmt.ok());
    while (stmt->step().value_or(false)) (stmt->getText(0) == "delete" ? deletions : upserts)++;
    CHECK(upserts == 0);
    CHECK(deletions == 1);
    CHECK(test::queryInt(b.store.db(), "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations' AND op = 'upsert';") == 0);
}

// Found by the site durability run: the kiosk that approved had queued the
// day's record, the others never had it; a deletion waiting on a kiosk that
// is not the uploader was never settled (the uploader had nothing to delete).
TEST_CASE("an approval the merge leaves out before it was ever sent leaves nothing waiting on any kiosk") {
    Machine a, b;
    rejectThenApprove(a, b);
    REQUIRE(test::queryInt(a.store.db(), "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations';") == 1);

    exchange(a, b);
    const std::string waiting = "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations' AND local_version > synced_version;";
    CHECK(test::queryInt(a.store.db(), waiting) == 0);
    CHECK(test::queryInt(b.store.db(), waiting) == 0);
    CHECK(test::queryInt(b.store.db(), "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations';") == 0);
}

// Found by the site durability run: the second time the same day's record
// was approved and left out, never sent either time, the kiosk that approved
// kept a deletion waiting (its first settled deletion looked like a send).
TEST_CASE("the same day's approval left out twice, never sent: nothing waits on any kiosk") {
    Machine a, b;
    rejectThenApprove(a, b);
    exchange(a, b);
    rejectThenApprove(a, b);  // a second task that day, the same merge
    REQUIRE(test::queryInt(a.store.db(), "SELECT local_version FROM outbox WHERE resource = 'studentProgramEvaluations';") == 3);
    exchange(a, b);
    const std::string waiting = "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations' AND local_version > synced_version;";
    CHECK(test::queryInt(a.store.db(), waiting) == 0);
    CHECK(test::queryInt(b.store.db(), waiting) == 0);
}

// The uploader sent the day's record before the rejection reached it, then
// lost its lease: the kiosk that uploads next never had the record, and
// still has the state delete it (the state keeps nothing the merge left out).
TEST_CASE("news of a record a kiosk's own facts leave out, on a kiosk that never had its row, queues its deletion there") {
    Machine a, b;
    rejectThenApprove(a, b);
    const std::string key = test::queryText(a.store.db(), "SELECT natural_key FROM outbox WHERE resource = 'studentProgramEvaluations';");
    const std::string sent = test::queryText(a.store.db(), "SELECT body FROM outbox WHERE resource = 'studentProgramEvaluations';");
    b.receive(a.published);  // the rejection came first: no record on b
    REQUIRE(test::queryInt(b.store.db(), "SELECT count(*) FROM outbox WHERE resource = 'studentProgramEvaluations';") == 0);

    auto ack = store::ackFact({{}, "kiosk-a", "studentProgramEvaluations", key, sent, "id-1", "\"1\"", false, "001764680005000.0000000000"});
    REQUIRE(ack.has_value());
    b.receive({ack->json});
    CHECK(test::queryText(b.store.db(), "SELECT op || ' ' || (local_version > synced_version) || ' ' || resource_id FROM outbox"
                                        " WHERE resource = 'studentProgramEvaluations';") == "delete 1 id-1");

    // News of a day whose approval has not reached this kiosk yet (its entry
    // still awaits review here) changes nothing until the facts arrive.
    auto pending = b.work.saveDraft("S100001", "", {"comm-customer", "2026-11-22", 30, "Riverbend Hardware", "Stocked shelves."});
    REQUIRE(pending.saved);
    REQUIRE(b.work.submit("S100001", pending.eventId).saved);
    const std::string otherDayKey = store::programEvaluationKey(*b.work.catalogue(), "S100001", "2026-11-22");
    auto early = store::ackFact({{}, "kiosk-a", "studentProgramEvaluations", otherDayKey,
                                 R"({"evaluationDate":"2026-11-22","studentReference":{"studentUniqueId":"S100001"}})", "id-2", "\"2\"",
                                 false, "001764680005000.0000000000"});
    REQUIRE(early.has_value());
    b.receive({early->json});
    CHECK(test::queryInt(b.store.db(), "SELECT count(*) FROM outbox WHERE natural_key = " + test::sqlQuote(otherDayKey) + ";") == 0);
}

TEST_CASE("each audit entry shares the chain's new head, and another kiosk keeps nothing of it") {
    Machine x, y;
    x.published.clear();
    REQUIRE(x.security.setProctor("P2", "Ms. Rivera", "1357").saved);  // audited: "proctor.pin_set"
    std::vector<store::AuditHeadFact> heads;
    for (const auto& f : x.published)
        if (auto d = store::decodeAuditHead(f); d.isAuditHead) {
            REQUIRE(d.head.has_value());
            heads.push_back(*d.head);
        }
    REQUIRE(heads.size() == 1);
    CHECK(heads[0].kioskId == x.store.kioskId());
    auto last = store::recentAudit(x.store.db(), 1);
    REQUIRE(last.ok());
    CHECK(heads[0].seq == last->front().seq);
    CHECK(heads[0].hash == last->front().hash);
    auto fact = store::auditHeadFact(heads[0]);
    CHECK(fact.subject == store::auditHeadSubject(x.store.kioskId()));
    CHECK(fact.eventId == "audit-" + x.store.kioskId() + "-" + std::to_string(heads[0].seq));

    const auto eventsBefore = test::queryInt(y.store.db(), "SELECT count(*) FROM event;");
    CHECK(y.applier.apply(fact.json).what == service::ApplyOutcome::What::Kept);
    CHECK(test::queryInt(y.store.db(), "SELECT count(*) FROM event;") == eventsBefore);
    CHECK(test::queryInt(y.store.db(), "SELECT count(*) FROM site_parked;") == 0);
    // A broken one is refused and kept where a technician sees it.
    auto bad = y.applier.apply(R"({"v":1,"fact":"auditHead","kiosk":"k","seq":"three","hash":"x","at":"t"})");
    CHECK(bad.what == service::ApplyOutcome::What::Refused);
    CHECK(test::queryInt(y.store.db(), "SELECT count(*) FROM site_parked WHERE waiting_for LIKE 'refused: %';") == 1);
}

// Found by the site durability run (tests/durability/README.md, "What the
// site run found"): a kiosk killed mid-batch got the messages its dead
// process fetched again only after the consumer's ack wait, so it applied
// later facts first; and after a hub killed with -9 an acknowledgement can
// reach the log before the event that makes its body. The consumer now
// delivers in the log's order, and an acknowledgement carries the uploader's
// order stamp, so the applier settles a row whose acknowledgement came first
// once its events make that body (outbox.cpp, schema version 6). One from an
// older release (no stamp) still leaves the row waiting: nothing says it is
// the newest.
TEST_CASE("the applier alone: an acknowledgement applied before the event that makes its body settles the row when it arrives") {
    Machine x, y;
    x.clock.setMinute(-10);
    y.clock.setMinute(-10);
    REQUIRE(x.attendance.openSession(kMathSession, "Ms. Rivera").saved);
    REQUIRE(x.attendance.checkIn(kMathSession, "S100001", "Ms. Rivera", {}).saved);
    y.receive(x.published);
    const std::size_t seen = x.published.size();
    x.clock.setMinute(20);
    REQUIRE(x.attendance.checkOut(kMathSession, "S100001", "Ms. Rivera").saved);
    const std::vector<std::string> checkOut(x.published.begin() + static_cast<std::ptrdiff_t>(seen), x.published.end());

    // X, the uploader, sent its picture (with the check-out); its
    // acknowledgement reaches Y before the check-out does.
    auto bodies = x.outboxBodies();
    REQUIRE(bodies.size() == 1);
    const std::string resource = "studentAssessments";
    const std::string key = bodies.begin()->first.substr(resource.size() + 1);
    auto ack = store::ackFact({{}, x.store.kioskId(), resource, key, bodies.begin()->second, "id-1", "\"e1\"", false,
                               "001764680000000.0000000001"});
    REQUIRE(ack.has_value());
    REQUIRE(y.applier.apply(ack->json).ok());
    auto before = edsync::outbox::status(y.store.db(), resource, key);
    CHECK((*before)->state != edsync::outbox::State::Synced);  // Y's picture lacks the check-out yet
    y.receive(checkOut);

    // Y now holds exactly what the state holds, and has nothing to send.
    REQUIRE(y.outboxBodies() == x.outboxBodies());
    auto st = edsync::outbox::status(y.store.db(), resource, key);
    REQUIRE(st.ok());
    REQUIRE(st->has_value());
    CHECK((*st)->state == edsync::outbox::State::Synced);
    CHECK((*st)->resourceId == "id-1");
}
