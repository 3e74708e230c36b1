#pragma once
// The one escaping step between outside text (a file, the network, the
// database) and a terminal or the journal: control characters, escape
// sequences, bidirectional overrides and invalid UTF-8 become visible
// escapes (\x1b, \u202e), so a USB file or a server cannot move the cursor,
// recolour the screen, hide text or forge a journal line.
#include <string>
#include <string_view>

namespace kiosk::app {

// Valid printable UTF-8 passes unchanged; a backslash is doubled so every
// escape reads one way.
std::string printable(std::string_view text);

} // namespace kiosk::app
