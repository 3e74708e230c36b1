#pragma once
// Proctor actions. Each one reads the student's history, asks the domain
// whether the step is allowed, and writes the event, the projection and the
// outbox row in ONE transaction. Nothing is edited in place.
#include "kiosk/domain/attendance.hpp"
#include "kiosk/service/action_result.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/records.hpp"
#include "kiosk/store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

class SecurityService;

struct CheckInDetails {
    domain::IdMethod idMethod = domain::IdMethod::PhotoId;
    std::string idVerifiedBy;
    std::string seat;
    std::string lateReason;
};

struct IrregularityDetails {
    std::string circumstance;  // EventCircumstanceDescriptor URI
    std::string description;
    std::optional<domain::Timestamp> occurredAt;  // defaults to now
};

struct BulkResult {
    int saved = 0;
    std::string message;
};

class AttendanceService {
public:
    AttendanceService(store::Store& store, domain::Clock clock);

    // Called after every successful commit (the sync worker's wake-up).
    void setOnCommitted(std::function<void()> callback) { m_onCommitted = std::move(callback); }

    ActionResult openSession(const std::string& sessionId, const std::string& proctor);
    // A sign-off is the proctor's signature: the signed-in proctor's PIN is
    // checked (and audited) by `security`, and the record names the PIN's owner.
    ActionResult signOff(const std::string& sessionId, SecurityService& security, const std::string& proctorId, const std::string& pin);

    ActionResult checkIn(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                         const CheckInDetails& details);
    ActionResult recordIdCheck(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                               domain::IdMethod method, const std::string& verifiedBy);
    ActionResult assignSeat(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                            const std::string& seat);
    ActionResult breakOut(const std::string& sessionId, const std::string& studentId, const std::string& proctor);
    ActionResult breakIn(const std::string& sessionId, const std::string& studentId, const std::string& proctor);
    ActionResult deliverAccommodation(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                      const std::string& accommodation);
    ActionResult recordIrregularity(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                                    const IrregularityDetails& details);
    ActionResult checkOut(const std::string& sessionId, const std::string& studentId, const std::string& proctor);
    ActionResult markNoShow(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                            const std::string& reason = "Absent");
    // Marks every student who has not arrived, in one transaction.
    BulkResult markNoShowsAtCutoff(const std::string& sessionId, const std::string& proctor);
    // The same for exactly the students the proctor was shown (a student among
    // them who arrived meanwhile is left alone; nobody else is touched).
    BulkResult markNoShowsAtCutoff(const std::string& sessionId, const std::string& proctor, const std::vector<std::string>& shown);
    // Checks out the students shown who are present, in one transaction.
    BulkResult checkOutEveryone(const std::string& sessionId, const std::string& proctor, const std::vector<std::string>& shown);
    // A student not on the roster: flagged as a walk-in, never silently added.
    ActionResult addWalkIn(const std::string& sessionId, const domain::Student& student, const std::string& proctor);
    // Withdraws a mistaken entry with a reason; the entry itself stays in the log.
    ActionResult correct(const std::string& sessionId, const std::string& studentId, const std::string& proctor,
                         const std::string& eventId, const std::string& reason);

private:
    using Prepare = std::function<std::optional<std::string>()>;  // extra writes inside the transaction
    using SessionStep = std::function<std::optional<std::string>(const domain::SessionInfo&, domain::Timestamp)>;
    // A session-level event (opened, signed off): one transaction, `step` checks and writes its rows.
    ActionResult sessionEvent(const std::string& sessionId, const std::string& proctor, std::string_view kind, const SessionStep& step);
    // The session-level event's rows (seq, log, site share) inside the caller's transaction: its id.
    edsync::Result<std::string, std::string> appendSessionEvent(const std::string& sessionId, const std::string& proctor, std::string_view kind,
                                                               domain::Timestamp now);
    // A session opens with its first record, in that record's transaction and
    // by its proctor: a proctor who only looks at a session opens nothing.
    std::optional<std::string> openWithFirstRecord(domain::SessionInfo& info, const std::string& proctor, domain::Timestamp now);
    ActionResult record(const std::string& sessionId, const std::string& studentId, domain::AttendanceEvent draft,
                        const Prepare& before = {});
    // After the event row is written: shares it with the site and rebuilds the projections.
    std::optional<std::string> writeStudentState(const domain::SessionInfo& session, const std::string& studentId,
                                                 const domain::AttendanceEvent& written);
    void committed();
    // One transaction: `kind` for each roster student in `presence` (and in
    // `shown`, when given) that the domain allows.
    BulkResult bulk(const std::string& sessionId, const std::string& proctor, domain::EventKind kind, domain::Presence presence,
                    const std::vector<std::string>* shown);

    store::Store& m_store;
    domain::Clock m_clock;
    std::function<void()> m_onCommitted;
};

} // namespace kiosk::service
