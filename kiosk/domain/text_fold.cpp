#include "kiosk/domain/text_fold.hpp"

#include "kiosk/domain/fold_table.hpp"

#include <algorithm>

namespace kiosk::domain {

char32_t decodeUtf8(std::string_view s, std::size_t& pos) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char b0 = byte(pos);
    if (b0 < 0x80) {
        ++pos;
        return b0;
    }
    int len = (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3 : (b0 & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || pos + static_cast<std::size_t>(len) > s.size()) {
        ++pos;
        return U'\uFFFD';
    }
    char32_t cp = b0 & (0x7F >> len);
    for (int i = 1; i < len; ++i) {
        unsigned char b = byte(pos + static_cast<std::size_t>(i));
        if ((b & 0xC0) != 0x80) {
            ++pos;
            return U'\uFFFD';
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms and surrogates are not valid scalar values.
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++pos;
        return U'\uFFFD';
    }
    pos += static_cast<std::size_t>(len);
    return cp;
}

bool isValidUtf8(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t before = pos;
        char32_t cp = decodeUtf8(s, pos);
        if (cp == U'\uFFFD' && !(pos - before == 3 && s.substr(before, 3) == "\xEF\xBF\xBD")) return false;
    }
    return true;
}

bool hasControlCharacter(std::string_view utf8) {
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t cp = decodeUtf8(utf8, pos);
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true;
    }
    return false;
}

std::string trimSpaces(std::string_view text) {
    const auto space = [](char c) { return c == ' ' || c == '\t'; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    return std::string(text);
}

std::string foldForSearch(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size());
    auto pushSpace = [&] {
        if (!out.empty() && out.back() != ' ') out.push_back(' ');
    };
    std::size_t pos = 0;
    while (pos < utf8.size()) {
        char32_t cp = decodeUtf8(utf8, pos);
        if (cp < 0x80) {
            char c = static_cast<char>(cp);
            if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
            else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
            else pushSpace();
            continue;
        }
        // Combining diacritical marks: a decomposed (NFD) "n" + U+0303 folds
        // like the composed "ñ" instead of splitting the word in two.
        if (cp >= 0x0300 && cp <= 0x036F) continue;
        const auto* begin = detail::kFoldTable;
        const auto* end = detail::kFoldTable + detail::kFoldTableSize;
        const auto* it = std::lower_bound(begin, end, cp, [](const detail::FoldEntry& e, char32_t v) { return e.codepoint < v; });
        if (it != end && it->codepoint == cp) {
            for (const char* p = it->ascii; *p; ++p) {
                if (*p == '\'' || *p == '-') pushSpace();
                else out.push_back(*p);
            }
        } else {
            pushSpace();  // letters of other scripts are not searchable by ASCII keys
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

} // namespace kiosk::domain
