// Scheduled accommodations → what the kiosk applies by itself, named with the
// Access for All PNP vocabulary; and the site default with a profile on top.
#include "accessibility/accommodation_profile.hpp"
#include "accessibility/text_settings.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace kiosk::accessibility;

namespace {

const std::string kDemoNs = "uri://testsite.example.org/AccommodationDescriptor#";

AccommodationProfile profileOf(std::initializer_list<std::string> codes) {
    std::vector<std::string> uris;
    for (const auto& c : codes) uris.push_back(kDemoNs + c);
    return profileFromDescriptors(uris);
}

bool hasTerm(const AccommodationProfile& p, const std::string& term) {
    return std::find(p.pnpTerms.begin(), p.pnpTerms.end(), term) != p.pnpTerms.end();
}

} // namespace

TEST_CASE("each demo roster accommodation maps to its PNP term and setting") {
    SUBCASE("Large print: magnification to 200%") {
        auto p = profileOf({"Large print"});
        CHECK(p.textScalePercent == 200);
        CHECK(p.pnpTerms == std::vector<std::string>{"magnification"});
        CHECK(p.unrecognised.empty());
    }
    SUBCASE("Color contrast: the high-contrast theme") {
        auto p = profileOf({"Color contrast"});
        CHECK(p.themeId == "high-contrast-dark");
        CHECK(p.pnpTerms == std::vector<std::string>{"high-contrast"});
    }
    SUBCASE("Read aloud: spoken") {
        auto p = profileOf({"Read aloud"});
        CHECK(p.readAloud);
        CHECK(p.pnpTerms == std::vector<std::string>{"spoken"});
    }
    SUBCASE("Extended time 1.5x: additional-testing-time, multiplier 1.5") {
        auto p = profileOf({"Extended time 1.5x"});
        CHECK(p.time == TimeAllowance::times(1.5));
        CHECK(p.time.stretch() == 1.5);
        CHECK(p.pnpTerms == std::vector<std::string>{"additional-testing-time"});
    }
    SUBCASE("Breaks as needed: environment/breaks") {
        auto p = profileOf({"Breaks as needed"});
        CHECK(p.breaksAsNeeded);
        CHECK(p.pnpTerms == std::vector<std::string>{"environment/breaks"});
        CHECK(p.time == TimeAllowance::standard());
    }
    SUBCASE("Spanish directions: language-of-interface es") {
        auto p = profileOf({"Spanish directions"});
        CHECK(p.language == "es");
        CHECK(p.pnpTerms == std::vector<std::string>{"language-of-interface"});
    }
    SUBCASE("Separate setting: the proctor's to arrange, shown but nothing to apply") {
        auto p = profileOf({"Separate setting"});
        CHECK(p.separateSetting);
        CHECK(p.pnpTerms == std::vector<std::string>{"environment"});
        CHECK_FALSE(p.textScalePercent);
        CHECK_FALSE(p.themeId);
        CHECK_FALSE(p.readAloud);
    }
}

TEST_CASE("time multipliers: 1.5, 2, 3 and unlimited, rounded up, never down") {
    CHECK(profileOf({"Extended time 2x"}).time == TimeAllowance::times(2.0));
    CHECK(profileOf({"Extended time 3x"}).time == TimeAllowance::times(3.0));
    CHECK(profileOf({"Extended time 1.5\xC3\x97"}).time == TimeAllowance::times(1.5));  // "×"
    CHECK(profileOf({"Extended time 150%"}).time == TimeAllowance::times(1.5));
    CHECK(profileOf({"Extended time 50%"}).time == TimeAllowance::times(1.5));
    CHECK(profileOf({"Extended time 200%"}).time == TimeAllowance::times(2.0));
    CHECK(profileOf({"Double time"}).time == TimeAllowance::times(2.0));
    CHECK(profileOf({"Extended time"}).time == TimeAllowance::times(1.5));
    CHECK(profileOf({"Extended time 2.5x"}).time == TimeAllowance::times(3.0));
    CHECK(profileOf({"Extended time 4x"}).time == TimeAllowance::unlimited());
    CHECK(profileOf({"Unlimited time"}).time == TimeAllowance::unlimited());
    CHECK(profileOf({"Untimed"}).time == TimeAllowance::unlimited());
    CHECK(allowanceFromMultiplier(1.0) == TimeAllowance::standard());
    CHECK(allowanceFromMultiplier(1.2) == TimeAllowance::times(1.5));
    // Two extensions on one roster: the longer one holds.
    CHECK(profileOf({"Extended time 2x", "Extended time 1.5x"}).time == TimeAllowance::times(2.0));
    CHECK(profileOf({"Extended time 1.5x", "Unlimited time"}).time == TimeAllowance::unlimited());
    // Unlimited stretches idle time-outs ten times (WCAG 2.2.1), so the machine is still freed.
    CHECK(TimeAllowance::unlimited().stretch() == 10.0);
    CHECK(TimeAllowance::standard().stretch() == 1.0);
}

