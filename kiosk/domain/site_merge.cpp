#include "kiosk/domain/site_merge.hpp"

#include "kiosk/domain/canonical_writer.hpp"
#include "kiosk/domain/merge_dedupe.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace kiosk::domain {

bool operator<(const EventKey& a, const EventKey& b) {
    return std::tie(a.hlc, a.kioskId, a.eventId) < std::tie(b.hlc, b.kioskId, b.eventId);
}
bool operator==(const EventKey& a, const EventKey& b) {
    return a.hlc == b.hlc && a.kioskId == b.kioskId && a.eventId == b.eventId;
}

EventKey keyOf(const AttendanceEvent& e) { return {e.hlc, e.kioskId, e.id}; }

namespace {

MergeConflict conflict(const std::string& id, std::string_view reason, std::string message = {}) {
    return {id, std::string(reason), std::move(message)};
}

bool wellFormedCheckIn(const AttendanceEvent& e, const SessionRules& open) {
    Attendance fresh;
    return e.kind == EventKind::CheckedIn && !apply(fresh, e, open);
}

} // namespace

SiteAttendance mergeAttendance(std::vector<AttendanceEvent> input, const SessionRules& rules) {
    SiteAttendance m;
    std::vector<AttendanceEvent> events = detail::dedupeById(input, m.conflicts);
    std::sort(events.begin(), events.end(), detail::keyLess<AttendanceEvent>);

    std::map<std::string, const AttendanceEvent*> byId;
    for (const auto& e : events) byId.emplace(e.id, &e);

    // Which correction does what is decided from the whole set first.
    std::map<std::string, std::string_view> correctionProblem;  // correction id -> reason
    std::set<std::string> withdrawn;
    for (const auto& e : events) {
        if (e.kind != EventKind::Corrected) continue;
        auto target = byId.find(e.correctsEventId);
        if (target == byId.end()) correctionProblem[e.id] = kConflictCorrectionTargetUnknown;
        else if (target->second->kind == EventKind::Corrected) correctionProblem[e.id] = kConflictCorrectionOfCorrection;
        else if (target->second->kind == EventKind::WalkInAdded) correctionProblem[e.id] = kConflictCorrectionOfWalkIn;
        else withdrawn.insert(e.correctsEventId);
    }

    SessionRules open = rules;  // as replay(): rules as they stood while the session was open
    open.signedOff = false;
    bool checkedInSomewhere = std::any_of(events.begin(), events.end(), [&](const AttendanceEvent& e) {
        return !withdrawn.count(e.id) && wellFormedCheckIn(e, open);
    });

    for (const auto& e : events) {
        if (e.kind == EventKind::Corrected) {
            if (auto p = correctionProblem.find(e.id); p != correctionProblem.end()) m.conflicts.push_back(conflict(e.id, p->second));
            continue;
        }
        if (withdrawn.count(e.id)) continue;
        if (e.kind == EventKind::NoShow && checkedInSomewhere) {
            m.conflicts.push_back(conflict(e.id, kConflictNoShowOverruled));
            continue;
        }
        if (auto refusal = apply(m.state, e, open)) {
            m.conflicts.push_back(conflict(e.id, kConflictTransitionRefused, refusal->message));
            continue;
        }
        m.applied.push_back(e.id);
    }
    m.withdrawn.assign(withdrawn.begin(), withdrawn.end());
    return m;
}

std::string canonicalText(const AttendanceEvent& e) {
    CanonicalWriter w;
    w.open('E').text(e.id).number(e.seq).text(e.kioskId).hlc(e.hlc).text(eventKindCode(e.kind)).time(e.at).text(e.proctor);
    w.text(e.idMethod ? idMethodCode(*e.idMethod) : "-").text(e.idVerifiedBy).text(e.seat).text(e.accommodation);
    w.text(e.circumstance).text(e.reason).text(e.description).time(e.occurredAt).text(e.correctsEventId);
    return std::move(w.close()).str();
}

std::string canonicalText(const Attendance& a) {
    CanonicalWriter w;
    w.open('A').text(presenceCode(a.presence)).number(a.walkIn).number(a.late).text(a.lateReason);
    w.time(a.checkedInAt).time(a.checkedOutAt).text(a.idMethod ? idMethodCode(*a.idMethod) : "-").text(a.idVerifiedBy);
    w.number(a.idRefused).text(a.seat).number(a.breaks).time(a.breakStartedAt).number(a.minutesOnBreak.count());
    w.open('D');
    for (const auto& d : a.accommodations) w.text(d.eventId).text(d.accommodation).time(d.at);
    w.close().open('I');
    for (const auto& i : a.irregularities) w.text(i.eventId).text(i.circumstance).text(i.description).time(i.occurredAt).text(i.reportedBy);
    w.close().text(a.noShowReason).number(a.eventCount);
    return std::move(w.close()).str();
}

std::string canonicalText(const std::vector<MergeConflict>& conflicts) {
    CanonicalWriter w;
    w.open('C');
    for (const auto& c : conflicts) w.text(c.eventId).text(c.reason).text(c.message);
    return std::move(w.close()).str();
}

std::string canonicalText(const SiteAttendance& m) {
    CanonicalWriter w;
    w.open('S').text(canonicalText(m.state)).open('P');
    for (const auto& id : m.applied) w.text(id);
    w.close().open('W');
    for (const auto& id : m.withdrawn) w.text(id);
    w.close().text(canonicalText(m.conflicts));
    return std::move(w.close()).str();
}

} // namespace kiosk::domain
