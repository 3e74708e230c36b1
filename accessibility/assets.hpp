#pragma once
#include <cstddef>
#include <filesystem>

namespace kiosk::accessibility {

// Where fonts, themes and strings live: $TESTSITE_KIOSK_ASSETS, then the
// installed share directory, then the source tree (developer runs).
std::filesystem::path findAssetsDir();

// A theme or string table larger than this is refused before it is parsed.
inline constexpr std::size_t kMaxAssetFileBytes = 1u << 20;

} // namespace kiosk::accessibility
