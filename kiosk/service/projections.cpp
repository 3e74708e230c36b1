#include "kiosk/service/projections.hpp"

#include "kiosk/domain/descriptors.hpp"
#include "kiosk/domain/site_merge.hpp"
#include "kiosk/domain/work_merge.hpp"
#include "kiosk/store/attendance_repo.hpp"
#include "kiosk/store/descriptor_map.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "kiosk/store/event_log.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kiosk::service {

namespace {

// A stored work event as the domain's merge reads it.
domain::WorkEvent toDomain(const store::WorkEventRecord& r) {
    domain::WorkEvent e;
    e.id = r.eventId;
    e.kioskId = r.kioskId;
    e.hlc = domain::parseHlc(r.hlc).value_or(domain::Hlc{std::max<std::int64_t>(0, r.at.time_since_epoch().count()),
                                                          static_cast<std::uint32_t>(r.seq & 0xffffffff)});
    e.entryId = r.entryId;
    e.studentId = r.studentId;
    e.kind = domain::workEventKindFromCode(r.kind).value_or(domain::WorkEventKind::DraftSaved);
    e.reviewer = r.actor.rfind("proctor:", 0) == 0 ? r.actor.substr(8) : r.actor;
    e.at = r.at;
    auto p = nlohmann::json::parse(r.payloadJson, nullptr, false);
    if (p.is_object()) {
        auto text = [&](const char* k) { return p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : std::string(); };
        e.fields = {text("taskId"), text("date"), p.contains("minutes") && p["minutes"].is_number_integer() ? p["minutes"].get<int>() : 0,
                    text("place"), text("reflection")};
        e.comment = text("comment");
        e.reviewerStaffId = text("staffUniqueId");
    }
    return e;
}

} // namespace

domain::Attendance currentAttendance(std::vector<domain::AttendanceEvent> events, const domain::SessionRules& rules) {
    return domain::mergeAttendance(std::move(events), rules).state;
}

std::optional<std::string> rebuildAttendance(store::Store& store, const domain::SessionInfo& session, const std::string& studentId,
                                             std::int64_t seq) {
    return rebuildAttendance(store.db(), session, studentId, seq);
}

std::optional<std::string> rebuildAttendance(store::Database& db, const domain::SessionInfo& session, const std::string& studentId,
                                             std::int64_t seq) {
    auto events = store::eventsFor(db, session.sessionId, studentId);
    if (!events) return events.error().describe();
    auto merged = domain::mergeAttendance(std::move(*events), session.rules());
    std::string key = store::studentAssessmentKey(session, studentId);
    // A roster correction re-pointed the session to another assessment: the
    // sitting's record moves, it is not doubled. The state's old record goes
    // (a deletion like any other, by its own identity); the new one follows.
    auto previous = store::attendanceEdfiKey(db, session.sessionId, studentId);
    if (!previous) return previous.error().describe();
    if (!previous->empty() && *previous != key) {
        auto kept = edsync::outbox::keptRecord(db, store::kStudentAssessments, *previous);
        if (!kept) return kept.error().describe();
        if (*kept && (*kept)->upsert) {
            auto old = nlohmann::json::parse((*kept)->identityOrBody, nullptr, false);
            nlohmann::json identity = nlohmann::json::object();
            for (const char* member : {"studentAssessmentIdentifier", "assessmentReference", "studentReference"})
                if (old.is_object() && old.contains(member)) identity[member] = old[member];
            if (auto v = edsync::outbox::putDeletion(db, store::kStudentAssessments, *previous, identity.dump(), seq); !v)
                return v.error().describe();
        }
    }
    if (auto s = store::writeAttendance(db, session.sessionId, studentId, merged.state, seq, key); !s) return s.error().describe();
    if (!store::hasSomethingToReport(merged.state)) {
        // Nothing left to report (a correction withdrew the only check-in): the
        // state's record goes too, as an outbox entry like any other. A sitting
        // never queued has nothing at the state and sends nothing (its
        // withdrawal is kept settled: outbox::putDeletion).
        auto identity = store::studentAssessmentIdentity(session, studentId).dump();
        if (auto v = edsync::outbox::putDeletion(db, store::kStudentAssessments, key, identity, seq); !v) return v.error().describe();
        return std::nullopt;
    }
    auto descriptors = store::loadDescriptorMap(db);
    if (!descriptors) return descriptors.error().describe();
    auto body = store::studentAssessmentJson(session, studentId, merged.state, *descriptors).dump();
    auto identity = store::studentAssessmentIdentity(session, studentId).dump();
    if (auto v = edsync::outbox::put(db, store::kStudentAssessments, key, body, seq, identity); !v) return v.error().describe();
    return std::nullopt;
}

