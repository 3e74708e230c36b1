#pragma once
// A sentence for a person, kept translatable: the English pattern with {name}
// placeholders (gettext-style: the English is the message id) and the values
// that fill it. The UI translates the pattern with the message catalogue
// (assets/strings/messages/<lang>.json) and then fills it in; logs, the
// command line and tests read english().
#include "sync/core/fill_in.hpp"

#include <string>
#include <utility>
#include <vector>

namespace kiosk::domain {

using SentenceArgs = std::vector<std::pair<std::string, std::string>>;

struct Sentence {
    std::string pattern;
    SentenceArgs args;  // values: numbers, times; one that is itself a catalogue sentence is translated too

    std::string english() const { return edsync::fillIn(pattern, args); }
};

} // namespace kiosk::domain
