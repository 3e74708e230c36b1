#pragma once
#include <filesystem>

namespace kiosk::accessibility {

// Where fonts, themes and strings live: $TESTSITE_KIOSK_ASSETS, then the
// installed share directory, then the source tree (developer runs).
std::filesystem::path findAssetsDir();

} // namespace kiosk::accessibility
