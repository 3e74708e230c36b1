// Every word on screen exists in every language, with the same placeholders.
#include "accessibility/a11y_tree.hpp"
#include "accessibility/strings.hpp"
#include "accessibility/theme.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>

#include <set>

using namespace kiosk::accessibility;

namespace {

const std::filesystem::path kAssets = KIOSK_TEST_ASSETS_DIR;

std::vector<std::string> languages() {
    std::vector<std::string> langs;
    for (const auto& e : std::filesystem::directory_iterator(kAssets / "strings"))
        if (e.path().extension() == ".json") langs.push_back(e.path().stem().string());
    std::sort(langs.begin(), langs.end());
    return langs;
}

Strings load(const std::string& lang) {
    auto loaded = Strings::load(kAssets / "strings", lang);
    const std::string& error = loaded.second;  // INFO captures it: no structured binding (clang-14)
    INFO(lang << ": " << error);
    REQUIRE(error.empty());
    return loaded.first;
}

// "{name}" placeholders, as a set.
std::set<std::string> placeholders(const std::string& text) {
    std::set<std::string> out;
    for (std::size_t i = text.find('{'); i != std::string::npos; i = text.find('{', i + 1)) {
        auto close = text.find('}', i);
        if (close == std::string::npos) break;
        out.insert(text.substr(i + 1, close - i - 1));
    }
    return out;
}

} // namespace

TEST_CASE("the interface exists in English and Spanish") {
    auto langs = languages();
    CHECK(std::find(langs.begin(), langs.end(), "en") != langs.end());
    CHECK(std::find(langs.begin(), langs.end(), "es") != langs.end());
}

TEST_CASE("every language has exactly the English keys, with the same placeholders") {
    auto en = load("en");
    auto enKeys = en.keys();
    REQUIRE(enKeys.size() > 100);
    for (const auto& lang : languages()) {
        if (lang == "en") continue;
        auto other = load(lang);
        for (const auto& key : enKeys) {
            INFO(lang << " lacks \"" << key << "\"");
            CHECK(other.has(key));
            if (!other.has(key)) continue;
            INFO(lang << " \"" << key << "\": " << other.get(key) << " / en: " << en.get(key));
            CHECK(placeholders(other.get(key)) == placeholders(en.get(key)));
            CHECK_FALSE(other.get(key).empty());
        }
        for (const auto& key : other.keys()) {
            INFO(lang << " has \"" << key << "\", which English does not");
            CHECK(en.has(key));
        }
    }
}

TEST_CASE("the placeholder check can fail: a renamed placeholder is a different set") {
    CHECK(placeholders("{name} checked in at {time}") == std::set<std::string>{"name", "time"});
    CHECK(placeholders("{nombre} entró a las {time}") != placeholders("{name} checked in at {time}"));
    CHECK(placeholders("no placeholder").empty());
}

TEST_CASE("every role, theme name and language name has words in every language") {
    std::vector<std::string> problems;
    auto themes = loadThemes(kAssets / "themes", &problems);
    REQUIRE_FALSE(themes.empty());
    for (const auto& lang : languages()) {
        auto s = load(lang);
        for (int r = 0; r <= static_cast<int>(Role::Alert); ++r) CHECK(s.has(roleKey(static_cast<Role>(r))));
        for (const auto& t : themes) {
            INFO(lang << ": theme " << t.id << " names " << t.nameKey);
            CHECK(s.has(t.nameKey));
        }
        for (const auto& other : languages()) CHECK(s.has("language." + other));
        for (const char* key : {"speech.blank", "speech.checked", "speech.notChecked", "speech.selected", "speech.notSelected",
                                "speech.unavailable"})
            CHECK(s.has(key));
    }
}

TEST_CASE("a missing key shows itself, and placeholders are filled by name") {
    auto en = load("en");
    CHECK(en.get("no.such.key") == "no.such.key");
    CHECK(en.format("feedback.checkedIn", {{"name", "Zoë Ñúñez"}, {"time", "14:02"}}) == "Zoë Ñúñez checked in at 14:02");
    CHECK(substitute("{a} and {b} and {a}", {{"a", "1"}}) == "1 and {b} and 1");
    auto [bad, error] = Strings::parse("{\"a\": 1, \"b\": \"ok\"}", "xx");
    CHECK(error.find("\"a\" is not text") != std::string::npos);
    CHECK(bad.get("b") == "ok");
    auto [notJson, error2] = Strings::parse("[1,2", "xx");
    CHECK(error2.find("not a JSON object") != std::string::npos);
}

namespace {
// The English sentences the domain and the services refuse with, as written
// in their sources: refuse("…"), refuse("… {value} …", {…}),
// ActionResult::refused("…"), Refusal{"…"}, and each field's sentences in
// work_entry.cpp's checkText(…, {max, "…", "…"}).
std::set<std::string> refusalsInSources() {
    const std::filesystem::path root = kAssets.parent_path();
    const std::regex literal(R"re((?:refuse|refused|Refusal\{)\("((?:[^"\\]|\\.)*)"[),])re");
    const std::regex fieldRule(R"re(checkText\([^{]*\{[^,]*, "((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\})re");
    const std::regex sentence(R"re(sentence = \{"((?:[^"\\]|\\.)*)")re");
    std::set<std::string> found;
    for (const char* dir : {"kiosk/domain", "kiosk/service"})
        for (const auto& e : std::filesystem::directory_iterator(root / dir)) {
            if (e.path().extension() != ".cpp") continue;
            std::ifstream in(e.path());
            std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            for (auto it = std::sregex_iterator(text.begin(), text.end(), literal); it != std::sregex_iterator(); ++it) found.insert((*it)[1].str());
            for (auto it = std::sregex_iterator(text.begin(), text.end(), sentence); it != std::sregex_iterator(); ++it) found.insert((*it)[1].str());
            for (auto it = std::sregex_iterator(text.begin(), text.end(), fieldRule); it != std::sregex_iterator(); ++it) {
                found.insert((*it)[1].str());
                found.insert((*it)[2].str());
            }
        }
    return found;
}
} // namespace

TEST_CASE("every refusal the domain and the services write has its Spanish sentence, and others stay as written") {
    Strings es = load("es");
    auto refusals = refusalsInSources();
    REQUIRE(refusals.size() > 40);  // the scan found the sources
    for (const auto& english : refusals) {
        INFO("not translated: " << english);
        CHECK(es.message(english) != english);
    }
    CHECK(es.message("This student is already on a break.") == "Este estudiante ya está en un descanso.");
    CHECK(es.message("A sentence nobody translated.") == "A sentence nobody translated.");
    Strings en = load("en");
    CHECK(en.message("This student is already on a break.") == "This student is already on a break.");
}

TEST_CASE("a damaged message catalogue is reported and the sentences stay in English") {
    kiosk::test::TempDir dir;
    std::filesystem::create_directories(dir.path() / "messages");
    std::ofstream(dir.path() / "es.json") << R"({"app.title": "Quiosco"})";
    std::ofstream(dir.path() / "messages" / "es.json") << "[not an object";
    auto loaded = Strings::load(dir.path(), "es");
    CHECK(loaded.second.find("messages/es.json") != std::string::npos);
    CHECK(loaded.first.get("app.title") == "Quiosco");
    CHECK(loaded.first.message("Enter a seat.") == "Enter a seat.");
}
