#pragma once
// Themes are data (assets/themes/*.json): named colour roles plus the pairs
// of roles that are drawn on each other, so the contrast test checks a new
// theme without a new test.
#include "accessibility/contrast.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiosk::accessibility {

enum class ThemeKind { Default, HighContrast, Overlay };
using RolePair = std::pair<std::string, std::string>;

struct Theme {
    std::string id;       // "high-contrast-dark"
    std::string nameKey;  // string key of its display name
    ThemeKind kind = ThemeKind::Default;
    int order = 0;
    double minimumTextContrast = 4.5;
    double minimumNonTextContrast = 3.0;
    std::map<std::string, Rgb8> colours;
    std::vector<RolePair> textPairs;     // (foreground, background)
    std::vector<RolePair> nonTextPairs;  // focus ring, borders

    Rgb8 colour(const std::string& role) const;  // magenta when missing: visible, never a crash
};

// The roles every theme must define (the UI draws with exactly these).
const std::vector<std::string>& requiredColourRoles();
// The (foreground, background) pairs the UI actually draws. A theme file must
// list each of them, so the contrast test can never skip one the screen shows.
const std::vector<RolePair>& requiredTextPairs();
const std::vector<RolePair>& requiredNonTextPairs();

struct ThemeLoad {
    std::optional<Theme> theme;
    std::string error;  // what is wrong, in words a site technician can act on
};
// Refuses (with an error, never a throw) anything but a complete theme: JSON
// object, id, name key, kind, every required colour role as opaque #RRGGBB,
// and every required pair listed.
ThemeLoad parseTheme(std::string_view jsonText);
struct ContrastFailure {
    RolePair pair;
    double ratio = 0;
    double required = 0;
};
// Pairs below the theme's own bar (text pairs) or below 3:1 (non-text pairs).
std::vector<ContrastFailure> contrastFailures(const Theme& theme);

// Every *.json in `dir`, sorted by `order` then id; problems are collected,
// not fatal. A theme that fails its contrast bar or repeats an id is refused.
std::vector<Theme> loadThemes(const std::filesystem::path& dir, std::vector<std::string>* problems = nullptr);

} // namespace kiosk::accessibility
