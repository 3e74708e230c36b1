// libFuzzer: string files and placeholder substitution.
#include "accessibility/strings.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto [strings, error] = kiosk::accessibility::Strings::parse(text, "xx");
    for (const auto& key : strings.keys()) (void)strings.format(key, {{"name", "Zoë"}, {"count", "3"}});
    (void)kiosk::accessibility::substitute(text, {{"a", "b"}});
    return 0;
}
