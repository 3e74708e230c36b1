#pragma once
// The idle time-out of a student's session, as arithmetic only: the caller
// passes "now" (any monotonic clock, as time since its epoch), so tests drive
// it with an injected clock and never sleep. WCAG 2.2.1 (Timing Adjustable):
// the student is warned at least 20 s before the end, can extend with one
// action (at least ten times), and a time multiplier stretches the limit.
#include <chrono>

namespace kiosk::accessibility {

using Millis = std::chrono::milliseconds;

inline constexpr Millis kMinimumWarning{20'000};  // WCAG 2.2.1: at least 20 seconds
inline constexpr int kMinimumExtensions = 10;     // WCAG 2.2.1: at least ten times

struct IdlePolicy {
    Millis timeout{std::chrono::minutes(5)};   // without a multiplier
    Millis warning{std::chrono::seconds(30)};  // shown this long before the end (never under 20 s)
    double stretch = 1.0;                      // the student's time multiplier (TimeAllowance::stretch())
    int maxExtensions = 0;                     // 0: as many as wanted; otherwise at least ten
};

enum class IdlePhase { Active, Warning, Expired };

class IdleTimer {
public:
    IdleTimer(IdlePolicy policy, Millis now);

    // Any input from the student: the time-out starts again (not after expiry).
    void activity(Millis now);
    // The "I need more time" action in the warning: a fresh full time-out.
    // False when the extensions are used up or the time-out has already run out.
    bool extend(Millis now);

    IdlePhase phase(Millis now) const;
    Millis remaining(Millis now) const;  // until expiry, never negative
    Millis timeout() const { return m_timeout; }  // stretched
    Millis warningLead() const { return m_warning; }
    Millis warningAt() const { return m_deadline - m_warning; }
    Millis deadline() const { return m_deadline; }
    int extensionsUsed() const { return m_extensions; }
    // -1 when unlimited.
    int extensionsLeft() const { return m_maxExtensions == 0 ? -1 : m_maxExtensions - m_extensions; }

private:
    Millis m_timeout;
    Millis m_warning;
    Millis m_deadline;
    int m_maxExtensions;
    int m_extensions = 0;
};

} // namespace kiosk::accessibility
