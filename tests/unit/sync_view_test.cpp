#include "kiosk/service/attendance_service.hpp"
#include "kiosk/app/sync_wiring.hpp"
#include "kiosk/service/sync_view.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/record_subject.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"

#include <doctest/doctest.h>

using namespace kiosk;

TEST_CASE("a refused record is listed with the student's name and the server's words, and can be sent again") {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    auto s = std::move(store::Store::openInMemory().value());
    store::DemoOptions demo;
    demo.students = 10;
    demo.now = now;
    REQUIRE(store::loadDemo(s, demo).ok());
    service::AttendanceService svc(s, [&] { return now; });
    REQUIRE(svc.openSession("RHS-2026-WK-AM-114", "Ms. Rivera").saved);
    REQUIRE(svc.checkIn("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", {}).saved);
    auto session = store::findSession(s.db(), "RHS-2026-WK-AM-114").value().value();
    std::string key = store::studentAssessmentKey(session, "S100001");
    auto claims = edsync::outbox::claimDue(s.db(), 0, 10).value();
    REQUIRE(claims.size() == 1);
    REQUIRE(edsync::outbox::needsAttention(s.db(), "studentAssessments", key, claims[0].version, 400,
                                           "AccommodationDescriptor value does not exist").ok());

    service::SyncQueries q(s);
    auto list = q.needsAttention().value();
    REQUIRE(list.size() == 1);
    CHECK(list[0].who == "Ñúñez, Zoë (S100001) · 2026-11-23 · WorkKeys Applied Math");
    CHECK(list[0].httpStatus == 400);
    CHECK(list[0].message == "AccommodationDescriptor value does not exist");
    CHECK(service::offlineSummary(s).needsAttention == 1);

    REQUIRE(q.retry("studentAssessments", key).ok());
    CHECK(q.needsAttention().value().empty());
    CHECK(edsync::outbox::claimDue(s.db(), 0, 10).value().size() == 1);
}

TEST_CASE("records waiting on a retry and refused ones carry the server's words beside the student and date") {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    auto s = std::move(store::Store::openInMemory().value());
    store::DemoOptions demo;
    demo.students = 10;
    demo.now = now;
    REQUIRE(store::loadDemo(s, demo).ok());
    service::AttendanceService svc(s, [&] { return now; });
    REQUIRE(svc.openSession("RHS-2026-WK-AM-114", "Ms. Rivera").saved);
    REQUIRE(svc.checkIn("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", {}).saved);
    REQUIRE(svc.checkIn("RHS-2026-WK-AM-114", "S100002", "Ms. Rivera", {}).saved);
    auto session = store::findSession(s.db(), "RHS-2026-WK-AM-114").value().value();
    auto claims = edsync::outbox::claimDue(s.db(), 0, 10).value();
    REQUIRE(claims.size() == 2);

    edsync::outbox::Failure conflict;
    conflict.httpStatus = 409;
    conflict.cause = "HTTP 409: Reference validation failed.";
    conflict.problemType = "urn:ed-fi:api:conflict:unresolved-reference";
    conflict.words = "Reference validation failed.; Student S100001 is not known.";
    conflict.correlationId = "corr-9";
    conflict.atUnixMs = 1'795'000'000'000;
    REQUIRE(edsync::outbox::retryLater(s.db(), "studentAssessments", store::studentAssessmentKey(session, "S100001"), claims[0].version,
                                       2'000'000'000'000, conflict).ok());
    edsync::outbox::Failure refused;
    refused.httpStatus = 403;
    refused.words = "insufficient_scope";
    REQUIRE(edsync::outbox::needsAttention(s.db(), "studentAssessments", store::studentAssessmentKey(session, "S100002"), claims[1].version,
                                           refused).ok());

    service::SyncQueries q(s);
    auto list = q.failedRecords().value();
    REQUIRE(list.size() == 2);
    CHECK(list[0].refused);
    CHECK(list[0].httpStatus == 403);
    CHECK(list[0].words == "insufficient_scope");
    CHECK(list[0].who.find("(S100002) · 2026-11-23 · WorkKeys Applied Math") != std::string::npos);
    CHECK_FALSE(list[1].refused);
    CHECK(list[1].who == "Ñúñez, Zoë (S100001) · 2026-11-23 · WorkKeys Applied Math");
    CHECK(list[1].problemType == "urn:ed-fi:api:conflict:unresolved-reference");
    CHECK(list[1].words == "Reference validation failed.; Student S100001 is not known.");
    CHECK(list[1].correlationId == "corr-9");
    REQUIRE(list[1].at.has_value());

    // Another kiosk's record (a USB import) is named from its own JSON.
    store::RecordSubjects subjects(s.db());
    auto other = subjects.of("studentAssessments", "tsk-elsewhere",
                             R"({"studentReference":{"studentUniqueId":"S100003"},"administrationDate":"2026-11-20T09:00:00Z"})");
    CHECK(other.studentUniqueId == "S100003");
    CHECK(other.date == "2026-11-20");
    CHECK(other.describe().find("(S100003) · 2026-11-20") != std::string::npos);  // a terminal: ISO
    // A screen writes the date its own way.
    CHECK(other.describe([](std::string_view iso) { return "[" + std::string(iso) + "]"; }).find("(S100003) · [2026-11-20]") !=
          std::string::npos);
    CHECK_FALSE(subjects.of("studentAssessments", "tsk-unknown").known());
}

TEST_CASE("the summary turns the engine's status into what the proctor reads") {
    edsync::edfi::SyncStatus st;
    st.connection = edsync::edfi::SyncStatus::Connection::Online;
    st.lastContactUnixMs = 1'795'000'000'000;
    st.clockOffsetMs = -400'000;
    st.clockWarning = true;
    st.drainRatePerSecond = 50;
    st.counts.pending = 1000;
    auto sum = app::summarise(st);
    CHECK(sum.connection == service::SyncSummary::Connection::Online);
    CHECK(sum.clockOffsetSeconds == -400);
    CHECK(sum.clockWarning);
    CHECK(sum.secondsLeft == 21);
    st.drainRatePerSecond = 0;
    CHECK_FALSE(app::summarise(st).secondsLeft.has_value());
}
