#include "accessibility/strings.hpp"

#include "accessibility/assets.hpp"

#include "sync/core/files.hpp"
#include "sync/core/fill_in.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace kiosk::accessibility {

namespace {
// A theme or a language file is a few KiB; anything near this is not one.
} // namespace

std::pair<Strings, std::string> Strings::parse(std::string_view text, const std::string& lang) {
    Strings s;
    s.m_language = lang;
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return {std::move(s), "strings file for \"" + lang + "\" is not a JSON object"};
    std::string problems;
    for (const auto& [key, value] : doc.items()) {
        if (!value.is_string()) {
            problems += (problems.empty() ? "" : "; ") + ("\"" + key + "\" is not text");
            continue;
        }
        s.m_text.emplace(key, value.get<std::string>());
    }
    return {std::move(s), problems};
}

std::pair<Strings, std::string> Strings::load(const std::filesystem::path& dir, const std::string& lang) {
    auto text = edsync::files::readBounded(dir / (lang + ".json"), {.maxBytes = kMaxAssetFileBytes, .magic = {}, .jsonObject = true});
    if (!text) {
        Strings s;
        s.m_language = lang;
        return {std::move(s), text.error()};
    }
    auto loaded = parse(text.value(), lang);
    // The message catalogue is optional (English needs none); a damaged one
    // is reported and the sentences stay in English.
    const auto catalogue = dir / "messages" / (lang + ".json");
    std::error_code ec;
    if (std::filesystem::exists(catalogue, ec)) {
        auto messages = edsync::files::readBounded(catalogue, {.maxBytes = kMaxAssetFileBytes, .magic = {}, .jsonObject = true});
        auto doc = messages ? nlohmann::json::parse(messages.value(), nullptr, false) : nlohmann::json();
        if (!doc.is_object()) {
            loaded.second += std::string(loaded.second.empty() ? "" : "; ") + "messages/" + lang + ".json is not a JSON object";
        } else {
            for (const auto& [english, translated] : doc.items())
                if (translated.is_string()) loaded.first.m_messages.emplace(english, translated.get<std::string>());
        }
    }
    return loaded;
}

std::string Strings::message(std::string_view english) const {
    auto it = m_messages.find(std::string(english));
    return it != m_messages.end() ? it->second : std::string(english);
}

const std::string& Strings::get(std::string_view key) const {
    auto it = m_text.find(std::string(key));
    if (it != m_text.end()) return it->second;
    m_missing = std::string(key);
    return m_missing;
}

bool Strings::has(std::string_view key) const { return m_text.count(std::string(key)) > 0; }

std::string Strings::format(std::string_view key, std::initializer_list<std::pair<std::string_view, std::string>> args) const {
    return substitute(get(key), args);
}

std::vector<std::string> Strings::keys() const {
    std::vector<std::string> out;
    out.reserve(m_text.size());
    for (const auto& [k, v] : m_text) out.push_back(k);
    return out;
}

std::string substitute(std::string_view pattern, std::initializer_list<std::pair<std::string_view, std::string>> args) {
    return edsync::fillIn(pattern, args);
}

} // namespace kiosk::accessibility
