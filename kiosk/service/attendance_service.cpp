#include "kiosk/service/attendance_service.hpp"

#include "kiosk/domain/text_fold.hpp"
#include "kiosk/service/clock_watch.hpp"
#include "kiosk/service/projections.hpp"
#include "kiosk/service/security_service.hpp"
#include "kiosk/store/attendance_repo.hpp"
#include "kiosk/store/audit_log.hpp"
#include "kiosk/store/edfi_mapping.hpp"
#include "kiosk/store/event_log.hpp"
#include "kiosk/store/roster_repo.hpp"
#include "sync/outbox/outbox.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kiosk::service {

using domain::AttendanceEvent;
using domain::EventKind;
using edsync::sqlite::Transaction;

AttendanceService::AttendanceService(store::Store& store, domain::Clock clock) : m_store(store), m_clock(std::move(clock)) {}

void AttendanceService::committed() {
    if (m_onCommitted) m_onCommitted();
}

std::optional<std::string> AttendanceService::writeStudentState(const domain::SessionInfo& session, const std::string& studentId,
                                                                const AttendanceEvent& written) {
    if (written.kind == EventKind::Corrected) {
        // A correction must leave a history that still makes sense here.
        auto events = store::eventsFor(m_store.db(), session.sessionId, studentId);
        if (!events) return events.error().describe();
        if (auto result = domain::replay(*events, session.rules()); result.refusal) return result.refusal->message;
    }
    if (auto s = m_store.shareAttendanceFact(written.id); !s) return s.error().describe();
    return rebuildAttendance(m_store, session, studentId, written.seq);
}

ActionResult AttendanceService::record(const std::string& sessionId, const std::string& studentId, AttendanceEvent draft,
                                       const Prepare& before) {
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return ActionResult::failed(tx.error().describe());
    auto session = store::findSession(db, sessionId);
    if (!session) return ActionResult::failed(session.error().describe());
    if (!*session) return ActionResult::refused("That session is not on this kiosk.");
    domain::SessionInfo& info = **session;
    if (info.signedOffAt) return ActionResult::refused("This session has been signed off; nothing more can be recorded in it.");
    if (auto problem = openWithFirstRecord(info, draft.proctor, m_clock())) return ActionResult::refused(*problem);
    if (before)
        if (auto problem = before()) return ActionResult::refused(*problem);

    auto reg = store::findRegistration(db, sessionId, studentId);
    if (!reg) return ActionResult::failed(reg.error().describe());
    if (!*reg) return ActionResult::refused("This student is not on this session's roster. Add them as a walk-in instead.");
    auto events = store::eventsFor(db, sessionId, studentId);
    if (!events) return ActionResult::failed(events.error().describe());
    auto seq = m_store.nextSeq();
    if (!seq) return ActionResult::failed(seq.error().describe());

    domain::Timestamp now = m_clock();
    draft.id = store::uuidV7(now);
    draft.seq = *seq;
    draft.at = now;

    if (draft.kind != EventKind::Corrected) {
        // Check the step against the current state for a plain message.
        domain::Attendance current = currentAttendance(*events, info.rules());
        if (auto refusal = domain::apply(current, draft, info.rules())) return ActionResult::refused(*refusal);
    }

    // The offset the zone's rules give at the event's own time, not at this process's start or the system's "now".
    store::EventContext ctx{m_store.kioskId(), m_store.siteId(), sessionId, studentId, store::localUtcOffsetMinutes(now)};
    if (auto s = noteClockStep(m_store, now); !s) return ActionResult::failed(s.error().describe());
    if (auto s = store::appendEvent(db, ctx, draft, m_store.nextHlc(now.time_since_epoch().count())); !s)
        return ActionResult::failed(s.error().describe());
    if (auto problem = writeStudentState(info, studentId, draft)) return ActionResult::refused(*problem);
    if (draft.kind == EventKind::Corrected) {
        // A withdrawn entry is exactly what an auditor looks for: it joins the hash chain too.
        nlohmann::json detail{{"session", sessionId}, {"student", studentId}, {"withdrawn", draft.correctsEventId}, {"reason", draft.reason}};
        if (auto s = store::appendAudit(m_store, now, "proctor:" + draft.proctor, "attendance.corrected", detail.dump()); !s)
            return ActionResult::failed(s.error().describe());
    }
    if (auto s = tx->commit(); !s) return ActionResult::failed(s.error().describe());
    committed();
    return ActionResult::ok(draft.id);
}

