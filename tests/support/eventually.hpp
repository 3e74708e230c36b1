#pragma once
// Waits on a condition, never a pause: polls `ready` until it holds. The
// limit only stops a broken test from hanging; no test asserts on time.
#include <chrono>
#include <thread>

namespace kiosk::test {

template <class Ready>
bool eventually(Ready ready, std::chrono::seconds limit = std::chrono::seconds(30),
                std::chrono::milliseconds poll = std::chrono::milliseconds(2)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(poll);
    }
    return ready();
}

} // namespace kiosk::test
