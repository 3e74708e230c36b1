#include "kiosk/domain/time.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace kiosk::domain {

std::string formatUtc(Timestamp t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03d+00:00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count()));
    return buf;
}

std::string fileStamp(Timestamp t) {
    auto stamp = formatUtc(t).substr(0, 19);
    std::replace(stamp.begin(), stamp.end(), ':', '-');
    return stamp;
}

namespace {

bool readInt(std::string_view s, std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    for (std::size_t i = pos; i < pos + len; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return r.ec == std::errc{};
}

} // namespace

std::optional<Timestamp> parseIso8601(std::string_view s) {
    using namespace std::chrono;
    int y, mo, d;
    if (!readInt(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !readInt(s, 5, 2, mo) || s[7] != '-' || !readInt(s, 8, 2, d))
        return std::nullopt;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    Timestamp t = time_point_cast<milliseconds>(sys_days{ymd});
    if (s.size() == 10) return t;
    int h, mi, sec = 0;
    if ((s[10] != 'T' && s[10] != ' ') || !readInt(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !readInt(s, 14, 2, mi))
        return std::nullopt;
    std::size_t pos = 16;
    if (pos < s.size() && s[pos] == ':') {
        if (!readInt(s, pos + 1, 2, sec)) return std::nullopt;
        pos += 3;
    }
    int ms = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) ms = ms * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) ms *= 10;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    t += hours{h} + minutes{mi} + seconds{sec} + milliseconds{ms};
    if (pos == s.size()) return t;  // no zone: taken as UTC
    if (s[pos] == 'Z' && pos + 1 == s.size()) return t;
    if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
        int oh, om;
        if (!readInt(s, pos + 1, 2, oh) || !readInt(s, pos + 4, 2, om) || oh > 14 || om > 59) return std::nullopt;
        auto offset = hours{oh} + minutes{om};
        return s[pos] == '+' ? t - offset : t + offset;
    }
    return std::nullopt;
}

std::string formatClock(Timestamp t, int utcOffsetMinutes) {
    using namespace std::chrono;
    auto local = t + minutes{utcOffsetMinutes};
    auto day = floor<days>(local);
    hh_mm_ss hms{local - day};
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
    return buf;
}

std::optional<std::chrono::seconds> clockMovedBack(Timestamp last, Timestamp now) {
    if (last - now <= kClockBackTolerance) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::seconds>(last - now);
}

Timestamp systemNow() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

} // namespace kiosk::domain
