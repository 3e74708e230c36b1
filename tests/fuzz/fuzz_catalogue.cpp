// libFuzzer: work-readiness task catalogue files.
#include "kiosk/store/work_repo.hpp"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto r = kiosk::store::parseCatalogue(std::string_view(reinterpret_cast<const char*>(data), size));
    if (r.document) {
        for (const auto& t : r.document->catalogue.tasks)
            if (!r.document->catalogue.area(t.areaId)) __builtin_trap();
        (void)kiosk::domain::progressOf({}, r.document->catalogue);
    } else if (r.error.empty()) {
        __builtin_trap();
    }
    return 0;
}
