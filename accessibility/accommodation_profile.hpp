#pragma once
// A student's scheduled accommodations, as they arrive with the roster
// (descriptor URIs such as "uri://…/AccommodationDescriptor#Large print"),
// mapped to what the kiosk applies by itself at sign-in: text size, colours,
// read-aloud, time multiplier, interface language. The vocabulary is 1EdTech
// Access for All (QTI 3 PNP); a state's own descriptor names are matched on
// their words, so "Large print", "Magnification 200%" and "Zoom" all land on
// `magnification`.
#include "accessibility/text_settings.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kiosk::accessibility {

// additional-testing-time: standard, a multiplier, or unlimited.
struct TimeAllowance {
    enum class Kind { Standard, Multiplier, Unlimited };
    Kind kind = Kind::Standard;
    double multiplier = 1.0;  // 1.5, 2 or 3 when kind == Multiplier

    static TimeAllowance standard() { return {}; }
    static TimeAllowance times(double m) { return {Kind::Multiplier, m}; }
    static TimeAllowance unlimited() { return {Kind::Unlimited, 1.0}; }
    // What a timer is stretched by. Unlimited stretches idle time-outs ten
    // times (WCAG 2.2.1's "at least ten times the default"), so a shared
    // machine is still freed when a student walks away.
    double stretch() const { return kind == Kind::Unlimited ? 10.0 : kind == Kind::Multiplier ? multiplier : 1.0; }
    bool operator==(const TimeAllowance&) const = default;
};

// Multipliers offered by the sponsors (WorkKeys: 1.5x up to 3x); any other
// figure is rounded up to the next one, and above 3x means unlimited.
TimeAllowance allowanceFromMultiplier(double m);

struct AccommodationProfile {
    std::optional<int> textScalePercent;   // magnification / text-appearance size
    std::optional<std::string> themeId;    // high-contrast, invert-display-polarity, colour overlays
    std::optional<FontFace> face;          // text-appearance face
    bool wideSpacing = false;              // text-appearance spacing (WCAG 1.4.12 values)
    bool readAloud = false;                // spoken
    bool lineReader = false;               // line-reader (the student screens' line-focus aid)
    bool breaksAsNeeded = false;           // environment/breaks
    bool separateSetting = false;          // environment: the proctor arranges it, the kiosk only shows it
    TimeAllowance time;                    // additional-testing-time
    std::optional<std::string> language;   // language-of-interface ("es")
    bool keywordTranslation = false;       // keyword-translation (glossary): shown, not automated

    std::vector<std::string> pnpTerms;     // AfA PNP names that apply, in order, without repeats
    std::vector<std::string> unrecognised; // descriptors with no automatic effect, shown to the proctor
};

// Whether the kiosk applies an AfA PNP term by itself at sign-in; the
// others (a separate setting, a glossary) are the proctor's to arrange.
inline bool appliedByKiosk(std::string_view pnpTerm) { return pnpTerm != "environment" && pnpTerm != "keyword-translation"; }

// One descriptor URI or bare code value ("Extended time 1.5x").
void addDescriptor(AccommodationProfile& profile, const std::string& descriptor);
AccommodationProfile profileFromDescriptors(std::span<const std::string> descriptors);

// What one person sees and hears: the site default, or a student's profile applied to it.
struct DisplayPreferences {
    std::string themeId = "default";
    TextSettings text;
    std::string language = "en";
    bool readAloud = false;
    int speechRate = 175;  // words per minute (espeak-ng: 80..450)
    bool operator==(const DisplayPreferences&) const = default;
};
inline constexpr int kMinSpeechRate = 80;
inline constexpr int kMaxSpeechRate = 450;

// The site default with the profile's settings laid over it; what the profile
// does not mention keeps the site's value, and a profile never makes text
// smaller than the site shows it.
DisplayPreferences applyProfile(const DisplayPreferences& siteDefault, const AccommodationProfile& profile);

// WCAG 1.4.12's spacing: line 1.5, letter 0.12 em (words follow letters).
inline constexpr float kWideLineSpacing = 1.5f;
inline constexpr float kWideLetterSpacing = 0.12f;

} // namespace kiosk::accessibility
