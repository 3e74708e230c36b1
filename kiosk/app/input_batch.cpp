#include "kiosk/app/input_batch.hpp"

namespace kiosk::app {

std::size_t eventsForThisFrame(const std::deque<InputEvent>& queue) {
    std::size_t n = 0;
    while (n < queue.size()) {
        if (!queue[n++].isChar) break;  // one key change ends the frame
    }
    return n;
}

std::optional<std::size_t> releaseWhileHolding(const std::deque<InputEvent>& queue) {
    constexpr int kRelease = 0;  // GLFW_RELEASE
    for (std::size_t i = 0; i < queue.size(); ++i) {
        if (queue[i].isChar) continue;
        if (queue[i].action == kRelease) return i;
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace kiosk::app
