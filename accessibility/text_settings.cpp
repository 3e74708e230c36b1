#include "accessibility/text_settings.hpp"

#include "sync/core/files.hpp"

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
// The same without the digits: Atkinson Hyperlegible slashes its zero, so
// "S100001" reads "S1ØØØØ1" to a proctor checking an ID; the fallback's
// plain digits fill the gap (all ten, so they match each other).
constexpr std::uint16_t kLatinWithoutDigits[] = {
    0x0020, 0x002F, 0x003A, 0x024F, 0x0250, 0x02FF, 0x0300, 0x036F, 0x1E00, 0x1EFF, 0x2000, 0x206F, 0x20AC, 0x20AC,
    0x2190, 0x2193, 0x2713, 0x2717, 0xFFFD, 0xFFFD, 0,
};
// The fallback face as Debian installs it (fonts-dejavu-core, a dependency
// of the package), with its bold; the copy in assets when it is absent.
constexpr const char* kSystemDejaVu = "/usr/share/fonts/truetype/dejavu";

std::filesystem::path existingOr(const std::filesystem::path& wanted, const std::filesystem::path& otherwise) {
    std::error_code ec;
    return std::filesystem::exists(wanted, ec) ? wanted : otherwise;
}

// "Face-Regular.ttf" -> "Face-Bold.ttf", "Face.ttf" -> "Face-Bold.ttf".
std::filesystem::path boldSibling(const std::filesystem::path& regular) {
    std::string name = regular.filename().string();
    if (auto at = name.find("-Regular."); at != std::string::npos) name.replace(at, 8, "-Bold");
    else name = regular.stem().string() + "-Bold" + regular.extension().string();
    return regular.parent_path() / name;
}
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

std::vector<FontFile> fontStack(const std::filesystem::path& assetsDir, FontFace face, bool bold) {
    auto fonts = assetsDir / "fonts";
    auto weight = [bold](const std::filesystem::path& regular) { return bold ? existingOr(boldSibling(regular), regular) : regular; };
    std::vector<FontFile> stack;
    if (face == FontFace::OpenDyslexic) stack.push_back({weight(fonts / "OpenDyslexic-Regular.otf"), false, kLatinRanges});
    else stack.push_back({weight(fonts / "AtkinsonHyperlegible-Regular.ttf"), false, kLatinWithoutDigits});
    const auto dejaVu = existingOr(std::filesystem::path(kSystemDejaVu) / "DejaVuSans.ttf", fonts / "DejaVuSans.ttf");
    // Capitals (and digits) 668/1000 em tall in Atkinson Hyperlegible, 1493/2048 in DejaVu Sans.
    const float scale = face == FontFace::OpenDyslexic ? 1.0f : (668.0f / 1000.0f) / (1493.0f / 2048.0f);
    stack.push_back({weight(dejaVu), true, kLatinRanges, scale});
    return stack;
}

FontFiles::FontFiles(const std::filesystem::path& assetsDir) : m_assetsDir(assetsDir) {
    for (auto face : {FontFace::AtkinsonHyperlegible, FontFace::OpenDyslexic})
        for (bool bold : {false, true})
            for (const auto& f : fontStack(assetsDir, face, bold)) {
                if (m_bytes.count(f.path)) continue;
                auto bytes = edsync::files::readBounded(f.path, {.maxBytes = 32u << 20, .magic = {}, .jsonObject = false});
                if (bytes) m_bytes.emplace(f.path, std::move(bytes).value());  // a missing face is said when the fonts are built
            }
}

std::string* FontFiles::find(const std::filesystem::path& file) {
    auto it = m_bytes.find(file);
    return it == m_bytes.end() || it->second.empty() ? nullptr : &it->second;
}

} // namespace kiosk::accessibility
