#pragma once
// An in-memory store with the demo roster and a clock the test moves: the
// first session started ten minutes before "now".
#include "kiosk/store/demo_data.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/store.hpp"

#include <doctest/doctest.h>

#include <optional>

namespace kiosk::test {

inline constexpr const char* kMathSession = "RHS-2026-WK-AM-114";

struct DemoFixture {
    domain::Timestamp now = domain::parseIso8601("2026-11-23T14:00:00Z").value();
    store::Store store = std::move(store::Store::openInMemory().value());
    explicit DemoFixture(int students = 300, std::optional<domain::Timestamp> at = std::nullopt) {
        if (at) now = *at;
        store::DemoOptions demo;
        demo.students = students;
        demo.now = now;
        REQUIRE(store::loadDemo(store, demo).ok());
    }
    domain::Clock clock() {
        return [this] { return now; };
    }
    std::vector<domain::AttendanceEvent> events(const std::string& student) {
        return store::eventsFor(store.db(), kMathSession, student).value();
    }
};

} // namespace kiosk::test
