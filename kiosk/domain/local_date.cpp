#include "kiosk/domain/local_date.hpp"

#include "kiosk/domain/time.hpp"

namespace kiosk::domain {

namespace {

bool isIsoDate(std::string_view t) {
    if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
    for (std::size_t i = 0; i < t.size(); ++i)
        if (i != 4 && i != 7 && (t[i] < '0' || t[i] > '9')) return false;
    return true;
}

bool realDate(const std::string& iso) {
    // parseIso8601 takes a date alone and refuses 2009-02-30.
    auto t = domain::parseIso8601(iso);
    return t && domain::formatUtc(*t).substr(0, 10) == iso;
}

} // namespace

std::string formatLocalDate(std::string_view iso, std::string_view order) {
    if (!isIsoDate(iso)) return std::string(iso);
    std::string_view y = iso.substr(0, 4), m = iso.substr(5, 2), d = iso.substr(8, 2);
    std::string out;
    if (order == "dmy") out.append(d).append("/").append(m);
    else out.append(m).append("/").append(d);
    out.append("/").append(y);
    return out;
}

void reorderLocalDate(std::string& text, std::string& writtenIn, std::string_view order) {
    if (writtenIn == order) return;
    if (!writtenIn.empty())
        if (auto iso = parseLocalDate(text, writtenIn)) text = formatLocalDate(*iso, order);
    writtenIn = std::string(order);
}

std::optional<std::string> parseLocalDate(std::string_view typed, std::string_view order) {
    while (!typed.empty() && typed.front() == ' ') typed.remove_prefix(1);
    while (!typed.empty() && typed.back() == ' ') typed.remove_suffix(1);
    if (isIsoDate(typed)) {
        std::string iso(typed);
        return realDate(iso) ? std::optional<std::string>(iso) : std::nullopt;
    }
    // Day and month may be one digit when separated: 4/2/2009.
    std::string parts[3];
    int part = 0;
    std::string digits;
    for (char c : typed) {
        if (c >= '0' && c <= '9') {
            parts[part].push_back(c);
            digits.push_back(c);
        } else if (c == '/' || c == '-' || c == '.') {
            if (++part > 2) return std::nullopt;
        } else {
            return std::nullopt;
        }
    }
    std::string first, second, year;
    if (part == 2) {
        if (parts[0].empty() || parts[0].size() > 2 || parts[1].empty() || parts[1].size() > 2 || parts[2].size() != 4) return std::nullopt;
        first = parts[0].size() == 1 ? "0" + parts[0] : parts[0];
        second = parts[1].size() == 1 ? "0" + parts[1] : parts[1];
        year = parts[2];
    } else if (part == 0 && digits.size() == 8) {
        first = digits.substr(0, 2);
        second = digits.substr(2, 2);
        year = digits.substr(4, 4);
    } else {
        return std::nullopt;
    }
    std::string iso = order == "dmy" ? year + "-" + second + "-" + first : year + "-" + first + "-" + second;
    if (!realDate(iso)) return std::nullopt;
    return iso;
}

} // namespace kiosk::domain
