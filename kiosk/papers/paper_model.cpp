#include "kiosk/papers/paper_model.hpp"

#include "kiosk/store/audit_log.hpp"

#include "kiosk/domain/descriptors.hpp"
#include "kiosk/service/session_queries.hpp"
#include "kiosk/store/event_log.hpp"

#include <algorithm>

namespace kiosk::papers {

namespace {

std::string presenceLabel(domain::Presence p) {
    switch (p) {
    case domain::Presence::Expected: return "not arrived";
    case domain::Presence::Present: return "present";
    case domain::Presence::OnBreak: return "on break";
    case domain::Presence::CheckedOut: return "checked out";
    case domain::Presence::NoShow: return "no-show";
    }
    return {};
}

PaperHeader headerFor(store::Store& store, const domain::SessionInfo& info, const LocalClock& clock) {
    PaperHeader h;
    h.siteName = store.siteName().empty() ? store.siteId() : store.siteName();
    h.sessionName = info.title;
    h.sessionId = info.sessionId;
    h.assessment = info.assessmentIdentifier;
    h.room = info.room;
    h.date = localLongDate(info.scheduledStart, clock);
    h.scheduledStart = localClock(info.scheduledStart, clock);
    h.printedAt = localDateTime(clock.now, clock);
    // On paper, out of reach of whoever holds the machine: a later rewrite of the chain shows.
    if (auto head = store::printableAuditHead(store.db())) h.auditHead = *head;
    return h;
}

RosterLine lineFor(const domain::RosterRow& row, const LocalClock& clock) {
    return {row.student.displayName(), row.student.studentUniqueId, row.seat, localClock(row.checkedInAt, clock),
            localClock(row.checkedOutAt, clock), presenceLabel(row.presence)};
}

void placeSeats(SessionPapers& papers) {
    for (const auto& line : papers.roster) (line.seat.empty() ? papers.unseated : papers.seated).push_back(line);
    std::stable_sort(papers.seated.begin(), papers.seated.end(),
                     [](const RosterLine& a, const RosterLine& b) { return seatBefore(a.seat, b.seat); });
}

// Each student's irregularities, as the session report replays them.
store::Status addIrregularities(store::Store& store, const service::SessionSnapshot& snap, const LocalClock& clock,
                                SessionPapers& papers) {
    if (snap.counts.irregularities == 0) return {};
    for (const auto& row : snap.roster) {
        auto events = store::eventsFor(store.db(), snap.info.sessionId, row.student.studentUniqueId);
        if (!events) return edsync::fail(events.error());
        for (const auto& i : domain::replay(*events, snap.info.rules()).state.irregularities)
            papers.irregularities.push_back({row.student.displayName(), row.student.studentUniqueId,
                                             std::string(domain::descriptorCodeValue(i.circumstance)), localClock(i.occurredAt, clock),
                                             i.description, i.reportedBy, i.occurredAt});
    }
    std::stable_sort(papers.irregularities.begin(), papers.irregularities.end(),
                     [](const IrregularityLine& a, const IrregularityLine& b) { return a.occurredAt < b.occurredAt; });
    return {};
}

std::size_t digitRun(const std::string& s, std::size_t i) {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i;
}

// Compares numbers written as digit runs: fewer significant digits is smaller.
int compareNumbers(std::string_view a, std::string_view b) {
    while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
    while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b);
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

} // namespace

bool seatBefore(const std::string& a, const std::string& b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (isDigit(a[i]) && isDigit(b[j])) {
            std::size_t ei = digitRun(a, i), ej = digitRun(b, j);
            if (int c = compareNumbers(std::string_view(a).substr(i, ei - i), std::string_view(b).substr(j, ej - j)); c != 0) return c < 0;
            i = ei;
            j = ej;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i;
            ++j;
        }
    }
    if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
    return a < b;  // "A01" and "A1": still a total order
}

store::Result<SessionPapers> buildSessionPapers(store::Store& store, const std::string& sessionId, const LocalClock& clock) {
    service::SessionQueries queries(store);
    auto snap = queries.session(sessionId);
    if (!snap) return edsync::fail(snap.error());
    SessionPapers papers;
    papers.header = headerFor(store, snap->info, clock);
    for (const auto& row : snap->roster) papers.roster.push_back(lineFor(row, clock));
    placeSeats(papers);
    if (auto s = addIrregularities(store, *snap, clock, papers); !s) return edsync::fail(s.error());
    if (snap->info.signedOffAt) {
        papers.signedOffBy = snap->info.signedOffBy;
        papers.signedOffAt = localDateTime(*snap->info.signedOffAt, clock);
    }
    return papers;
}

} // namespace kiosk::papers
