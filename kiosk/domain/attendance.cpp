#include "kiosk/domain/attendance.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace kiosk::domain {

namespace {

constexpr std::array<std::string_view, 5> kPresenceCodes{"expected", "present", "on_break", "checked_out", "no_show"};
constexpr std::array<std::string_view, 11> kKindCodes{
    "checked_in", "id_checked", "seat_assigned", "break_out", "break_in", "accommodation_delivered",
    "irregularity", "checked_out", "no_show", "walk_in_added", "corrected",
};

bool arrived(Presence p) { return p == Presence::Present || p == Presence::OnBreak || p == Presence::CheckedOut; }

} // namespace

std::string_view presenceCode(Presence p) { return kPresenceCodes[static_cast<std::size_t>(p)]; }
std::string_view eventKindCode(EventKind k) { return kKindCodes[static_cast<std::size_t>(k)]; }

std::optional<EventKind> eventKindFromCode(std::string_view code) {
    for (std::size_t i = 0; i < kKindCodes.size(); ++i)
        if (kKindCodes[i] == code) return static_cast<EventKind>(i);
    return std::nullopt;
}

bool isLate(Timestamp arrival, const SessionRules& rules) { return arrival > rules.scheduledStart + rules.lateAfter; }
bool noShowAllowed(Timestamp now, const SessionRules& rules) { return now >= rules.scheduledStart + rules.noShowAfter; }

std::optional<int> Attendance::assessedMinutes() const {
    if (!checkedInAt || !checkedOutAt) return std::nullopt;
    auto total = std::chrono::duration_cast<Minutes>(*checkedOutAt - *checkedInAt) - minutesOnBreak;
    return static_cast<int>(std::max<Minutes::rep>(0, total.count()));
}

bool Attendance::checkOutBeforeCheckIn() const { return checkedInAt && checkedOutAt && *checkedOutAt < *checkedInAt; }

std::optional<Timestamp> Attendance::endForState() const {
    if (!checkedOutAt) return std::nullopt;
    return checkOutBeforeCheckIn() ? *checkedInAt : *checkedOutAt;
}

