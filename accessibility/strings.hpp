#pragma once
// Every word on screen comes from assets/strings/<lang>.json: a flat object
// of key -> text, with {name} placeholders.
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kiosk::accessibility {

class Strings {
public:
    // Loads `lang` (e.g. "en", "es"); problems are returned, never thrown.
    static std::pair<Strings, std::string> load(const std::filesystem::path& stringsDir, const std::string& lang);
    static std::pair<Strings, std::string> parse(std::string_view jsonText, const std::string& lang);

    const std::string& language() const { return m_language; }
    // The text for `key`; the key itself when missing, so a gap is visible.
    const std::string& get(std::string_view key) const;
    bool has(std::string_view key) const;
    std::string format(std::string_view key, std::initializer_list<std::pair<std::string_view, std::string>> args) const;
    std::vector<std::string> keys() const;

    // The sentences the domain and the services compose (refusals, sign-in
    // answers) are written in English, as gettext's msgids are; a language's
    // strings/messages/<lang>.json maps each to its translation. One not in the
    // catalogue is shown as written, never dropped.
    std::string message(std::string_view english) const;

private:
    std::string m_language;
    std::unordered_map<std::string, std::string> m_text;
    std::unordered_map<std::string, std::string> m_messages;
    mutable std::string m_missing;
};

// Replaces {name} with its value; unknown placeholders stay as written.
std::string substitute(std::string_view pattern, std::initializer_list<std::pair<std::string_view, std::string>> args);

} // namespace kiosk::accessibility
