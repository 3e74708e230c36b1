#include "accessibility/assets.hpp"

#include <cstdlib>

namespace kiosk::accessibility {

std::filesystem::path findAssetsDir() {
    std::error_code ec;
    if (const char* env = std::getenv("TESTSITE_KIOSK_ASSETS"); env && *env) return env;
    for (const char* candidate : {KIOSK_INSTALLED_ASSETS_DIR, KIOSK_SOURCE_ASSETS_DIR})
        if (std::filesystem::exists(std::filesystem::path(candidate) / "strings" / "en.json", ec)) return candidate;
    return KIOSK_SOURCE_ASSETS_DIR;
}

} // namespace kiosk::accessibility
