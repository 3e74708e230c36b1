#include "kiosk/ui/text_fit.hpp"

#include <cstddef>
#include <vector>

namespace kiosk::ui {

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026
constexpr std::string_view kSeparator = " \xC2\xB7 ";   // " · "

} // namespace

std::string fitToWidth(const std::string& label, float room, const MeasureText& measure) {
    if (measure(label) <= room) return label;
    const std::size_t split = label.rfind(kSeparator);
    const std::string_view head = std::string_view(label).substr(0, split == std::string::npos ? label.size() : split);
    const std::string_view tail = split == std::string::npos ? std::string_view() : std::string_view(label).substr(split);
    auto candidate = [&](std::size_t keep) {
        std::string_view kept = head.substr(0, keep);
        while (!kept.empty() && kept.back() == ' ') kept.remove_suffix(1);  // a space before "…" reads as a gap, not a cut
        std::string out(kept);
        out += kEllipsis;
        out += tail;
        return out;
    };
    // Where the head may be cut: before any code point (never inside one;
    // UTF-8 continuation bytes are 10xxxxxx).
    std::vector<std::size_t> cuts{0};  // keeping nothing of the head is always a cut
    for (std::size_t i = 1; i < head.size(); ++i)
        if ((static_cast<unsigned char>(head[i]) & 0xC0) != 0x80) cuts.push_back(i);
    if (head.empty() || measure(candidate(0)) > room) return label;
    // The longest that fits: widths only grow with more kept, so halve.
    std::size_t lo = 0, hi = cuts.size() - 1;  // cuts[lo] fits
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo + 1) / 2;
        if (measure(candidate(cuts[mid])) <= room) lo = mid;
        else hi = mid - 1;
    }
    return candidate(cuts[lo]);
}

} // namespace kiosk::ui
