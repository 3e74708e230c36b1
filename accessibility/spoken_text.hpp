#pragma once
// What read-aloud says, built from the accessibility tree and the strings'
// role.* and speech.* keys: nothing spoken is written anywhere else, so a
// test can compare the words with the tree.
#include "accessibility/a11y_tree.hpp"
#include "accessibility/strings.hpp"

#include <string>

namespace kiosk::accessibility {

// "Check in, button"; "Seat, text field, A1"; "Photo ID, radio button,
// selected"; "Sign off, button, unavailable". Line breaks and the "·"
// separators of labels become pauses (commas).
std::string describeNode(const Node& node, const Strings& strings);

// The whole screen in reading order (the tree's order); only the open dialog
// when one is open. A text label directly followed by the field it names is
// said once.
std::string describeScreen(const Tree& tree, const Strings& strings);

// Labels as a voice should read them: "A · B\nC" → "A, B, C".
std::string speakable(std::string_view label);

} // namespace kiosk::accessibility
