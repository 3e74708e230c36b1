#include "kiosk/domain/work_merge.hpp"

#include "kiosk/domain/canonical_writer.hpp"
#include "kiosk/domain/merge_dedupe.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace kiosk::domain {

namespace {

constexpr std::array<std::string_view, 6> kWorkKindCodes{"draft_saved", "submitted", "approved", "sent_back", "rejected", "discarded"};

std::optional<Refusal> review(WorkEntry& entry, const WorkEvent& e) {
    std::optional<Refusal> r;
    if (e.kind == WorkEventKind::Approved) r = approve(entry, e.reviewer, e.at);
    else if (e.kind == WorkEventKind::SentBack) r = sendBack(entry, e.reviewer, e.comment, e.at);
    else r = reject(entry, e.reviewer, e.comment, e.at);
    if (!r) entry.reviewerStaffId = e.reviewerStaffId;
    return r;
}

std::optional<Refusal> step(WorkEntry& entry, const WorkEvent& e, const TaskCatalogue& catalogue) {
    switch (e.kind) {
    case WorkEventKind::DraftSaved: return saveDraft(entry, e.fields, catalogue);
    case WorkEventKind::Submitted: return submit(entry, catalogue, e.at);
    case WorkEventKind::Discarded: return discard(entry);
    case WorkEventKind::Approved:
    case WorkEventKind::SentBack:
    case WorkEventKind::Rejected: return review(entry, e);
    }
    return refuse("Unknown step.");
}

void sortByKey(std::vector<WorkEvent>& events) {
    std::sort(events.begin(), events.end(), detail::keyLess<WorkEvent>);
}

} // namespace

std::string_view workEventKindCode(WorkEventKind k) { return kWorkKindCodes[static_cast<std::size_t>(k)]; }

std::optional<WorkEventKind> workEventKindFromCode(std::string_view code) {
    for (std::size_t i = 0; i < kWorkKindCodes.size(); ++i)
        if (kWorkKindCodes[i] == code) return static_cast<WorkEventKind>(i);
    return std::nullopt;
}

EventKey keyOf(const WorkEvent& e) { return {e.hlc, e.kioskId, e.id}; }

WorkEntryMerge mergeWorkEntry(std::vector<WorkEvent> input, const TaskCatalogue& catalogue) {
    WorkEntryMerge m;
    std::vector<WorkEvent> events = detail::dedupeById(input, m.conflicts);
    if (events.empty()) return m;
    sortByKey(events);

    WorkEntry entry;
    entry.entryId = events.front().entryId;
    entry.studentId = events.front().studentId;
    for (const auto& e : events) {
        if (e.entryId != entry.entryId) {
            m.conflicts.push_back({e.id, std::string(kConflictEntryMismatch), {}});
            continue;
        }
        if (e.studentId != entry.studentId) {
            m.conflicts.push_back({e.id, std::string(kConflictStudentMismatch), {}});
            continue;
        }
        WorkEntry next = entry;
        if (auto refusal = step(next, e, catalogue)) {
            m.conflicts.push_back({e.id, std::string(kConflictTransitionRefused), refusal->message});
            continue;
        }
        entry = std::move(next);
        m.applied.push_back(e.id);
    }
    if (!m.applied.empty()) m.entry = std::move(entry);
    return m;
}

WorkMerge mergeWorkEvents(std::vector<WorkEvent> events, const TaskCatalogue& catalogue) {
    std::map<std::string, std::vector<WorkEvent>> byEntry;
    for (auto& e : events) byEntry[e.entryId].push_back(std::move(e));
    WorkMerge out;
    for (auto& group : byEntry) {
        WorkEntryMerge one = mergeWorkEntry(std::move(group.second), catalogue);
        if (one.entry) out.entries.push_back(std::move(*one.entry));
        for (auto& c : one.conflicts) out.conflicts.push_back(std::move(c));
    }
    return out;
}

DayEvaluation dayEvaluation(const std::vector<WorkEntry>& entries, std::string_view studentId, std::string_view date) {
    DayEvaluation d;
    d.studentId = std::string(studentId);
    d.date = std::string(date);
    std::map<std::string, std::pair<std::string, const WorkEntry*>> byId;  // entry id -> (text, entry)
    for (const auto& e : entries) {
        if (e.status != EntryStatus::Approved || e.studentId != studentId || e.date != date) continue;
        std::string text = canonicalText(e);
        auto [it, fresh] = byId.try_emplace(e.entryId, text, &e);
        if (!fresh && text < it->second.first) it->second = {std::move(text), &e};
    }
    const WorkEntry* latest = nullptr;
    for (const auto& item : byId) {
        const WorkEntry& e = *item.second.second;
        d.approved.push_back(e);
        d.minutesByTask[e.taskId] += e.minutes;
        d.totalMinutes += e.minutes;
        // Entries come by id, so on equal times the greater id wins.
        if (!latest || e.reviewedAt >= latest->reviewedAt) latest = &e;
    }
    // The state's id only: a kiosk's local proctor ID is never sent as one.
    if (latest) d.evaluator = latest->reviewerStaffId;
    return d;
}

std::vector<std::pair<std::string, std::string>> evaluationDays(const std::vector<WorkEntry>& entries) {
    std::set<std::pair<std::string, std::string>> days;
    for (const auto& e : entries)
        if (e.status == EntryStatus::Approved) days.emplace(e.studentId, e.date);
    return {days.begin(), days.end()};
}

std::string canonicalText(const WorkEvent& e) {
    CanonicalWriter w;
    w.open('V').text(e.id).text(e.kioskId).hlc(e.hlc).text(e.entryId).text(e.studentId).text(workEventKindCode(e.kind));
    w.text(e.reviewer).time(e.at).text(e.fields.taskId).text(e.fields.date).number(e.fields.minutes).text(e.fields.place);
    w.text(e.fields.reflection).text(e.comment).text(e.reviewerStaffId);
    return std::move(w.close()).str();
}

std::string canonicalText(const WorkEntry& e) {
    CanonicalWriter w;
    w.open('N').text(e.entryId).text(e.studentId).text(e.taskId).text(e.date).number(e.minutes).text(e.place).text(e.reflection);
    w.text(entryStatusCode(e.status)).text(e.reviewer).text(e.reviewerComment).time(e.reviewedAt).text(e.reviewerStaffId);
    return std::move(w.close()).str();
}

std::string canonicalText(const WorkEntryMerge& m) {
    CanonicalWriter w;
    w.open('M').text(m.entry ? canonicalText(*m.entry) : std::string("-")).open('P');
    for (const auto& id : m.applied) w.text(id);
    w.close().text(canonicalText(m.conflicts));
    return std::move(w.close()).str();
}

std::string canonicalText(const WorkMerge& m) {
    CanonicalWriter w;
    w.open('K');
    for (const auto& e : m.entries) w.text(canonicalText(e));
    w.text(canonicalText(m.conflicts));
    return std::move(w.close()).str();
}

std::string canonicalText(const DayEvaluation& d) {
    CanonicalWriter w;
    w.open('Y').text(d.studentId).text(d.date).open('E');
    for (const auto& e : d.approved) w.text(canonicalText(e));
    w.close().open('T');
    for (const auto& t : d.minutesByTask) w.text(t.first).number(t.second);
    w.close().number(d.totalMinutes).text(d.evaluator);
    return std::move(w.close()).str();
}

} // namespace kiosk::domain
