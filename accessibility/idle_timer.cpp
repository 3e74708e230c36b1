#include "accessibility/idle_timer.hpp"

#include <algorithm>
#include <cmath>

namespace kiosk::accessibility {

namespace {

Millis stretched(Millis base, double stretch) {
    double factor = std::isfinite(stretch) && stretch > 1.0 ? stretch : 1.0;
    return Millis{static_cast<Millis::rep>(std::llround(static_cast<double>(base.count()) * factor))};
}

} // namespace

IdleTimer::IdleTimer(IdlePolicy policy, Millis now)
    : m_timeout(stretched(policy.timeout, policy.stretch)),
      // A student who is given more time to work is also given more time to answer the warning.
      m_warning(std::max(kMinimumWarning, stretched(policy.warning, policy.stretch))),
      m_maxExtensions(policy.maxExtensions <= 0 ? 0 : std::max(policy.maxExtensions, kMinimumExtensions)) {
    // The warning is part of the time-out, so the time-out is never shorter than the warning.
    m_timeout = std::max(m_timeout, m_warning);
    m_deadline = now + m_timeout;
}

void IdleTimer::activity(Millis now) {
    if (phase(now) == IdlePhase::Expired) return;
    m_deadline = now + m_timeout;
}

bool IdleTimer::extend(Millis now) {
    if (phase(now) == IdlePhase::Expired) return false;
    if (m_maxExtensions != 0 && m_extensions >= m_maxExtensions) return false;
    ++m_extensions;
    m_deadline = now + m_timeout;
    return true;
}

IdlePhase IdleTimer::phase(Millis now) const {
    if (now >= m_deadline) return IdlePhase::Expired;
    if (now >= m_deadline - m_warning) return IdlePhase::Warning;
    return IdlePhase::Active;
}

Millis IdleTimer::remaining(Millis now) const { return std::max(Millis{0}, m_deadline - now); }

} // namespace kiosk::accessibility
