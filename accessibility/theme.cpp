#include "accessibility/theme.hpp"

#include "accessibility/assets.hpp"

#include "sync/core/files.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <tuple>

namespace kiosk::accessibility {

namespace {
// A theme or a language file is a few KiB; anything near this is not one.
} // namespace

using nlohmann::json;

const std::vector<std::string>& requiredColourRoles() {
    static const std::vector<std::string> roles{
        "background", "surface", "surfaceAlt", "text", "textMuted", "border", "button", "buttonHover", "buttonActive",
        "buttonText", "accent", "accentText", "focusRing", "inputBackground", "selection", "selectionText", "success",
        "warning", "danger", "banner", "bannerText", "scrollbar",
    };
    return roles;
}

const std::vector<RolePair>& requiredTextPairs() {
    static const std::vector<RolePair> pairs{
        {"text", "background"},      {"text", "surface"},          {"text", "surfaceAlt"},        {"text", "inputBackground"},
        {"textMuted", "background"}, {"textMuted", "surface"},     {"textMuted", "inputBackground"}, {"buttonText", "button"},
        {"buttonText", "buttonHover"}, {"buttonText", "buttonActive"}, {"accentText", "accent"},   {"selectionText", "selection"},
        {"bannerText", "banner"},    {"success", "surface"},       {"warning", "surface"},        {"danger", "surface"},
        {"success", "background"},   {"warning", "background"},    {"danger", "background"},
    };
    return pairs;
}

const std::vector<RolePair>& requiredNonTextPairs() {
    static const std::vector<RolePair> pairs{
        {"focusRing", "background"}, {"focusRing", "surface"},  {"focusRing", "surfaceAlt"}, {"focusRing", "button"},
        {"focusRing", "inputBackground"}, {"border", "background"}, {"border", "surface"},   {"border", "inputBackground"},
        {"scrollbar", "surface"},    {"scrollbar", "surfaceAlt"},
    };
    return pairs;
}

Rgb8 Theme::colour(const std::string& role) const {
    auto it = colours.find(role);
    return it == colours.end() ? Rgb8{255, 0, 255, 255} : it->second;
}

namespace {

bool readPairs(const json& doc, const char* key, const std::map<std::string, Rgb8>& colours, const std::vector<RolePair>& required,
               std::vector<RolePair>& out, std::string& error) {
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
    for (const auto& pair : required)
        if (std::find(out.begin(), out.end(), pair) == out.end()) {
            error = std::string("\"") + key + "\" must list [\"" + pair.first + "\", \"" + pair.second + "\"]: the UI draws that pair";
            return false;
        }
    return true;
}

} // namespace

ThemeLoad parseTheme(std::string_view text) {
    ThemeLoad out;
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        out.error = "not a JSON object (check for a missing comma or brace)";
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
    for (const char* key : {"minimumTextContrast", "minimumNonTextContrast"}) {
        auto m = doc.find(key);
        if (m == doc.end()) continue;
        if (!m->is_number()) {
            out.error = std::string("\"") + key + "\" must be a number";
            return out;
        }
        (std::string_view(key) == "minimumTextContrast" ? t.minimumTextContrast : t.minimumNonTextContrast) = m->get<double>();
    }
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
        if (!c || c->a != 255) {
            out.error = "colour \"" + role + "\" must be an opaque \"#RRGGBB\"";
            return out;
        }
        t.colours[role] = *c;
    }
    for (const auto& role : requiredColourRoles())
        if (!t.colours.count(role)) {
            out.error = "missing colour role \"" + role + "\"";
            return out;
        }
    if (!readPairs(doc, "textPairs", t.colours, requiredTextPairs(), t.textPairs, out.error)) return out;
    if (!readPairs(doc, "nonTextPairs", t.colours, requiredNonTextPairs(), t.nonTextPairs, out.error)) return out;
    out.theme = std::move(t);
    return out;
}

std::vector<ContrastFailure> contrastFailures(const Theme& t) {
    std::vector<ContrastFailure> out;
    auto check = [&](const std::vector<RolePair>& pairs, double required) {
        for (const auto& p : pairs) {
            double ratio = contrastRatio(t.colour(p.first), t.colour(p.second));
            if (ratio < required) out.push_back({p, ratio, required});
        }
    };
    check(t.textPairs, t.minimumTextContrast);
    check(t.nonTextPairs, t.minimumNonTextContrast);
    return out;
}

std::vector<Theme> loadThemes(const std::filesystem::path& dir, std::vector<std::string>* problems) {
    std::vector<Theme> themes;
    std::error_code ec;
    // In name order, so which of two files with one id wins never depends on the disk.
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        std::string file = path.filename().string();
        auto text = edsync::files::readBounded(path, {.maxBytes = kMaxAssetFileBytes, .magic = {}, .jsonObject = true});
        if (!text) {
            if (problems) problems->push_back(text.error());
            continue;
        }
        auto loaded = parseTheme(text.value());
        if (!loaded.theme) {
            if (problems) problems->push_back(file + ": " + loaded.error);
            continue;
        }
        if (auto failures = contrastFailures(*loaded.theme); !failures.empty()) {
            const auto& f = failures.front();
            if (problems)
                problems->push_back(file + ": " + f.pair.first + " on " + f.pair.second + " has contrast " + std::to_string(f.ratio) +
                                    ", below " + std::to_string(f.required));
            continue;
        }
        if (std::any_of(themes.begin(), themes.end(), [&](const Theme& t) { return t.id == loaded.theme->id; })) {
            if (problems) problems->push_back(file + ": another theme already has the id \"" + loaded.theme->id + "\"");
            continue;
        }
        themes.push_back(std::move(*loaded.theme));
    }
    if (ec && problems) problems->push_back("cannot read " + dir.string() + ": " + ec.message());
    std::sort(themes.begin(), themes.end(), [](const Theme& a, const Theme& b) { return std::tie(a.order, a.id) < std::tie(b.order, b.id); });
    return themes;
}

} // namespace kiosk::accessibility