std::optional<Refusal> apply(Attendance& s, const AttendanceEvent& e, const SessionRules& rules) {
    if (rules.signedOff) return refuse("This session has been signed off; nothing more can be recorded in it.");

    Attendance next = s;
    switch (e.kind) {
    case EventKind::WalkInAdded:
        if (s.eventCount > 0) return refuse("This student already has entries in this session.");
        next.walkIn = true;
        break;
    case EventKind::CheckedIn:
        if (s.presence == Presence::NoShow)
            return refuse("This student was marked as a no-show. Correct the no-show entry first, then check them in.");
        if (s.presence != Presence::Expected) return refuse("This student is already checked in.");
        if (!e.idMethod) return refuse("Record how the student's ID was verified before checking them in.");
        if (!idAccepted(*e.idMethod))
            return refuse("The ID was refused or did not match, so the student cannot be checked in. Record the ID check instead; it is kept.");
        if (e.idVerifiedBy.empty()) return refuse("Record who verified the student's ID.");
        next.presence = Presence::Present;
        next.checkedInAt = e.at;
        next.late = isLate(e.at, rules);
        next.lateReason = e.reason;
        next.idMethod = e.idMethod;
        next.idVerifiedBy = e.idVerifiedBy;
        if (!e.seat.empty()) next.seat = e.seat;
        break;
    case EventKind::IdChecked:
        if (!e.idMethod) return refuse("Choose how the ID was checked.");
        if (e.idVerifiedBy.empty()) return refuse("Record who checked the student's ID.");
        if (s.presence == Presence::CheckedOut || s.presence == Presence::NoShow)
            return refuse("This student is no longer in the session.");
        next.idMethod = e.idMethod;
        next.idVerifiedBy = e.idVerifiedBy;
        if (!idAccepted(*e.idMethod)) next.idRefused = true;
        break;
    case EventKind::SeatAssigned:
        if (e.seat.empty()) return refuse("Enter a seat.");
        if (s.presence != Presence::Present && s.presence != Presence::OnBreak)
            return refuse("Check the student in before assigning a seat.");
        next.seat = e.seat;
        break;
    case EventKind::BreakOut:
        if (s.presence == Presence::OnBreak) return refuse("This student is already on a break.");
        if (s.presence != Presence::Present) return refuse("Only a checked-in student can go on a break.");
        next.presence = Presence::OnBreak;
        next.breaks += 1;
        next.breakStartedAt = e.at;
        break;
    case EventKind::BreakIn:
        if (s.presence != Presence::OnBreak) return refuse("This student is not on a break.");
        next.presence = Presence::Present;
        if (s.breakStartedAt && e.at > *s.breakStartedAt)
            next.minutesOnBreak += std::chrono::duration_cast<Minutes>(e.at - *s.breakStartedAt);
        next.breakStartedAt.reset();
        break;
    case EventKind::AccommodationDelivered:
        if (e.accommodation.empty()) return refuse("Choose the accommodation that was delivered.");
        if (!arrived(s.presence)) return refuse("Check the student in before recording accommodations.");
        if (std::any_of(s.accommodations.begin(), s.accommodations.end(),
                        [&](const DeliveredAccommodation& a) { return a.accommodation == e.accommodation; }))
            return refuse("That accommodation is already recorded for this student.");
        next.accommodations.push_back({e.id, e.accommodation, e.at});
        break;
    case EventKind::Irregularity: {
        if (e.circumstance.empty()) return refuse("Choose the kind of irregularity.");
        auto kinds = eventCircumstances();
        bool known = e.circumstance.rfind(kEventCircumstanceNs, 0) == 0 &&
                     std::find(kinds.begin(), kinds.end(), descriptorCodeValue(e.circumstance)) != kinds.end();
        if (!known) return refuse("That kind of irregularity is not one the state accepts; choose one from the list.");
        if (e.description.empty()) return refuse("Describe what happened.");
        if (e.description.size() > kMaxDescriptionBytes) return refuse("The description is too long; keep it under 1,000 characters.");
        if (!arrived(s.presence)) return refuse("Irregularities are recorded for students who have arrived.");
        next.irregularities.push_back({e.id, e.circumstance, e.description, e.occurredAt.value_or(e.at), e.proctor});
        break;
    }
    case EventKind::CheckedOut:
        if (s.presence == Presence::OnBreak) return refuse("This student is on a break. Record the return first.");
        if (s.presence == Presence::CheckedOut) return refuse("This student is already checked out.");
        if (s.presence != Presence::Present) return refuse("This student has not been checked in.");
        next.presence = Presence::CheckedOut;
        next.checkedOutAt = e.at;
        break;
    case EventKind::NoShow:
        if (s.presence == Presence::NoShow) return refuse("This student is already marked as a no-show.");
        if (s.presence != Presence::Expected) return refuse("This student has arrived, so cannot be a no-show.");
        if (!noShowAllowed(e.at, rules)) return refuse("No-shows can be marked only from the cut-off time.");
        if (!e.reason.empty()) {
            auto reasons = reasonsNotTested();
            if (std::find(reasons.begin(), reasons.end(), e.reason) == reasons.end())
                return refuse("That reason is not one the state accepts; choose one from the list.");
        }
        next.presence = Presence::NoShow;
        next.noShowReason = e.reason.empty() ? std::string("Absent") : e.reason;
        break;
    case EventKind::Corrected:
        return refuse("A correction is applied by replaying the history, not as a step.");
    }
    next.eventCount = s.eventCount + 1;
    s = std::move(next);
    return std::nullopt;
}

Replay replay(std::vector<AttendanceEvent> events, const SessionRules& rules) {
    std::sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    std::set<std::string> withdrawn;
    for (const auto& e : events)
        if (e.kind == EventKind::Corrected) withdrawn.insert(e.correctsEventId);

    // Rules are checked as they stood: sign-off only blocks what comes after it.
    SessionRules open = rules;
    open.signedOff = false;
    Replay r;
    for (const auto& e : events) {
        if (e.kind == EventKind::Corrected || withdrawn.count(e.id)) continue;
        if (auto refusal = apply(r.state, e, open)) {
            r.refusal = refuse("That would leave the record inconsistent: {reason}", {{"reason", refusal->message}});
            return r;
        }
    }
    return r;
}

std::vector<HistoryItem> history(const std::vector<AttendanceEvent>& events) {
    std::set<std::string> withdrawn;
    for (const auto& e : events)
        if (e.kind == EventKind::Corrected) withdrawn.insert(e.correctsEventId);
    std::vector<HistoryItem> out;
    out.reserve(events.size());
    for (const auto& e : events) out.push_back({e, withdrawn.count(e.id) > 0});
    return out;
}

} // namespace kiosk::domain
