#include "sync/edfi/clock.hpp"

#include <chrono>

namespace edsync::edfi {

std::int64_t SystemClock::unixMs() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t SystemClock::steadyMs() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace edsync::edfi
