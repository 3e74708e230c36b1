// ops-queue-records DATA_DIR [--break-out | --check-out | --withdraw STUDENT]: a proctor's morning without a
// window — opens every session in the store and checks in every student on
// its roster who has not arrived, through AttendanceService (event,
// projection and outbox row in one transaction each). With --break-out each
// checked-in student also goes on a break, and the proctor notes a fire
// alarm for them (the break alone does not change what the state receives),
// so their record reaches version 2.
// Prints "queued N". With --withdraw it does only this: a correction
// withdraws that student's check-in in every session (the sitting has nothing
// left to report, so its record is queued for deletion) and prints
// "withdrew N". With --check-out every student in the room is checked out
// (a newer version of each record) and it prints "checked out N". For the
// operations tests only.
#include "kiosk/service/attendance_service.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: ops-queue-records DATA_DIR [--break-out]\n";
        return 1;
    }
    bool breakOut = argc > 2 && std::strcmp(argv[2], "--break-out") == 0;
    auto store = kiosk::store::Store::open(std::filesystem::path(argv[1]) / "kiosk.db");
    if (!store) {
        std::cerr << "ops-queue-records: " << store.error().describe() << "\n";
        return 4;
    }
    kiosk::service::AttendanceService service(*store, kiosk::domain::systemNow);
    const std::string proctor = "Ms. Rivera";
    auto sessions = kiosk::store::listSessions(store->db());
    if (!sessions) return 4;
    if (argc > 3 && std::strcmp(argv[2], "--withdraw") == 0) {
        const std::string student = argv[3];
        int withdrawn = 0;
        for (const auto& s : *sessions) {
            auto events = kiosk::store::eventsFor(store->db(), s.sessionId, student);
            if (!events) return 4;
            for (const auto& e : *events) {
                if (e.kind != kiosk::domain::EventKind::CheckedIn) continue;
                auto r = service.correct(s.sessionId, student, proctor, e.id, "wrong student");
                if (!r.saved) {
                    std::cerr << "ops-queue-records: correction refused: " << r.message << "\n";
                    return 3;
                }
                ++withdrawn;
            }
        }
        std::cout << "withdrew " << withdrawn << "\n";
        return 0;
    }
    if (std::strcmp(argc > 2 ? argv[2] : "", "--check-out") == 0) {
        int out = 0;
        for (const auto& s : *sessions) {
            auto roster = kiosk::store::rosterForSession(store->db(), s.sessionId);
            if (!roster) return 4;
            for (const auto& row : *roster) {
                if (row.presence == kiosk::domain::Presence::OnBreak)
                    if (!service.breakIn(s.sessionId, row.student.studentUniqueId, proctor).saved) return 3;
                if (row.presence != kiosk::domain::Presence::Present && row.presence != kiosk::domain::Presence::OnBreak) continue;
                if (!service.checkOut(s.sessionId, row.student.studentUniqueId, proctor).saved) return 3;
                ++out;
            }
        }
        std::cout << "checked out " << out << "\n";
        return 0;
    }
    int queued = 0;
    for (const auto& s : *sessions) {
        if (!s.openedAt) {
            auto r = service.openSession(s.sessionId, proctor);
            if (!r.saved) {
                std::cerr << "ops-queue-records: open " << s.sessionId << ": " << r.message << "\n";
                return 3;
            }
        }
        auto roster = kiosk::store::rosterForSession(store->db(), s.sessionId);
        if (!roster) return 4;
        for (const auto& row : *roster) {
            if (row.presence != kiosk::domain::Presence::Expected) continue;
            auto r = service.checkIn(s.sessionId, row.student.studentUniqueId, proctor, {});
            if (!r.saved) {
                std::cerr << "ops-queue-records: check-in refused: " << r.message << "\n";
                return 3;
            }
            if (breakOut) {
                r = service.breakOut(s.sessionId, row.student.studentUniqueId, proctor);
                if (!r.saved) {
                    std::cerr << "ops-queue-records: break refused: " << r.message << "\n";
                    return 3;
                }
                r = service.recordIrregularity(s.sessionId, row.student.studentUniqueId, proctor,
                                               {"uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm", "Alarm test", std::nullopt});
                if (!r.saved) {
                    std::cerr << "ops-queue-records: irregularity refused: " << r.message << "\n";
                    return 3;
                }
            }
            ++queued;
        }
    }
    std::cout << "queued " << queued << "\n";
    return 0;
}
