#include "kiosk/service/projections.hpp"

#include "kiosk/store/attendance_repo.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace kiosk::service {

namespace {

// Interim site-wide folds until the domain's merge rules replace them.
struct Merged {
    domain::Attendance state;
};
Merged mergedAttendance(std::vector<domain::AttendanceEvent> events, const domain::SessionRules& rules) {
    // `events` come in the site-wide order (store::eventsFor).
    std::set<std::string> withdrawn;
    bool checkedIn = false;
    for (const auto& e : events)
        if (e.kind == domain::EventKind::Corrected) withdrawn.insert(e.correctsEventId);
    for (const auto& e : events)
        if (e.kind == domain::EventKind::CheckedIn && !withdrawn.count(e.id)) checkedIn = true;
    Merged m;
    for (const auto& e : events) {
        if (e.kind == domain::EventKind::Corrected || withdrawn.count(e.id)) continue;
        if (e.kind == domain::EventKind::NoShow && checkedIn) continue;  // a check-in anywhere beats a no-show
        (void)domain::apply(m.state, e, rules);  // a step that no longer fits the merged history is left out
    }
    return m;
}

domain::WorkEntry mergedWorkEntry(std::vector<store::WorkEventRecord> events, const domain::TaskCatalogue& catalogue) {
    domain::WorkEntry entry;
    entry.entryId = events.front().entryId;
    entry.studentId = events.front().studentId;
    for (const auto& e : events) {
        auto p = nlohmann::json::parse(e.payloadJson, nullptr, false);
        if (!p.is_object()) p = nlohmann::json::object();
        std::string reviewer = e.actor.rfind("proctor:", 0) == 0 ? e.actor.substr(8) : e.actor;
        if (e.kind == "draft_saved") {
            domain::EntryFields f{p.value("taskId", ""), p.value("date", ""), p.value("minutes", 0), p.value("place", ""),
                                  p.value("reflection", "")};
            (void)domain::saveDraft(entry, f, catalogue);
        } else if (e.kind == "submitted") {
            (void)domain::submit(entry, catalogue, e.at);
        } else if (e.kind == "approved") {
            (void)domain::approve(entry, reviewer, e.at);
        } else if (e.kind == "sent_back") {
            (void)domain::sendBack(entry, reviewer, p.value("comment", ""), e.at);
        } else if (e.kind == "rejected") {
            (void)domain::reject(entry, reviewer, p.value("comment", ""), e.at);
        }
    }
    return entry;
}

} // namespace

domain::Attendance currentAttendance(std::vector<domain::AttendanceEvent> events, const domain::SessionRules& rules) {
    return mergedAttendance(std::move(events), rules).state;
}

std::optional<std::string> rebuildAttendance(store::Store& store, const store::SessionInfo& session, const std::string& studentId,
                                             std::int64_t seq) {
    auto& db = store.db();
    auto events = store::eventsFor(db, session.sessionId, studentId);
    if (!events) return events.error().describe();
    auto merged = mergedAttendance(std::move(*events), session.rules());
    std::string key = store::studentAssessmentKey(session, studentId);
    if (auto s = store::writeAttendance(db, session.sessionId, studentId, merged.state, seq, key); !s) return s.error().describe();
    auto body = store::studentAssessmentJson(session, studentId, merged.state).dump();
    if (auto v = edsync::outbox::put(db, store::kStudentAssessments, key, body, seq); !v) return v.error().describe();
    return std::nullopt;
}

std::optional<std::string> rebuildWorkEntry(store::Store& store, const store::CatalogueDocument& catalogue, const std::string& entryId,
                                            std::int64_t seq) {
    auto& db = store.db();
    auto before = store::findWorkEntry(db, entryId);
    if (!before) return before.error().describe();
    auto events = store::workEventsFor(db, entryId);
    if (!events) return events.error().describe();
    if (events->empty()) return std::nullopt;
    domain::WorkEntry entry = mergedWorkEntry(std::move(*events), catalogue.catalogue);
    if (auto s = store::writeWorkEntry(db, entry, seq); !s) return s.error().describe();
    // The day's record follows any change of an entry that is or was approved.
    bool wasApproved = *before && (*before)->status == domain::EntryStatus::Approved;
    if (entry.status == domain::EntryStatus::Approved || wasApproved) {
        if (auto p = rebuildDayEvaluation(store, catalogue, entry.studentId, entry.date, seq)) return p;
        if (wasApproved && (*before)->date != entry.date)
            if (auto p = rebuildDayEvaluation(store, catalogue, entry.studentId, (*before)->date, seq)) return p;
    }
    return std::nullopt;
}

std::optional<std::string> rebuildDayEvaluation(store::Store& store, const store::CatalogueDocument& catalogue,
                                                const std::string& studentId, const std::string& date, std::int64_t seq) {
    auto& db = store.db();
    auto all = store::workEntriesForStudent(db, studentId);
    if (!all) return all.error().describe();
    std::vector<domain::WorkEntry> day;
    for (const auto& e : *all)
        if (e.status == domain::EntryStatus::Approved && e.date == date) day.push_back(e);
    if (day.empty()) return std::nullopt;
    // One order for every kiosk, whatever order the entries arrived in.
    std::sort(day.begin(), day.end(), [](const auto& a, const auto& b) { return a.entryId < b.entryId; });
    auto key = store::programEvaluationKey(catalogue, studentId, date);
    auto body = store::studentProgramEvaluationJson(catalogue, studentId, date, day).dump();
    if (auto v = edsync::outbox::put(db, store::kStudentProgramEvaluations, key, body, seq); !v) return v.error().describe();
    return std::nullopt;
}

} // namespace kiosk::service
