#pragma once
#include <cstddef>
#include <cstdint>

namespace kiosk::domain::detail {

struct FoldEntry {
    std::uint32_t codepoint;
    const char* ascii;
};
// Sorted by codepoint.
extern const FoldEntry kFoldTable[];
extern const std::size_t kFoldTableSize;

} // namespace kiosk::domain::detail
