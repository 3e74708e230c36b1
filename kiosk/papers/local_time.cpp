#include "kiosk/papers/local_time.hpp"

#include <array>
#include <cstdio>

namespace kiosk::papers {

namespace {

constexpr std::array<const char*, 7> kWeekdays{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<const char*, 12> kMonths{"January", "February", "March",     "April",   "May",      "June",
                                              "July",    "August",   "September", "October", "November", "December"};

std::chrono::year_month_day localDay(domain::Timestamp t, const LocalClock& clock) {
    auto local = t + domain::Minutes{clock.offsetAt(t)};
    return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(local)};
}

} // namespace

std::string localClock(const std::optional<domain::Timestamp>& t, const LocalClock& clock) {
    return t ? domain::formatClock(*t, clock.offsetAt(*t)) : std::string();
}

std::string localLongDate(domain::Timestamp t, const LocalClock& clock) {
    auto day = localDay(t, clock);
    std::chrono::weekday wd{std::chrono::sys_days{day}};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %s %u, %d", kWeekdays[wd.c_encoding()], kMonths[static_cast<unsigned>(day.month()) - 1],
                  static_cast<unsigned>(day.day()), static_cast<int>(day.year()));
    return buf;
}

std::string localDateTime(domain::Timestamp t, const LocalClock& clock) {
    auto day = localDay(t, clock);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u ", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                  static_cast<unsigned>(day.day()));
    return buf + localClock(t, clock);
}

} // namespace kiosk::papers
