#include "accessibility/contrast.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kiosk::accessibility {

namespace {

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

double linearise(std::uint8_t channel) {
    double c = channel / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

} // namespace

std::optional<Rgb8> parseHexColour(std::string_view t) {
    if ((t.size() != 7 && t.size() != 9) || t[0] != '#') return std::nullopt;
    std::uint8_t v[4] = {0, 0, 0, 255};
    for (std::size_t i = 0; i < (t.size() - 1) / 2; ++i) {
        int hi = hexDigit(t[1 + 2 * i]), lo = hexDigit(t[2 + 2 * i]);
        if (hi < 0 || lo < 0) return std::nullopt;
        v[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return Rgb8{v[0], v[1], v[2], v[3]};
}

std::string toHex(Rgb8 c) {
    char buf[10];
    std::snprintf(buf, sizeof buf, "#%02X%02X%02X", c.r, c.g, c.b);
    return buf;
}

double relativeLuminance(Rgb8 c) { return 0.2126 * linearise(c.r) + 0.7152 * linearise(c.g) + 0.0722 * linearise(c.b); }

double contrastRatio(Rgb8 a, Rgb8 b) {
    double la = relativeLuminance(a), lb = relativeLuminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

} // namespace kiosk::accessibility
