// Regressions for bugs found in review: history overwritten by REPLACE,
// descriptor values the state would refuse, search cost on short prefixes.
#include "kiosk/app/config.hpp"
#include "kiosk/domain/roster_index.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_import.hpp"

#include <doctest/doctest.h>

using namespace kiosk;

namespace {
struct Open {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    store::Store store = std::move(store::Store::openInMemory().value());
    service::AttendanceService svc{store, [this] { return now; }};
    Open() {
        store::DemoOptions demo;
        demo.students = 30;
        demo.now = now;
        REQUIRE(store::loadDemo(store, demo).ok());
        REQUIRE(svc.openSession("RHS-2026-WK-AM-114", "Ms. Rivera").saved);
        REQUIRE(svc.checkIn("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", {}).saved);
    }
};
} // namespace

TEST_CASE("INSERT OR REPLACE cannot overwrite an event or an audit entry") {
    Open o;
    CHECK_FALSE(o.store.db()
                    .exec("INSERT OR REPLACE INTO event (seq, event_id, kiosk_id, site_id, session_id, student_unique_id, kind, proctor,"
                          " recorded_at, local_utc_offset_min, payload) SELECT seq, 'forged', kiosk_id, site_id, session_id,"
                          " student_unique_id, 'no_show', proctor, recorded_at, 0, '{}' FROM event WHERE student_unique_id = 'S100001';")
                    .ok());
    auto events = store::eventsFor(o.store.db(), "RHS-2026-WK-AM-114", "S100001").value();
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == domain::EventKind::CheckedIn);
}

TEST_CASE("descriptor values the state would refuse are refused at the kiosk") {
    Open o;
    auto badReason = o.svc.markNoShow("RHS-2026-WK-AM-114", "S100002", "Ms. Rivera", "Sick");
    o.now += std::chrono::minutes(30);
    badReason = o.svc.markNoShow("RHS-2026-WK-AM-114", "S100002", "Ms. Rivera", "Sick");
    CHECK_FALSE(badReason.saved);
    CHECK(badReason.message.find("reason") != std::string::npos);
    CHECK(o.svc.markNoShow("RHS-2026-WK-AM-114", "S100002", "Ms. Rivera", "Medical waiver").saved);

    service::IrregularityDetails made{"uri://ed-fi.org/EventCircumstanceDescriptor#Alien abduction", "odd", std::nullopt};
    CHECK_FALSE(o.svc.recordIrregularity("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", made).saved);
    service::IrregularityDetails fire{"uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm", "evacuated", std::nullopt};
    CHECK(o.svc.recordIrregularity("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", fire).saved);

    CHECK_FALSE(o.svc.deliverAccommodation("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", "uri://x/AccommodationDescriptor#Made up").saved);
    CHECK(o.svc.deliverAccommodation("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", "uri://ed-fi.org/AccommodationDescriptor#Settings").saved);
}

TEST_CASE("short prefixes return at most the limit, the exact ID first, without scanning past it") {
    domain::RosterIndex index;
    std::vector<domain::RosterEntry> entries;
    for (int i = 0; i < 5000; ++i) entries.push_back({"S" + std::to_string(100000 + i), "Smith, Sam"});
    entries.push_back({"S1", "Kim, Lee"});
    index.build(entries);
    auto hits = index.search("s1", 50);
    REQUIRE(hits.size() == 50);
    CHECK(entries[hits[0]].studentId == "S1");  // exact ID first, though it was added last
    auto smith = index.search("sm", 20);
    CHECK(smith.size() == 20);
    CHECK(entries[smith[0]].studentId == "S100000");  // roster order among equal words
}

TEST_CASE("a roster with a number too large for any type is refused, not a crash (found by fuzzing)") {
    store::RosterData out;
    auto report = store::parseRoster(R"({"students": [{"studentUniqueId": "S1", "firstName": 7E777777777}]})", out);
    CHECK_FALSE(report.ok());
    CHECK(report.fileError.find("cannot be read") != std::string::npos);
    CHECK(out.students.empty());
}

TEST_CASE("a correction and a sign-off join the audit chain, with who and why") {
    Open o;
    auto events = store::eventsFor(o.store.db(), "RHS-2026-WK-AM-114", "S100001").value();
    REQUIRE(o.svc.correct("RHS-2026-WK-AM-114", "S100001", "Ms. Rivera", events[0].id, "checked in the wrong student").saved);
    auto log = store::recentAudit(o.store.db(), 10).value();
    REQUIRE_FALSE(log.empty());
    CHECK(log[0].action == "attendance.corrected");
    CHECK(log[0].actor == "proctor:Ms. Rivera");
    CHECK(log[0].detail.find("checked in the wrong student") != std::string::npos);
    CHECK(store::verifyAudit(o.store.db()).value().intact);
}

TEST_CASE("a base URL with no host is refused with a clear message (found by fuzzing)") {
    for (const char* url : {"https://", "https:///api", "https://:443/api"}) {
        auto r = kiosk::app::parseConfig(std::string("[state]\nbase_url = \"") + url + "\"\ncredentials_file = \"/etc/x\"\n");
        CHECK_FALSE(r.config.has_value());
        CHECK(r.error.find("no host") != std::string::npos);
    }
    CHECK(kiosk::app::parseConfig("[state]\nbase_url = \"https://edfi.example/api/\"\ncredentials_file = \"/etc/x\"\n").config->state->baseUrl ==
          "https://edfi.example/api");
}

TEST_CASE("a site sets when a proctor's screens lock with [kiosk] proctor_lock_minutes, 10 unless said") {
    CHECK(kiosk::app::parseConfig("[kiosk]\nname = \"lab\"\n").config->proctorLockMinutes == 10);
    CHECK(kiosk::app::parseConfig("[kiosk]\nproctor_lock_minutes = 3\n").config->proctorLockMinutes == 3);
    for (const char* bad : {"proctor_lock_minutes = 0\n", "proctor_lock_minutes = 121\n", "proctor_lock_minutes = \"5\"\n", "proctor_lock_minutes = 2.5\n"}) {
        auto r = kiosk::app::parseConfig(std::string("[kiosk]\n") + bad);
        CHECK_FALSE(r.config.has_value());
        CHECK(r.error.find("proctor_lock_minutes") != std::string::npos);
    }
}

TEST_CASE("a state may cap the requests in flight with [state] max_in_flight") {
    const std::string head = "[state]\nbase_url = \"https://edfi.example/api\"\ncredentials_file = \"/etc/x\"\n";
    auto capped = kiosk::app::parseConfig(head + "max_in_flight = 16\n");
    REQUIRE(capped.config.has_value());
    CHECK(capped.config->state->maxInFlight == 16);
    auto unset = kiosk::app::parseConfig(head);
    REQUIRE(unset.config.has_value());
    CHECK_FALSE(unset.config->state->maxInFlight.has_value());
    for (const char* bad : {"max_in_flight = 0\n", "max_in_flight = 257\n", "max_in_flight = \"8\"\n", "max_in_flight = 2.5\n"}) {
        auto r = kiosk::app::parseConfig(head + bad);
        CHECK_FALSE(r.config.has_value());
        CHECK(r.error.find("max_in_flight") != std::string::npos);
    }
}
