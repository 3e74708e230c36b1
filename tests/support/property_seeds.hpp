#pragma once
// The seeds a property test runs: KIOSK_PROPERTY_SEED runs one (the seed a
// failure named), KIOSK_PROPERTY_CASES sets how many. Under ASan a quarter
// of the default: that suite looks for memory errors, which the first few
// hundred cases already walk through.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace kiosk::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kPropertyCaseDivisor = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr int kPropertyCaseDivisor = 4;
#else
inline constexpr int kPropertyCaseDivisor = 1;
#endif
#else
inline constexpr int kPropertyCaseDivisor = 1;
#endif

inline std::vector<std::uint64_t> propertySeeds(std::uint64_t base, int defaultCases) {
    if (const char* one = std::getenv("KIOSK_PROPERTY_SEED")) return {std::strtoull(one, nullptr, 10)};
    int cases = defaultCases / kPropertyCaseDivisor;
    if (const char* n = std::getenv("KIOSK_PROPERTY_CASES")) cases = std::max(1, std::atoi(n));
    std::vector<std::uint64_t> out;
    for (int i = 0; i < cases; ++i) out.push_back(base + static_cast<std::uint64_t>(i));
    return out;
}

} // namespace kiosk::test
