#include "kiosk/app/printable.hpp"

#include <cstdint>
#include <cstdio>

namespace kiosk::app {

namespace {

void hexByte(std::string& out, unsigned char b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(b));
    out += buf;
}

void codePoint(std::string& out, std::uint32_t cp) {
    char buf[12];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    out += buf;
}

// Code points a terminal acts on or that reorder what is shown: C1
// controls, bidirectional embeddings/overrides/isolates, line and paragraph
// separators.
bool dangerous(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when invalid
// (overlong forms, surrogates and values past U+10FFFF included).
std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char lead = b(0);
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (lead >= 0xc2 && lead <= 0xdf) len = 2, cp = lead & 0x1fu, min = 0x80;
    else if (lead >= 0xe0 && lead <= 0xef) len = 3, cp = lead & 0x0fu, min = 0x800;
    else if (lead >= 0xf0 && lead <= 0xf4) len = 4, cp = lead & 0x07u, min = 0x10000;
    else return 0;
    if (i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

} // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\\') {
            out += "\\\\";
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            hexByte(out, c);
            ++i;
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else {
            std::uint32_t cp = 0;
            std::size_t len = decode(text, i, cp);
            if (len == 0) {
                hexByte(out, c);
                ++i;
            } else {
                if (dangerous(cp)) codePoint(out, cp);
                else out.append(text.substr(i, len));
                i += len;
            }
        }
    }
    return out;
}

} // namespace kiosk::app
