#pragma once
// WCAG 2.x relative luminance and contrast ratio, computed, not eyeballed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::accessibility {

struct Rgb8 {
    std::uint8_t r = 0, g = 0, b = 0, a = 255;
    bool operator==(const Rgb8&) const = default;
};

// "#RRGGBB" or "#RRGGBBAA"; nullopt for anything else.
std::optional<Rgb8> parseHexColour(std::string_view text);
std::string toHex(Rgb8 c);

double relativeLuminance(Rgb8 c);
// (L1 + 0.05) / (L2 + 0.05), from 1 to 21.
double contrastRatio(Rgb8 a, Rgb8 b);

} // namespace kiosk::accessibility
