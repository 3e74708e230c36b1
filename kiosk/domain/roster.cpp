#include "kiosk/domain/roster.hpp"

namespace kiosk::domain {

SessionRules SessionInfo::rules() const {
    SessionRules r;
    r.scheduledStart = scheduledStart;
    r.lateAfter = Minutes{lateAfterMinutes};
    r.noShowAfter = Minutes{noShowAfterMinutes};
    r.signedOff = signedOffAt.has_value();
    return r;
}

std::string Student::displayName() const {
    std::string name = lastSurname + ", " + firstName;
    if (!middleName.empty()) name += " " + middleName;
    return name;
}

} // namespace kiosk::domain
