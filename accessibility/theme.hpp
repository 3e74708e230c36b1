#pragma once
// Themes are data (assets/themes/*.json): named colour roles plus the pairs
// of roles that are drawn on each other, so the contrast test checks a new
// theme without a new test.
#include "accessibility/contrast.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::accessibility {

enum class ThemeKind { Default, HighContrast, Overlay };

struct Theme {
    std::string id;       // "high-contrast-dark"
    std::string nameKey;  // string key of its display name
    ThemeKind kind = ThemeKind::Default;
    int order = 0;
    double minimumTextContrast = 4.5;
    double minimumNonTextContrast = 3.0;
    std::map<std::string, Rgb8> colours;
    std::vector<std::pair<std::string, std::string>> textPairs;     // (foreground, background)
    std::vector<std::pair<std::string, std::string>> nonTextPairs;  // focus ring, borders

    Rgb8 colour(const std::string& role) const;  // magenta when missing: visible, never a crash
};

// The roles every theme must define (the UI draws with exactly these).
const std::vector<std::string>& requiredColourRoles();

struct ThemeLoad {
    std::optional<Theme> theme;
    std::string error;
};
ThemeLoad parseTheme(std::string_view jsonText);
// Every *.json in `dir`, sorted by `order`; problems are collected, not fatal.
std::vector<Theme> loadThemes(const std::filesystem::path& dir, std::vector<std::string>* problems = nullptr);

} // namespace kiosk::accessibility
