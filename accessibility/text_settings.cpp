#include "accessibility/text_settings.hpp"

#include <algorithm>
#include <array>

namespace kiosk::accessibility {

namespace {
constexpr std::array kSteps{100, 125, 150, 175, 200, 250, 300};
// Basic Latin through Latin Extended-B, IPA/spacing modifiers, combining
// marks, Latin Extended Additional (Vietnamese), general punctuation, the
// euro sign, and the replacement character.
constexpr std::uint16_t kLatinRanges[] = {
    0x0020, 0x024F, 0x0250, 0x02FF, 0x0300, 0x036F, 0x1E00, 0x1EFF, 0x2000, 0x206F, 0x20AC, 0x20AC, 0x2190, 0x2193,
    0x2713, 0x2717, 0xFFFD, 0xFFFD, 0,
};
} // namespace

float pixelSize(const TextSettings& t) { return kBasePixelSize * static_cast<float>(std::clamp(t.scalePercent, 100, 300)) / 100.0f; }

std::span<const int> scaleSteps() { return kSteps; }

int nextScale(int current, int direction) {
    auto it = std::lower_bound(kSteps.begin(), kSteps.end(), current);
    std::ptrdiff_t i = it - kSteps.begin();
    if (direction > 0) i = (it != kSteps.end() && *it == current) ? i + 1 : i;
    else i = i - 1;
    i = std::clamp<std::ptrdiff_t>(i, 0, static_cast<std::ptrdiff_t>(kSteps.size()) - 1);
    return kSteps[static_cast<std::size_t>(i)];
}

const std::uint16_t* latinGlyphRanges() { return kLatinRanges; }

std::vector<FontFile> fontStack(const std::filesystem::path& assetsDir, FontFace face) {
    auto fonts = assetsDir / "fonts";
    std::vector<FontFile> stack;
    if (face == FontFace::OpenDyslexic) stack.push_back({fonts / "OpenDyslexic-Regular.otf", false, kLatinRanges});
    else stack.push_back({fonts / "AtkinsonHyperlegible-Regular.ttf", false, kLatinRanges});
    stack.push_back({fonts / "DejaVuSans.ttf", true, kLatinRanges});
    return stack;
}

} // namespace kiosk::accessibility
