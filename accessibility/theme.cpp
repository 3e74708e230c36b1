#include "accessibility/theme.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kiosk::accessibility {

using nlohmann::json;

const std::vector<std::string>& requiredColourRoles() {
    static const std::vector<std::string> roles{
        "background", "surface", "surfaceAlt", "text", "textMuted", "border", "button", "buttonHover", "buttonActive",
        "buttonText", "accent", "accentText", "focusRing", "inputBackground", "selection", "selectionText", "success",
        "warning", "danger", "banner", "bannerText", "scrollbar",
    };
    return roles;
}

Rgb8 Theme::colour(const std::string& role) const {
    auto it = colours.find(role);
    return it == colours.end() ? Rgb8{255, 0, 255, 255} : it->second;
}

namespace {

bool readPairs(const json& doc, const char* key, const std::map<std::string, Rgb8>& colours,
               std::vector<std::pair<std::string, std::string>>& out, std::string& error) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_array()) {
        error = std::string("\"") + key + "\" must be a list of [foreground, background] pairs";
        return false;
    }
    for (const auto& p : *it) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
            error = std::string("each entry of \"") + key + "\" must be two colour role names";
            return false;
        }
        auto fg = p[0].get<std::string>(), bg = p[1].get<std::string>();
        if (!colours.count(fg) || !colours.count(bg)) {
            error = std::string("\"") + key + "\" names an unknown colour role: " + fg + " / " + bg;
            return false;
        }
        out.emplace_back(fg, bg);
    }
    return true;
}

} // namespace

ThemeLoad parseTheme(std::string_view text) {
    ThemeLoad out;
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        out.error = "not a JSON object";
        return out;
    }
    Theme t;
    auto str = [&](const char* key) -> std::string {
        auto it = doc.find(key);
        return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    t.id = str("id");
    t.nameKey = str("nameKey");
    if (t.id.empty() || t.id.size() > 64 || t.nameKey.empty()) {
        out.error = "\"id\" and \"nameKey\" are required";
        return out;
    }
    std::string kind = str("kind");
    if (kind == "default") t.kind = ThemeKind::Default;
    else if (kind == "high-contrast") t.kind = ThemeKind::HighContrast;
    else if (kind == "overlay") t.kind = ThemeKind::Overlay;
    else {
        out.error = "\"kind\" must be default, high-contrast or overlay";
        return out;
    }
    if (auto o = doc.find("order"); o != doc.end() && o->is_number_integer()) t.order = o->get<int>();
    if (auto m = doc.find("minimumTextContrast"); m != doc.end() && m->is_number()) t.minimumTextContrast = m->get<double>();
    if (auto m = doc.find("minimumNonTextContrast"); m != doc.end() && m->is_number()) t.minimumNonTextContrast = m->get<double>();
    // The bar a kind must meet cannot be lowered by the file itself.
    double floor = t.kind == ThemeKind::HighContrast ? 7.0 : 4.5;
    t.minimumTextContrast = std::max(t.minimumTextContrast, floor);
    t.minimumNonTextContrast = std::max(t.minimumNonTextContrast, 3.0);

    auto colours = doc.find("colors");
    if (colours == doc.end() || !colours->is_object()) {
        out.error = "\"colors\" must be an object of role: \"#RRGGBB\"";
        return out;
    }
    for (const auto& [role, value] : colours->items()) {
        auto c = value.is_string() ? parseHexColour(value.get<std::string>()) : std::nullopt;
        if (!c) {
            out.error = "colour \"" + role + "\" is not #RRGGBB";
            return out;
        }
        t.colours[role] = *c;
    }
    for (const auto& role : requiredColourRoles())
        if (!t.colours.count(role)) {
            out.error = "missing colour role \"" + role + "\"";
            return out;
        }
    if (!readPairs(doc, "textPairs", t.colours, t.textPairs, out.error)) return out;
    if (!readPairs(doc, "nonTextPairs", t.colours, t.nonTextPairs, out.error)) return out;
    out.theme = std::move(t);
    return out;
}

std::vector<Theme> loadThemes(const std::filesystem::path& dir, std::vector<std::string>* problems) {
    std::vector<Theme> themes;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::stringstream buf;
        buf << in.rdbuf();
        auto loaded = parseTheme(buf.str());
        if (loaded.theme) themes.push_back(std::move(*loaded.theme));
        else if (problems) problems->push_back(entry.path().filename().string() + ": " + loaded.error);
    }
    if (ec && problems) problems->push_back("cannot read " + dir.string() + ": " + ec.message());
    std::sort(themes.begin(), themes.end(), [](const Theme& a, const Theme& b) { return a.order < b.order; });
    return themes;
}

} // namespace kiosk::accessibility
