// libFuzzer: what a proctor types (and names in a roster) through folding and search.
#include "kiosk/domain/roster_index.hpp"
#include "kiosk/domain/text_fold.hpp"
#include "kiosk/domain/time.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string folded = kiosk::domain::foldForSearch(text);
    for (char c : folded)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ')) __builtin_trap();
    (void)kiosk::domain::isValidUtf8(text);
    (void)kiosk::domain::parseIso8601(text);
    kiosk::domain::RosterIndex index;
    index.build({{std::string(text.substr(0, size / 2)), std::string(text.substr(size / 2))}, {"S1", "Zoë Ñúñez"}});
    for (auto pos : index.search(text, 10))
        if (pos >= index.size()) __builtin_trap();
    return 0;
}
