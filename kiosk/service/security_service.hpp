#pragma once
// Who is at the kiosk: student sign-in with a second factor, proctor PINs for
// verification, admin screens and leaving kiosk mode. Every check, success or
// failure, lands in the audit log; lock-outs persist across restarts.
#include "kiosk/service/action_result.hpp"
#include "kiosk/store/credentials.hpp"
#include "kiosk/store/ids.hpp"
#include "kiosk/store/records.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::service {

enum class SecondFactor { BirthDate, Pin };

struct SignIn {
    bool ok = false;
    std::string message;  // the same words for an unknown ID and a wrong factor
    domain::Sentence sentence;  // set when the words carry a value (a lock-out's end): the UI translates it
    std::optional<domain::Student> student;
    std::vector<std::string> scheduledAccommodations;  // across the student's registrations
};

struct PinCheck {
    bool ok = false;
    std::string message;
    domain::Sentence sentence;  // as SignIn's
    std::string proctorName;
    std::string proctorId;  // as stored (the typed ID without spaces around it)
};

// The demo's documented sign-ins (README), for the sign-in screens to name.
struct DemoSignIns {
    std::string proctorId, proctorPin, studentId, studentBirthDate;  // the date as ISO 8601
};

class SecurityService {
public:
    SecurityService(store::Store& store, domain::Clock clock) : m_store(store), m_clock(std::move(clock)) {}

    SecondFactor secondFactor();
    // The demo's sign-ins while they hold (nothing has written a roster or
    // set a credential since the demo was loaded); nullopt otherwise.
    std::optional<DemoSignIns> demoSignIns();
    store::Status setSecondFactor(SecondFactor f);

    SignIn signIn(const std::string& studentId, const std::string& secret);
    // Sign-out always happens (the screen is cleared); the result says whether it was recorded.
    [[nodiscard]] store::Status signOut(const std::string& studentId, bool timedOut);

    // purpose: "verify", "admin", "proctor_mode", "kiosk_exit", "sign_off", "unlock"; reason is free text kept in the audit log.
    PinCheck checkProctorPin(const std::string& proctorId, const std::string& pin, const std::string& purpose,
                             const std::string& reason = {});

    // An ID aid at the door: does the date of birth a student gives match the
    // roster's? The store keeps it only as a hash, so it is asked, never
    // shown. A miss does not count toward the student's sign-in lock-out;
    // every check is audited (proctor, student, outcome).
    enum class BirthDateCheck { Matches, DoesNotMatch, NotOnFile, NotADate, NotRecorded };
    BirthDateCheck checkBirthDate(const std::string& proctor, const std::string& studentId, const std::string& isoDate);

    // Set-up (technician): proctors and their PINs, student PINs.
    // `staffUniqueId`: the state's identifier of the proctor (the kiosk's own
    // proctor IDs are local): what a work-readiness record names as its
    // evaluator. Empty keeps the one on file.
    ActionResult setProctor(const std::string& proctorId, const std::string& name, const std::string& pin,
                            const std::string& staffUniqueId = {});
    // The state's staffUniqueId of a proctor ("" when none is on file).
    std::string proctorStaffId(const std::string& proctorId);
    ActionResult setStudentPin(const std::string& studentId, const std::string& pin);
    // Hashes every roster birth date that has no credential yet, then blanks
    // the plain copy (second factors are stored only as hashes).
    store::Result<int> hashBirthDates();

    // One audit entry in its own transaction. A caller whose action is not
    // done without its entry checks the result before it acts.
    [[nodiscard]] store::Status audit(const std::string& actor, const std::string& action, const std::string& detailJson);

private:
    store::Store& m_store;
    domain::Clock m_clock;
};

// "2009-04-02", "04/02/2009" or "04022009" -> "2009-04-02"; nullopt otherwise.
std::optional<std::string> normaliseBirthDate(std::string_view typed);

} // namespace kiosk::service
