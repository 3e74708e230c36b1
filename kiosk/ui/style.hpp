#pragma once
// Applies a theme and text settings to Dear ImGui: colours from the theme
// file, sizes in font units, always rebuilt from an unscaled style (scaling
// an already scaled style compounds).
#include "accessibility/text_settings.hpp"
#include "accessibility/theme.hpp"
#include "kiosk/ui/palette.hpp"

#include <filesystem>

struct ImFontAtlas;
struct ImFont;

namespace kiosk::ui {

Palette applyTheme(const accessibility::Theme& theme, const accessibility::TextSettings& text);
// How much of the screen behind a dialog shows through (1: none of it).
inline constexpr float kModalDimAlpha = 0.75f;

// Titles (a page's, a dialog's) are this much larger than body text, in the
// face's bold: one type scale from one family.
inline constexpr float kTitleScale = 1.3f;

// Rebuilds the atlas at the settings' pixel size: the main face with the
// fallback merged in, then the same at kTitleScale in bold for titles. Returns false (and keeps ImGui's default font) when a
// font file is missing, so the kiosk still starts. `fonts` outlives the atlas (it holds the bytes).
bool buildFontAtlas(ImFontAtlas& atlas, accessibility::FontFiles& fonts, const accessibility::TextSettings& text);
// The title font of the current atlas, or null (then titles use body text).
ImFont* titleFont();

} // namespace kiosk::ui
