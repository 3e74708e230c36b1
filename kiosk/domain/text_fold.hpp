#pragma once
// Folding for search: lower case, Latin diacritics removed, composed or
// decomposed ("Zoë Ñúñez" ->
// "zoe nunez"), everything that is not a letter or digit becomes a space.
#include <string>
#include <string_view>

namespace kiosk::domain {

std::string foldForSearch(std::string_view utf8);

// Decodes one UTF-8 code point at `pos`, advancing it. Invalid bytes yield
// U+FFFD and advance by one, so hostile input never loops or overreads.
char32_t decodeUtf8(std::string_view s, std::size_t& pos);

// True when the bytes are well-formed UTF-8 (roster import checks this).
bool isValidUtf8(std::string_view s);

// True when the text holds a control character: C0 (tab and line breaks
// too), DEL or C1 (U+0080-U+009F; U+009B is a terminal's CSI like ESC [).
// No name, title or identifier from outside carries one.
bool hasControlCharacter(std::string_view utf8);

// Without the spaces and tabs around it: an ID as typed ("S100001 ").
std::string trimSpaces(std::string_view text);

} // namespace kiosk::domain
