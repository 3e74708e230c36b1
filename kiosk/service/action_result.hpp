#pragma once
#include "kiosk/domain/attendance.hpp"

#include <string>

namespace kiosk::service {

// What the UI shows after an action. `saved` is true only after COMMIT
// returned; otherwise it was refused (the rules said no: `sentence` says why,
// for the UI to translate) or it failed (`storageFailed`: the disk or the
// database, not the person; `message` holds the technical detail).
// `message` is always the English words, for logs and the command line.
struct ActionResult {
    bool saved = false;
    std::string message;
    std::string eventId;
    bool storageFailed = false;
    domain::Sentence sentence;

    static ActionResult ok(std::string eventId, std::string message = {}) {
        ActionResult r;
        r.saved = true;
        r.sentence.pattern = message;
        r.message = std::move(message);
        r.eventId = std::move(eventId);
        return r;
    }
    static ActionResult refused(std::string message) { return refused(domain::refuse(std::move(message))); }
    static ActionResult refused(const domain::Refusal& why) {
        ActionResult r;
        r.message = why.message;
        r.sentence = why.sentence;
        return r;
    }
    // Nothing was written because storage failed (disk full, read-only, damaged).
    static ActionResult failed(std::string detail) {
        ActionResult r;
        r.storageFailed = true;
        r.sentence.pattern = detail;
        r.message = std::move(detail);
        return r;
    }
};

} // namespace kiosk::service