ActionResult AttendanceService::sessionEvent(const std::string& sessionId, const std::string& proctor, std::string_view kind,
                                             const SessionStep& step) {
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return ActionResult::failed(tx.error().describe());
    auto session = store::findSession(db, sessionId);
    if (!session) return ActionResult::failed(session.error().describe());
    if (!*session) return ActionResult::refused("That session is not on this kiosk.");
    domain::Timestamp now = m_clock();
    // The step checks what it must and writes its own rows, all in this transaction.
    if (auto problem = step(**session, now)) return ActionResult::refused(*problem);
    auto id = appendSessionEvent(sessionId, proctor, kind, now);
    if (!id) return ActionResult::failed(id.error());
    if (auto s = tx->commit(); !s) return ActionResult::failed(s.error().describe());
    return ActionResult::ok(*id);
}

edsync::Result<std::string, std::string> AttendanceService::appendSessionEvent(const std::string& sessionId, const std::string& proctor,
                                                                              std::string_view kind, domain::Timestamp now) {
    auto seq = m_store.nextSeq();
    if (!seq) return edsync::fail(seq.error().describe());
    std::string id = store::uuidV7(now);
    store::EventContext ctx{m_store.kioskId(), m_store.siteId(), sessionId, std::nullopt, store::localUtcOffsetMinutes(now)};
    if (auto s = noteClockStep(m_store, now); !s) return edsync::fail(s.error().describe());
    if (auto s = store::appendSessionEvent(m_store.db(), ctx, kind, *seq, id, now, proctor, m_store.nextHlc(now.time_since_epoch().count())); !s)
        return edsync::fail(s.error().describe());
    if (auto s = m_store.shareAttendanceFact(id); !s) return edsync::fail(s.error().describe());
    return id;
}

std::optional<std::string> AttendanceService::openWithFirstRecord(domain::SessionInfo& info, const std::string& proctor, domain::Timestamp now) {
    if (info.openedAt) return std::nullopt;
    if (proctor.empty()) return "Enter the proctor's name to open the session.";
    if (auto s = store::markSessionOpened(m_store.db(), info.sessionId, now, proctor); !s) return s.error().describe();
    if (auto id = appendSessionEvent(info.sessionId, proctor, store::kSessionOpened, now); !id) return id.error();
    info.openedAt = now;
    return std::nullopt;
}

ActionResult AttendanceService::openSession(const std::string& sessionId, const std::string& proctor) {
    if (proctor.empty()) return ActionResult::refused("Enter the proctor's name to open the session.");
    return sessionEvent(sessionId, proctor, store::kSessionOpened,
                        [&](const domain::SessionInfo& info, domain::Timestamp now) -> std::optional<std::string> {
                            if (info.signedOffAt) return "This session has been signed off; it can be viewed, not changed.";
                            if (auto s = store::markSessionOpened(m_store.db(), sessionId, now, proctor); !s) return s.error().describe();
                            return std::nullopt;
                        });
}

namespace {

// Why the session cannot be signed off yet, or nothing: everyone is accounted for.
std::optional<std::string> notYetAccountedFor(const domain::SessionCounts& counts) {
    if (int inRoom = counts.present + counts.onBreak; inRoom > 0)
        return std::to_string(inRoom) + " student(s) are still checked in or on a break. Check them out first.";
    if (counts.expected > 0) return std::to_string(counts.expected) + " student(s) have not arrived. Mark them as no-shows first.";
    return std::nullopt;
}

} // namespace

