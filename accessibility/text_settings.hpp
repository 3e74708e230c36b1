#pragma once
// Text size, face and spacing (WCAG 1.4.4, 1.4.12). The UI rebuilds its font
// atlas at pixelSize() whenever these change, so text is re-rasterised crisp.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <span>
#include <vector>

namespace kiosk::accessibility {

enum class FontFace { AtkinsonHyperlegible, OpenDyslexic };

struct TextSettings {
    int scalePercent = 100;      // 100 .. 300
    FontFace face = FontFace::AtkinsonHyperlegible;
    float lineSpacing = 1.0f;    // multiple of the normal line gap, up to 2.0
    float letterSpacing = 0.0f;  // extra space per glyph, in em (WCAG asks 0.12)
    bool operator==(const TextSettings&) const = default;
};

// At 100% the body text is 20 px: with padding, targets reach 44 px.
inline constexpr float kBasePixelSize = 20.0f;
float pixelSize(const TextSettings& t);
std::span<const int> scaleSteps();  // 100, 125, 150, 175, 200, 250, 300
int nextScale(int current, int direction);

struct FontFile {
    std::filesystem::path path;
    bool mergeIntoPrevious = false;
    const std::uint16_t* glyphRanges = nullptr;  // zero-terminated pairs, as ImGui takes them
    float sizeScale = 1.0f;  // of the stack's size: a fallback's capitals as tall as the main face's
};
// The main face, then a fallback merged in for any Latin-script glyph it
// lacks; `bold`: each face's bold where there is one (titles).
std::vector<FontFile> fontStack(const std::filesystem::path& assetsDir, FontFace face, bool bold = false);
const std::uint16_t* latinGlyphRanges();

// Every font file a text setting may ask for (each face, both weights, the
// fallback), read once at start: a later change of size or face rebuilds
// the window's fonts from memory, never from the disk on the render thread.
class FontFiles {
public:
    explicit FontFiles(const std::filesystem::path& assetsDir);
    const std::filesystem::path& assetsDir() const { return m_assetsDir; }
    // The file's bytes, or null when it could not be read at start (mutable:
    // ImGui takes them as a plain pointer, and only reads them).
    std::string* find(const std::filesystem::path& file);

private:
    std::filesystem::path m_assetsDir;
    std::map<std::filesystem::path, std::string> m_bytes;
};

} // namespace kiosk::accessibility
