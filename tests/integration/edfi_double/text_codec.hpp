#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "edfi_double/clock.hpp"
#include "edfi_double/http_types.hpp"

namespace edfi_double {

std::optional<std::string> base64Decode(std::string_view text);

// Percent-decoding as used in query strings and form bodies ('+' is a space).
std::string formDecode(std::string_view text);
QueryParams parseFormUrlEncoded(std::string_view text);

// "user:secret" from "Basic base64(user:secret)"; nullopt when not Basic.
std::optional<std::pair<std::string, std::string>> parseBasicAuth(std::string_view header);

// IMF-fixdate for the Date header, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string httpDate(TimePoint when);
// ISO-8601 UTC with milliseconds, e.g. "2025-03-01T14:05:09.120Z".
std::string isoUtc(TimePoint when);

std::string toLowerAscii(std::string_view text);
std::string_view trim(std::string_view text);
bool startsWithNoCase(std::string_view text, std::string_view prefix);
std::string capitalizeFirst(std::string_view text);

// Random lowercase hex of `bytes` random bytes; ids, tokens, correlation ids.
std::string randomHex(std::size_t bytes);

} // namespace edfi_double