ActionResult AttendanceService::signOff(const std::string& sessionId, SecurityService& security, const std::string& proctorId,
                                        const std::string& pin) {
    if (proctorId.empty()) return ActionResult::refused("Sign in as a proctor to sign the session off.");
    // Refusals that need no PIN come first: a PIN typed for nothing is not a try.
    {
        auto session = store::findSession(m_store.db(), sessionId);
        if (!session) return ActionResult::failed(session.error().describe());
        if (!*session) return ActionResult::refused("That session is not on this kiosk.");
        if ((*session)->signedOffAt) return ActionResult::refused("This session is already signed off.");
        auto counts = store::countsForSession(m_store.db(), sessionId);
        if (!counts) return ActionResult::failed(counts.error().describe());
        if (auto missing = notYetAccountedFor(*counts)) return ActionResult::refused(*missing);
    }
    auto signer = security.checkProctorPin(proctorId, pin, "sign_off", sessionId);
    if (!signer.ok)
        return ActionResult::refused(signer.sentence.pattern.empty() ? domain::refuse(signer.message) : domain::Refusal{signer.message, signer.sentence});
    const std::string proctor = signer.proctorName.empty() ? proctorId : signer.proctorName;
    return sessionEvent(sessionId, proctor, store::kSessionSignedOff,
                        [&](const domain::SessionInfo& info, domain::Timestamp now) -> std::optional<std::string> {
                            auto& db = m_store.db();
                            // Checked again inside the write: another station may have acted meanwhile.
                            if (info.signedOffAt) return "This session is already signed off.";
                            auto counts = store::countsForSession(db, sessionId);
                            if (!counts) return counts.error().describe();
                            if (auto missing = notYetAccountedFor(*counts)) return missing;
                            if (auto s = store::markSessionSignedOff(db, sessionId, now, proctor); !s) return s.error().describe();
                            nlohmann::json detail{{"session", sessionId}, {"checkedOut", counts->checkedOut}, {"noShow", counts->noShow},
                                                  {"walkIns", counts->walkIns}};
                            if (auto s = store::appendAudit(m_store, now, "proctor:" + proctorId, "session.signed_off", detail.dump()); !s)
                                return s.error().describe();
                            return std::nullopt;
                        });
}

