#pragma once
// Calendar dates the way the screen's language writes them: one format on
// every screen (sign-in, task form, entry lists, review). The store and the
// services keep ISO 8601 (YYYY-MM-DD); only what is shown or typed changes.
#include <optional>
#include <string>
#include <string_view>

namespace kiosk::domain {

// `order` is the language's "date.order": "mdy" (04/02/2009) or "dmy" (02/04/2009).
// A date that is not YYYY-MM-DD is shown as it is.
std::string formatLocalDate(std::string_view iso, std::string_view order);
// What a person typed, in that order (separators / - . or none, 8 digits),
// or YYYY-MM-DD; nullopt when it is no real date.
std::optional<std::string> parseLocalDate(std::string_view typed, std::string_view order);
// A date field whose language changed under it (F8): `text`, written in
// `writtenIn`, is written again in `order` when it is a whole date (12/05
// stays the fifth of December), and `writtenIn` becomes `order`. An empty
// `writtenIn` (nothing known yet) only takes `order`.
void reorderLocalDate(std::string& text, std::string& writtenIn, std::string_view order);

} // namespace kiosk::domain
