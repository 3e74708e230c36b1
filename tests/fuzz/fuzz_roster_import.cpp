// libFuzzer: roster files (outside input from a district's export).
#include "kiosk/store/roster_import.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kiosk::store::RosterData out;
    auto report = kiosk::store::parseRoster(std::string_view(reinterpret_cast<const char*>(data), size), out);
    // Every accepted item must satisfy what the parser promised.
    for (const auto& s : out.students)
        if (s.studentUniqueId.empty() || s.studentUniqueId.size() > 32 || s.firstName.empty()) __builtin_trap();
    if (!report.ok() && (!out.students.empty() || !out.sessions.empty())) __builtin_trap();
    return 0;
}