ActionResult AttendanceService::checkIn(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                        const CheckInDetails& d) {
    AttendanceEvent e;
    e.kind = EventKind::CheckedIn;
    e.proctor = proctor;
    e.idMethod = d.idMethod;
    e.idVerifiedBy = d.idVerifiedBy.empty() ? proctor : d.idVerifiedBy;
    e.seat = d.seat;
    e.reason = d.lateReason;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::recordIdCheck(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                              domain::IdMethod method, const std::string& verifiedBy) {
    AttendanceEvent e;
    e.kind = EventKind::IdChecked;
    e.proctor = proctor;
    e.idMethod = method;
    e.idVerifiedBy = verifiedBy.empty() ? proctor : verifiedBy;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::assignSeat(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                           const std::string& seat) {
    AttendanceEvent e;
    e.kind = EventKind::SeatAssigned;
    e.proctor = proctor;
    e.seat = seat;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::breakOut(const std::string& sessionId, const std::string& studentId, const std::string& proctor) {
    AttendanceEvent e;
    e.kind = EventKind::BreakOut;
    e.proctor = proctor;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::breakIn(const std::string& sessionId, const std::string& studentId, const std::string& proctor) {
    AttendanceEvent e;
    e.kind = EventKind::BreakIn;
    e.proctor = proctor;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::deliverAccommodation(const std::string& sessionId, const std::string& studentId,
                                                     const std::string& proctor, const std::string& accommodation) {
    auto reg = store::findRegistration(m_store.db(), sessionId, studentId);
    bool scheduled = reg && *reg &&
                     std::find((*reg)->scheduledAccommodations.begin(), (*reg)->scheduledAccommodations.end(), accommodation) !=
                         (*reg)->scheduledAccommodations.end();
    auto categories = domain::accommodationCategories();
    bool category = accommodation.rfind(domain::kAccommodationNs, 0) == 0 &&
                    std::find(categories.begin(), categories.end(), domain::descriptorCodeValue(accommodation)) != categories.end();
    if (!scheduled && !category)
        return ActionResult::refused("That accommodation is neither scheduled for this student nor an Ed-Fi category; choose one from the list.");
    AttendanceEvent e;
    e.kind = EventKind::AccommodationDelivered;
    e.proctor = proctor;
    e.accommodation = accommodation;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::recordIrregularity(const std::string& sessionId, const std::string& studentId,
                                                   const std::string& proctor, const IrregularityDetails& d) {
    AttendanceEvent e;
    e.kind = EventKind::Irregularity;
    e.proctor = proctor;
    e.circumstance = d.circumstance;
    e.description = d.description;
    e.occurredAt = d.occurredAt;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::checkOut(const std::string& sessionId, const std::string& studentId, const std::string& proctor) {
    AttendanceEvent e;
    e.kind = EventKind::CheckedOut;
    e.proctor = proctor;
    return record(sessionId, studentId, e);
}

ActionResult AttendanceService::markNoShow(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                           const std::string& reason) {
    AttendanceEvent e;
    e.kind = EventKind::NoShow;
    e.proctor = proctor;
    e.reason = reason;
    return record(sessionId, studentId, e);
}

BulkResult AttendanceService::markNoShowsAtCutoff(const std::string& sessionId, const std::string& proctor) {
    return bulk(sessionId, proctor, EventKind::NoShow, domain::Presence::Expected, nullptr);
}

BulkResult AttendanceService::markNoShowsAtCutoff(const std::string& sessionId, const std::string& proctor,
                                                  const std::vector<std::string>& shown) {
    return bulk(sessionId, proctor, EventKind::NoShow, domain::Presence::Expected, &shown);
}

BulkResult AttendanceService::checkOutEveryone(const std::string& sessionId, const std::string& proctor, const std::vector<std::string>& shown) {
    return bulk(sessionId, proctor, EventKind::CheckedOut, domain::Presence::Present, &shown);
}

BulkResult AttendanceService::bulk(const std::string& sessionId, const std::string& proctor, EventKind kind, domain::Presence presence,
                                   const std::vector<std::string>* shown) {
    auto& db = m_store.db();
    auto tx = Transaction::begin(db);
    if (!tx) return {0, tx.error().describe()};
    auto session = store::findSession(db, sessionId);
    if (!session) return {0, session.error().describe()};
    if (!*session) return {0, "That session is not on this kiosk."};
    domain::SessionInfo& info = **session;
    if (info.signedOffAt) return {0, "This session has been signed off; nothing more can be recorded in it."};
    domain::Timestamp now = m_clock();
    if (auto problem = openWithFirstRecord(info, proctor, now)) return {0, *problem};
    if (kind == EventKind::NoShow && !domain::noShowAllowed(now, info.rules())) {
        auto cutoff = info.scheduledStart + domain::Minutes{info.noShowAfterMinutes};
        return {0, "No-shows can be marked from " + domain::formatClock(cutoff, store::localUtcOffsetMinutes(cutoff)) + ", the cut-off."};
    }
    auto roster = store::rosterForSession(db, sessionId);
    if (!roster) return {0, roster.error().describe()};
    store::EventContext ctx{m_store.kioskId(), m_store.siteId(), sessionId, std::nullopt, store::localUtcOffsetMinutes(now)};
    int marked = 0;
    for (const auto& row : *roster) {
        if (row.presence != presence) continue;
        const std::string& studentId = row.student.studentUniqueId;
        if (shown && std::find(shown->begin(), shown->end(), studentId) == shown->end()) continue;
        auto events = store::eventsFor(db, sessionId, studentId);
        if (!events) return {0, events.error().describe()};
        auto seq = m_store.nextSeq();
        if (!seq) return {0, seq.error().describe()};
        AttendanceEvent e;
        e.kind = kind;
        e.proctor = proctor;
        if (kind == EventKind::NoShow) e.reason = "Absent";
        e.id = store::uuidV7(now);
        e.seq = *seq;
        e.at = now;
        domain::Attendance current = currentAttendance(*events, info.rules());
        if (domain::apply(current, e, info.rules())) continue;  // e.g. a withdrawn history; leave it to the proctor
        ctx.studentUniqueId = studentId;
        if (auto s = noteClockStep(m_store, now); !s) return {0, s.error().describe()};
        if (auto s = store::appendEvent(db, ctx, e, m_store.nextHlc(now.time_since_epoch().count())); !s) return {0, s.error().describe()};
        if (auto problem = writeStudentState(info, studentId, e)) return {0, *problem};
        ++marked;
    }
    if (auto s = tx->commit(); !s) return {0, s.error().describe()};
    if (marked > 0) committed();
    return {marked, {}};
}

ActionResult AttendanceService::addWalkIn(const std::string& sessionId, const domain::Student& student, const std::string& proctor) {
    if (student.studentUniqueId.empty()) return ActionResult::refused("Enter the walk-in's student ID.");
    if (student.firstName.empty() || student.lastSurname.empty()) return ActionResult::refused("Enter the walk-in's first and last name.");
    auto& db = m_store.db();
    auto prepare = [&]() -> std::optional<std::string> {
        auto reg = store::findRegistration(db, sessionId, student.studentUniqueId);
        if (!reg) return reg.error().describe();
        if (*reg) return "This student is already on this session's roster.";
        auto existing = store::findStudent(db, student.studentUniqueId);
        if (!existing) return existing.error().describe();
        if (*existing) {
            // A known ID under another name is a mistyped ID or a mistyped
            // name: the proctor says which, the kiosk does not pick one.
            auto same = [](const std::string& a, const std::string& b) { return domain::foldForSearch(a) == domain::foldForSearch(b); };
            if (!same((*existing)->firstName, student.firstName) || !same((*existing)->lastSurname, student.lastSurname))
                return std::string("This student ID belongs to a student of another name. Check the ID, or type the name as the roster has it.");
        } else if (auto s = store::upsertStudent(db, student); !s) {
            return s.error().describe();
        }
        domain::Registration r{sessionId, student.studentUniqueId, {}, true};
        if (auto s = store::upsertRegistration(db, r); !s) return s.error().describe();
        return std::nullopt;
    };
    AttendanceEvent e;
    e.kind = EventKind::WalkInAdded;
    e.proctor = proctor;
    return record(sessionId, student.studentUniqueId, e, prepare);
}

ActionResult AttendanceService::correct(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                        const std::string& eventId, const std::string& reason) {
    if (reason.empty()) return ActionResult::refused("Give a reason for the correction.");
    auto events = store::eventsFor(m_store.db(), sessionId, studentId);
    if (!events) return ActionResult::failed(events.error().describe());
    const AttendanceEvent* target = nullptr;
    for (const auto& e : *events)
        if (e.id == eventId) target = &e;
    if (!target) return ActionResult::refused("That entry is not in this student's record.");
    if (target->kind == EventKind::Corrected) return ActionResult::refused("A correction cannot itself be withdrawn.");
    if (target->kind == EventKind::WalkInAdded) return ActionResult::refused("A walk-in flag stays on the record; mark them as no-show instead.");
    for (const auto& e : *events)
        if (e.kind == EventKind::Corrected && e.correctsEventId == eventId) return ActionResult::refused("That entry was already withdrawn.");
    AttendanceEvent e;
    e.kind = EventKind::Corrected;
    e.proctor = proctor;
    e.correctsEventId = eventId;
    e.reason = reason;
    return record(sessionId, studentId, e);
}

} // namespace kiosk::service
