#pragma once
// Applies a theme and text settings to Dear ImGui: colours from the theme
// file, sizes in font units, always rebuilt from an unscaled style (scaling
// an already scaled style compounds).
#include "accessibility/text_settings.hpp"
#include "accessibility/theme.hpp"
#include "kiosk/ui/palette.hpp"

#include <filesystem>
#include <map>
#include <string>

struct ImFontAtlas;
struct ImFont;

namespace kiosk::ui {

Palette applyTheme(const accessibility::Theme& theme, const accessibility::TextSettings& text);

// Titles (a page's, a dialog's) are this much larger than body text, in the
// face's bold: one type scale from one family.
inline constexpr float kTitleScale = 1.3f;

// Every font file a text setting may ask for (each face, both weights, the
// fallback), read once at start: a later change of size or face rebuilds
// the atlas from memory, never from the disk on the render thread.
class FontFiles {
public:
    explicit FontFiles(const std::filesystem::path& assetsDir);
    const std::filesystem::path& assetsDir() const { return m_assetsDir; }
    // The file's bytes, or null when it could not be read at start.
    std::string* find(const std::filesystem::path& file);

private:
    std::filesystem::path m_assetsDir;
    std::map<std::filesystem::path, std::string> m_bytes;
};

// Rebuilds the atlas at the settings' pixel size: the main face with the
// fallback merged in, then the same at kTitleScale in bold for titles. Returns false (and keeps ImGui's default font) when a
// font file is missing, so the kiosk still starts. `fonts` outlives the atlas (it holds the bytes).
bool buildFontAtlas(ImFontAtlas& atlas, FontFiles& fonts, const accessibility::TextSettings& text);
// The title font of the current atlas, or null (then titles use body text).
ImFont* titleFont();

} // namespace kiosk::ui