TEST_CASE("state descriptor wording and the Smarter Balanced palettes") {
    CHECK(profileOf({"Magnification 300%"}).textScalePercent == 300);
    CHECK(profileOf({"Magnification 160%"}).textScalePercent == 175);  // the next step up
    CHECK(profileOf({"Zoom"}).textScalePercent == 200);
    CHECK(profileOf({"Black on rose"}).themeId == "black-on-rose");
    CHECK(profileOf({"Yellow on blue"}).themeId == "yellow-on-blue");
    CHECK(profileOf({"Gray on gray"}).themeId == "grey-on-grey");
    auto reverse = profileOf({"Reverse contrast"});
    CHECK(reverse.themeId == "reverse-contrast");
    CHECK(hasTerm(reverse, "invert-display-polarity"));
    CHECK(profileOf({"Text-to-speech"}).readAloud);
    auto line = profileOf({"Line reader"});
    CHECK(line.lineReader);
    CHECK(hasTerm(line, "line-reader"));
    auto glossary = profileOf({"Spanish glossary"});
    CHECK(glossary.keywordTranslation);
    CHECK_FALSE(glossary.language);  // a glossary is not a Spanish interface
    CHECK(hasTerm(glossary, "keyword-translation"));
    auto spacing = profileOf({"Increased text spacing"});
    CHECK(spacing.wideSpacing);
    CHECK(profileOf({"OpenDyslexic font"}).face == FontFace::OpenDyslexic);
    // Matching ignores case and works on a bare code value too.
    std::vector<std::string> bare{"LARGE PRINT", "read ALOUD"};
    auto p = profileFromDescriptors(bare);
    CHECK(p.textScalePercent == 200);
    CHECK(p.readAloud);
}

TEST_CASE("several accommodations combine, and unknown ones are kept for the proctor, not dropped") {
    auto p = profileOf({"Large print", "Read aloud", "Color contrast", "Extended time 1.5x", "Spanish directions", "Scribe"});
    CHECK(p.textScalePercent == 200);
    CHECK(p.readAloud);
    CHECK(p.themeId == "high-contrast-dark");
    CHECK(p.time == TimeAllowance::times(1.5));
    CHECK(p.language == "es");
    CHECK(p.pnpTerms ==
          std::vector<std::string>{"magnification", "spoken", "high-contrast", "additional-testing-time", "language-of-interface"});
    REQUIRE(p.unrecognised.size() == 1);
    CHECK(p.unrecognised[0] == kDemoNs + "Scribe");
    // The first colour choice wins; a term is listed once.
    auto two = profileOf({"Yellow on blue", "Color contrast"});
    CHECK(two.themeId == "yellow-on-blue");
    CHECK(two.pnpTerms == std::vector<std::string>{"high-contrast"});
    CHECK(profileFromDescriptors({}).pnpTerms.empty());
}

TEST_CASE("a profile is laid over the site default and never shrinks text") {
    DisplayPreferences site;
    site.themeId = "yellow-on-blue";
    site.text.scalePercent = 125;
    site.speechRate = 200;

    auto none = applyProfile(site, AccommodationProfile{});
    CHECK(none == site);

    auto p = profileOf({"Large print", "Read aloud", "Spanish directions", "Increased spacing"});
    auto applied = applyProfile(site, p);
    CHECK(applied.text.scalePercent == 200);
    CHECK(applied.readAloud);
    CHECK(applied.language == "es");
    CHECK(applied.themeId == "yellow-on-blue");  // no colour accommodation: the site's stays
    CHECK(applied.speechRate == 200);
    CHECK(applied.text.lineSpacing == kWideLineSpacing);
    CHECK(applied.text.letterSpacing == kWideLetterSpacing);

    site.text.scalePercent = 250;
    CHECK(applyProfile(site, profileOf({"Large print"})).text.scalePercent == 250);
    CHECK(applyProfile(site, profileOf({"Color contrast"})).themeId == "high-contrast-dark");
}

namespace {
bool covers(const std::uint16_t* ranges, std::uint16_t codepoint) {
    for (; ranges && ranges[0]; ranges += 2)
        if (codepoint >= ranges[0] && codepoint <= ranges[1]) return true;
    return false;
}
} // namespace

TEST_CASE("IDs are drawn with a plain zero: the default face's slashed digits give way to the fallback's") {
    auto stack = fontStack("/assets", FontFace::AtkinsonHyperlegible);
    REQUIRE(stack.size() == 2);
    CHECK(stack[0].path.filename() == "AtkinsonHyperlegible-Regular.ttf");
    CHECK_FALSE(stack[0].mergeIntoPrevious);
    CHECK(stack[1].mergeIntoPrevious);
    for (std::uint16_t digit = '0'; digit <= '9'; ++digit) {
        CHECK_FALSE(covers(stack[0].glyphRanges, digit));
        CHECK(covers(stack[1].glyphRanges, digit));
    }
    // Everything else a name needs stays in the main face.
    for (std::uint16_t c : {std::uint16_t{'S'}, std::uint16_t{0x00EB}, std::uint16_t{0x00D1}, std::uint16_t{'/'}, std::uint16_t{':'}})
        CHECK(covers(stack[0].glyphRanges, c));
}

TEST_CASE("titles take each face's bold where the file is there") {
    auto bold = fontStack(KIOSK_TEST_ASSETS_DIR, FontFace::AtkinsonHyperlegible, true);
    REQUIRE(bold.size() == 2);
    CHECK(bold[0].path.filename() == "AtkinsonHyperlegible-Bold.ttf");
    // No bold OpenDyslexic is shipped: its regular is used rather than nothing.
    auto dyslexic = fontStack(KIOSK_TEST_ASSETS_DIR, FontFace::OpenDyslexic, true);
    CHECK(dyslexic[0].path.filename() == "OpenDyslexic-Regular.otf");
}
