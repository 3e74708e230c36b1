// libFuzzer: theme files (assets/themes/*.json can be replaced by a site).
#include "accessibility/theme.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto r = kiosk::accessibility::parseTheme(std::string_view(reinterpret_cast<const char*>(data), size));
    if (r.theme) {
        for (const auto& [fg, bg] : r.theme->textPairs) {
            double ratio = kiosk::accessibility::contrastRatio(r.theme->colour(fg), r.theme->colour(bg));
            if (!(ratio >= 1.0 && ratio <= 21.0)) __builtin_trap();
        }
    }
    return 0;
}
