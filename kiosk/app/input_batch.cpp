#include "kiosk/app/input_batch.hpp"

namespace kiosk::app {

std::size_t eventsForThisFrame(const std::deque<InputEvent>& queue) {
    std::size_t n = 0;
    while (n < queue.size()) {
        if (!queue[n++].isChar) break;  // one key change ends the frame
    }
    return n;
}

} // namespace kiosk::app
