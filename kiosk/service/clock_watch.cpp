#include "kiosk/service/clock_watch.hpp"

#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/event_log.hpp"

#include <nlohmann/json.hpp>

namespace kiosk::service {

store::Status noteClockStep(store::Store& store, domain::Timestamp now) {
    auto last = store::lastRecordedAt(store.db(), store.kioskId());
    if (!last) return edsync::fail(last.error());
    if (!*last) return {};
    auto back = domain::clockMovedBack(**last, now);
    if (!back) return {};
    const auto seconds = static_cast<std::int64_t>(back->count());
    nlohmann::json detail{{"seconds", seconds}, {"lastEventAt", domain::formatUtc(**last)}, {"now", domain::formatUtc(now)},
                          {"note", "clock moved back by " + std::to_string(seconds) + " s"}};
    return store::appendAudit(store, now, "system", kClockMovedBack, detail.dump());
}

store::Result<ClockHealth> clockHealth(store::Database& db) {
    auto summary = store::auditActionSummary(db, kClockMovedBack);
    if (!summary) return edsync::fail(summary.error());
    ClockHealth h;
    h.movedBack = summary->count;
    if (summary->last) {
        h.lastAt = domain::parseIso8601(summary->last->at);
        auto detail = nlohmann::json::parse(summary->last->detail, nullptr, false);
        if (detail.is_object()) h.lastSeconds = detail.value("seconds", std::int64_t{0});
    }
    return h;
}

} // namespace kiosk::service