std::optional<std::string> reprojectSittingsNaming(store::Database& db, const std::vector<std::string>& kioskUris) {
    // A circumstance is kept as its URI, a no-show reason as its code.
    std::vector<std::string> values;
    for (const std::string& uri : kioskUris) {
        values.push_back(uri);
        values.emplace_back(domain::descriptorCodeValue(uri));
    }
    auto sittings = store::sittingsNaming(db, values);
    if (!sittings) return sittings.error().describe();
    for (const store::SittingRef& s : *sittings) {
        auto session = store::findSession(db, s.sessionId);
        if (!session) return session.error().describe();
        if (!*session) continue;
        // Its own sequence again: the record keeps its place in the queue.
        if (auto p = rebuildAttendance(db, **session, s.studentId, s.lastSeq)) return p;
    }
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
    std::vector<domain::WorkEvent> merged;
    merged.reserve(events->size());
    for (const auto& r : *events)
        if (domain::workEventKindFromCode(r.kind)) merged.push_back(toDomain(r));  // a kind from a newer build stays in the log
    auto folded = domain::mergeWorkEntry(std::move(merged), catalogue.catalogue);
    if (!folded.entry) return std::nullopt;
    const domain::WorkEntry& entry = *folded.entry;
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
    auto day = domain::dayEvaluation(*all, studentId, date);
    auto key = store::programEvaluationKey(catalogue, studentId, date);
    auto identity = store::studentProgramEvaluationIdentity(catalogue, studentId, date).dump();
    if (day.approved.empty()) {
        // Nothing approved that day any more (the site's merge left an
        // approval out, or the entry moved to another day): the state's
        // record goes too. A day never queued sends nothing.
        if (auto v = edsync::outbox::putDeletion(db, store::kStudentProgramEvaluations, key, identity, seq); !v)
            return v.error().describe();
        return std::nullopt;
    }
    auto body = store::studentProgramEvaluationJson(catalogue, day).dump();
    if (auto v = edsync::outbox::put(db, store::kStudentProgramEvaluations, key, body, seq, identity); !v) return v.error().describe();
    return std::nullopt;
}

std::optional<std::string> rebuildFromStateNews(store::Store& store, const store::CatalogueDocument* catalogue, std::string_view resource,
                                                std::string_view naturalKey, std::string_view body) {
    if (resource != store::kStudentProgramEvaluations || !catalogue) return std::nullopt;
    auto& db = store.db();
    auto kept = edsync::outbox::keptRecord(db, resource, naturalKey);
    if (!kept) return kept.error().describe();
    if (*kept) return std::nullopt;  // a row here: put() and putDeletion() settle it against the news
    auto doc = nlohmann::json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("evaluationDate") || !doc["evaluationDate"].is_string()) return std::nullopt;
    const auto ref = doc.find("studentReference");
    if (ref == doc.end() || !ref->is_object() || !ref->contains("studentUniqueId") || !(*ref)["studentUniqueId"].is_string())
        return std::nullopt;
    const std::string studentId = (*ref)["studentUniqueId"].get<std::string>();
    const std::string date = doc["evaluationDate"].get<std::string>();
    if (store::programEvaluationKey(*catalogue, studentId, date) != naturalKey) return std::nullopt;
    // Only an entry of that day the merge closed without approval says the
    // state's record should go; one still awaiting review says this kiosk
    // has not yet heard of its approval.
    auto entries = store::workEntriesForStudent(db, studentId);
    if (!entries) return entries.error().describe();
    using S = domain::EntryStatus;
    const bool closed = std::any_of(entries->begin(), entries->end(), [&](const domain::WorkEntry& e) {
        return e.date == date && (e.status == S::Rejected || e.status == S::Discarded || e.status == S::SentBack);
    });
    if (!closed) return std::nullopt;
    auto seq = store.nextSeq();
    if (!seq) return seq.error().describe();
    return rebuildDayEvaluation(store, *catalogue, studentId, date, *seq);
}

} // namespace kiosk::service
