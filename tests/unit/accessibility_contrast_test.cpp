// WCAG contrast, computed: the formula against known values, then every
// theme file in assets/themes/ (a new file is checked with no new test).
#include "accessibility/contrast.hpp"
#include "accessibility/theme.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

using namespace kiosk::accessibility;

namespace {

const std::filesystem::path kThemesDir = std::filesystem::path(KIOSK_TEST_ASSETS_DIR) / "themes";

Rgb8 hex(std::string_view h) {
    auto c = parseHexColour(h);
    REQUIRE(c.has_value());
    return *c;
}

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

std::vector<std::filesystem::path> themeFiles() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(kThemesDir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

TEST_CASE("the WCAG contrast formula gives the published values") {
    CHECK(relativeLuminance(hex("#FFFFFF")) == doctest::Approx(1.0));
    CHECK(relativeLuminance(hex("#000000")) == doctest::Approx(0.0));
    CHECK(contrastRatio(hex("#000000"), hex("#FFFFFF")) == doctest::Approx(21.0));
    CHECK(contrastRatio(hex("#FFFFFF"), hex("#000000")) == doctest::Approx(21.0));  // order does not matter
    CHECK(contrastRatio(hex("#777777"), hex("#FFFFFF")) == doctest::Approx(4.48).epsilon(0.002));
    CHECK(contrastRatio(hex("#777777"), hex("#FFFFFF")) < 4.5);  // the classic near miss
    CHECK(contrastRatio(hex("#767676"), hex("#FFFFFF")) == doctest::Approx(4.54).epsilon(0.002));
    CHECK(contrastRatio(hex("#767676"), hex("#FFFFFF")) >= 4.5);
    CHECK(contrastRatio(hex("#595959"), hex("#FFFFFF")) == doctest::Approx(7.0).epsilon(0.005));
    CHECK(contrastRatio(hex("#123456"), hex("#123456")) == doctest::Approx(1.0));
    // Linearisation: pure primaries have the published luminance weights.
    CHECK(relativeLuminance(hex("#FF0000")) == doctest::Approx(0.2126));
    CHECK(relativeLuminance(hex("#00FF00")) == doctest::Approx(0.7152));
    CHECK(relativeLuminance(hex("#0000FF")) == doctest::Approx(0.0722));
    // Below the 0.04045 knee the channel is divided by 12.92, not raised to 2.4.
    CHECK(relativeLuminance(hex("#0A0A0A")) == doctest::Approx(10.0 / 255.0 / 12.92));
}

TEST_CASE("hex colours parse strictly") {
    CHECK(parseHexColour("#0B57A4") == Rgb8{0x0B, 0x57, 0xA4, 255});
    CHECK(parseHexColour("#0b57a480") == Rgb8{0x0B, 0x57, 0xA4, 0x80});
    CHECK_FALSE(parseHexColour("0B57A4"));
    CHECK_FALSE(parseHexColour("#0B57A"));
    CHECK_FALSE(parseHexColour("#0G57A4"));
    CHECK_FALSE(parseHexColour(""));
    CHECK(toHex(Rgb8{1, 2, 255, 255}) == "#0102FF");
}

TEST_CASE("every theme file meets its contrast bar: text 4.5:1 (7:1 high contrast), focus ring and borders 3:1") {
    auto files = themeFiles();
    REQUIRE(files.size() >= 7);
    std::set<std::string> ids;
    for (const auto& file : files) {
        INFO("theme file: " << file.filename().string());
        auto loaded = parseTheme(readFile(file));
        INFO("loader says: " << loaded.error);
        REQUIRE(loaded.theme.has_value());
        const Theme& t = *loaded.theme;
        CHECK(ids.insert(t.id).second);
        double textBar = t.kind == ThemeKind::HighContrast ? 7.0 : 4.5;
        CHECK(t.minimumTextContrast >= textBar);
        // Every pair the UI draws is listed, so none escapes the check below.
        for (const auto& p : requiredTextPairs()) CHECK(std::find(t.textPairs.begin(), t.textPairs.end(), p) != t.textPairs.end());
        for (const auto& p : requiredNonTextPairs())
            CHECK(std::find(t.nonTextPairs.begin(), t.nonTextPairs.end(), p) != t.nonTextPairs.end());
        // A field's selected text keeps the text colour: its background is checked
        // against it (tabbing into a filled field selects all of it).
        CHECK(t.colours.count("textSelection") == 1);
        CHECK(std::find(t.textPairs.begin(), t.textPairs.end(), RolePair{"text", "textSelection"}) != t.textPairs.end());
        for (const auto& pair : t.textPairs) {
            const auto& fg = pair.first;  // not a structured binding: INFO captures it in a lambda
            const auto& bg = pair.second;
            double ratio = contrastRatio(t.colour(fg), t.colour(bg));
            INFO(fg << " " << toHex(t.colour(fg)) << " on " << bg << " " << toHex(t.colour(bg)) << " = " << ratio);
            CHECK(ratio >= textBar);
        }
        for (const auto& pair : t.nonTextPairs) {
            const auto& fg = pair.first;  // not a structured binding: INFO captures it in a lambda
            const auto& bg = pair.second;
            double ratio = contrastRatio(t.colour(fg), t.colour(bg));
            INFO(fg << " " << toHex(t.colour(fg)) << " on " << bg << " " << toHex(t.colour(bg)) << " = " << ratio);
            CHECK(ratio >= 3.0);
        }
        CHECK(contrastFailures(t).empty());
    }
}

TEST_CASE("the kiosk offers the seven palettes, high-contrast ones declared as such") {
    std::vector<std::string> problems;
    auto themes = loadThemes(kThemesDir, &problems);
    INFO((problems.empty() ? std::string() : problems.front()));
    CHECK(problems.empty());
    std::set<std::string> ids;
    for (const auto& t : themes) ids.insert(t.id);
    for (const char* id : {"default", "high-contrast-dark", "high-contrast-light", "black-on-rose", "yellow-on-blue", "grey-on-grey",
                           "reverse-contrast"})
        CHECK(ids.count(id) == 1);
    REQUIRE_FALSE(themes.empty());
    CHECK(themes.front().id == "default");  // sorted by "order"
    for (const auto& t : themes)
        if (t.id.rfind("high-contrast", 0) == 0) CHECK(t.kind == ThemeKind::HighContrast);
}

TEST_CASE("a theme file cannot lower the bar its kind must meet") {
    auto text = readFile(kThemesDir / "high-contrast-dark.json");
    auto at = text.find("\"minimumTextContrast\": 7.0");
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string("\"minimumTextContrast\": 7.0").size(), "\"minimumTextContrast\": 3.0");
    auto loaded = parseTheme(text);
    REQUIRE(loaded.theme.has_value());
    CHECK(loaded.theme->minimumTextContrast == 7.0);
    CHECK(loaded.theme->minimumNonTextContrast == 3.0);
}

TEST_CASE("the theme loader refuses malformed files with an error that says what is wrong") {
    const std::string good = readFile(kThemesDir / "default.json");
    REQUIRE(parseTheme(good).theme.has_value());
    auto broken = [&](std::string_view from, std::string_view to) {
        std::string t = good;
        auto at = t.find(from);
        REQUIRE(at != std::string::npos);
        t.replace(at, from.size(), to);
        return parseTheme(t);
    };
    struct Case {
        std::string_view from, to, error;
    };
    const Case cases[] = {
        {"{", "[", "not a JSON object"},
        {"\"colors\": {", "\"colors\": {,", "not a JSON object"},
        {"\"id\": \"default\"", "\"id\": \"\"", "\"id\" and \"nameKey\" are required"},
        {"\"kind\": \"default\"", "\"kind\": \"fancy\"", "\"kind\" must be default, high-contrast or overlay"},
        {"\"text\": \"#111827\"", "\"text\": \"dark grey\"", "colour \"text\" must be an opaque \"#RRGGBB\""},
        {"\"text\": \"#111827\"", "\"text\": \"#11182780\"", "colour \"text\" must be an opaque \"#RRGGBB\""},
        {"\"focusRing\": \"#B02A00\",", "", "missing colour role \"focusRing\""},
        {"[\"text\", \"background\"],", "", "\"textPairs\" must list [\"text\", \"background\"]"},
        {"[\"focusRing\", \"surface\"],", "", "\"nonTextPairs\" must list [\"focusRing\", \"surface\"]"},
        {"[\"text\", \"background\"]", "[\"text\", \"paper\"]", "\"textPairs\" names an unknown colour role: text / paper"},
        {"[\"text\", \"background\"]", "[\"text\"]", "each entry of \"textPairs\" must be two colour role names"},
        {"\"minimumTextContrast\": 4.5", "\"minimumTextContrast\": \"high\"", "\"minimumTextContrast\" must be a number"},
    };
    for (const auto& c : cases) {
        INFO("replacing " << c.from << " with " << c.to);
        auto loaded = broken(c.from, c.to);
        CHECK_FALSE(loaded.theme.has_value());
        CHECK(loaded.error.find(c.error) != std::string::npos);
        INFO("got: " << loaded.error);
    }
}

TEST_CASE("loading a folder keeps the good themes and names each bad file and why") {
    kiosk::test::TempDir dir;
    std::filesystem::copy_file(kThemesDir / "default.json", dir / "default.json");
    std::ofstream(dir / "broken.json") << "{ \"id\": ";
    std::string lowContrast = readFile(kThemesDir / "default.json");
    lowContrast.replace(lowContrast.find("\"id\": \"default\""), std::string("\"id\": \"default\"").size(), "\"id\": \"pale\"");
    lowContrast.replace(lowContrast.find("\"text\": \"#111827\""), std::string("\"text\": \"#111827\"").size(), "\"text\": \"#999999\"");
    std::ofstream(dir / "pale.json") << lowContrast;
    std::filesystem::copy_file(kThemesDir / "default.json", dir / "twin.json");
    std::ofstream(dir / "notes.txt") << "not a theme";

    std::vector<std::string> problems;
    auto themes = loadThemes(dir.path(), &problems);
    REQUIRE(themes.size() == 1);
    CHECK(themes[0].id == "default");
    REQUIRE(problems.size() == 3);
    std::string all;
    for (const auto& p : problems) all += p + "\n";
    INFO(all);
    CHECK(all.find("broken.json: not a JSON object") != std::string::npos);
    CHECK(all.find("pale.json: text on background has contrast") != std::string::npos);
    CHECK(all.find("twin.json: another theme already has the id \"default\"") != std::string::npos);
}
