#pragma once
#include <string>

namespace kiosk::service {

// What the UI shows after an action. `saved` is true only after COMMIT
// returned; otherwise `message` says why nothing was written.
struct ActionResult {
    bool saved = false;
    std::string message;
    std::string eventId;

    static ActionResult ok(std::string eventId, std::string message = {}) { return {true, std::move(message), std::move(eventId)}; }
    static ActionResult refused(std::string message) { return {false, std::move(message), {}}; }
};

} // namespace kiosk::service
