#include "accessibility/accommodation_profile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string_view>

namespace kiosk::accessibility {

namespace {

// "uri://…/AccommodationDescriptor#Large print" → "large print" (ASCII folded;
// "×" and "Español" are kept as UTF-8 and matched as written).
std::string codeValueLower(const std::string& descriptor) {
    auto hash = descriptor.rfind('#');
    std::string v = hash == std::string::npos ? descriptor : descriptor.substr(hash + 1);
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
}

bool has(std::string_view text, std::string_view word) { return text.find(word) != std::string_view::npos; }

template <std::size_t N>
bool hasAny(std::string_view text, const std::array<std::string_view, N>& words) {
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return has(text, w); });
}

void addTerm(AccommodationProfile& p, const char* term) {
    if (std::find(p.pnpTerms.begin(), p.pnpTerms.end(), term) == p.pnpTerms.end()) p.pnpTerms.emplace_back(term);
}

// The first number in the text followed by `suffix` ("1.5x", "150%"), or nothing.
std::optional<double> numberBefore(std::string_view text, std::string_view suffix) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) continue;
        std::size_t j = i;
        while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
        std::size_t k = j;
        while (k < text.size() && text[k] == ' ') ++k;
        if (text.substr(k, suffix.size()) == suffix) {
            try {
                return std::stod(std::string(text.substr(i, j - i)));
            } catch (...) {
                return std::nullopt;
            }
        }
        i = j;
    }
    return std::nullopt;
}

TimeAllowance timeFrom(std::string_view v) {
    if (hasAny(v, std::array<std::string_view, 3>{"unlimited", "untimed", "no time limit"})) return TimeAllowance::unlimited();
    if (auto m = numberBefore(v, "x")) return allowanceFromMultiplier(*m);
    if (auto m = numberBefore(v, "\xC3\x97")) return allowanceFromMultiplier(*m);  // "1.5×"
    if (auto pct = numberBefore(v, "%")) return allowanceFromMultiplier(*pct >= 100 ? *pct / 100.0 : 1.0 + *pct / 100.0);
    if (has(v, "triple")) return TimeAllowance::times(3.0);
    if (has(v, "double")) return TimeAllowance::times(2.0);
    return TimeAllowance::times(1.5);  // "Extended time", "time and a half": the sponsors' usual extension
}

int scaleFrom(std::string_view v) {
    if (auto pct = numberBefore(v, "%")) {
        int wanted = static_cast<int>(std::lround(*pct));
        for (int step : scaleSteps())
            if (step >= wanted) return step;
        return scaleSteps().back();
    }
    return 200;  // large print: twice the size
}

} // namespace

TimeAllowance allowanceFromMultiplier(double m) {
    if (!(m > 1.0)) return TimeAllowance::standard();
    for (double step : {1.5, 2.0, 3.0})
        if (m <= step + 1e-9) return TimeAllowance::times(step);
    return TimeAllowance::unlimited();
}

void addDescriptor(AccommodationProfile& p, const std::string& descriptor) {
    std::string v = codeValueLower(descriptor);
    bool matched = false;
    using W = std::array<std::string_view, 5>;

    if (hasAny(v, W{"large print", "magnif", "zoom", "enlarge", "large text"})) {
        p.textScalePercent = std::max(p.textScalePercent.value_or(100), scaleFrom(v));
        addTerm(p, "magnification");
        matched = true;
    }
    std::optional<std::string> theme;
    const char* themeTerm = "high-contrast";
    if (hasAny(v, W{"reverse contrast", "invert", "reverse video", "reversed", "white on black"})) {
        theme = "reverse-contrast";
        themeTerm = "invert-display-polarity";
    } else if (has(v, "rose")) {
        theme = "black-on-rose";
    } else if (has(v, "yellow on blue")) {
        theme = "yellow-on-blue";
    } else if (hasAny(v, std::array<std::string_view, 2>{"grey on grey", "gray on gray"})) {
        theme = "grey-on-grey";
    } else if (hasAny(v, W{"high contrast", "color contrast", "colour contrast", "contrast", "color overlay"})) {
        theme = "high-contrast-dark";
    }
    if (theme) {
        if (!p.themeId) p.themeId = theme;  // the first colour choice on the roster wins
        addTerm(p, themeTerm);
        matched = true;
    }
    if (hasAny(v, std::array<std::string_view, 2>{"dyslexi", "opendyslexic"})) {
        p.face = FontFace::OpenDyslexic;
        addTerm(p, "text-appearance");
        matched = true;
    }
    if (has(v, "spacing")) {
        p.wideSpacing = true;
        addTerm(p, "text-appearance");
        matched = true;
    }
    if (hasAny(v, W{"read aloud", "read-aloud", "text-to-speech", "text to speech", "oral"}) || v == "tts") {
        p.readAloud = true;
        addTerm(p, "spoken");
        matched = true;
    }
    if (hasAny(v, W{"line reader", "line-reader", "masking", "line guide", "line focus"})) {
        p.lineReader = true;
        addTerm(p, "line-reader");
        matched = true;
    }
    if (hasAny(v, W{"extended time", "extra time", "additional time", "time and a half", "untimed"}) || has(v, "unlimited time") ||
        has(v, "double time")) {
        TimeAllowance t = timeFrom(v);
        if (t.stretch() > p.time.stretch()) p.time = t;
        addTerm(p, "additional-testing-time");
        matched = true;
    }
    if (has(v, "break")) {
        p.breaksAsNeeded = true;
        addTerm(p, "environment/breaks");
        matched = true;
    }
    if (hasAny(v, W{"separate setting", "small group", "separate room", "individual setting", "quiet room"})) {
        p.separateSetting = true;
        addTerm(p, "environment");
        matched = true;
    }
    if (hasAny(v, std::array<std::string_view, 3>{"spanish", "espa\xC3\xB1ol", "espanol"})) {
        if (hasAny(v, std::array<std::string_view, 3>{"glossary", "dictionary", "word-to-word"})) {
            p.keywordTranslation = true;
            addTerm(p, "keyword-translation");
        } else {
            p.language = "es";
            addTerm(p, "language-of-interface");
        }
        matched = true;
    }
    if (!matched) p.unrecognised.push_back(descriptor);
}

AccommodationProfile profileFromDescriptors(std::span<const std::string> descriptors) {
    AccommodationProfile p;
    for (const auto& d : descriptors) addDescriptor(p, d);
    return p;
}

DisplayPreferences applyProfile(const DisplayPreferences& site, const AccommodationProfile& p) {
    DisplayPreferences out = site;
    if (p.textScalePercent) out.text.scalePercent = std::max(site.text.scalePercent, std::clamp(*p.textScalePercent, 100, 300));
    if (p.themeId) out.themeId = *p.themeId;
    if (p.face) out.text.face = *p.face;
    if (p.wideSpacing) {
        out.text.lineSpacing = std::max(out.text.lineSpacing, kWideLineSpacing);
        out.text.letterSpacing = std::max(out.text.letterSpacing, kWideLetterSpacing);
    }
    if (p.readAloud) out.readAloud = true;
    if (p.language) out.language = *p.language;
    return out;
}

} // namespace kiosk::accessibility
