#pragma once
// import-pending's upload: each record of a USB export goes to the state
// through the kiosk's one upload loop (edsync::edfi::Uploader), guarded as
// the kiosk's own writes are: If-Match with the ETag the file carries, and a
// lookup before a first write. An old file therefore never puts an older
// picture at the state (a 412, or "already at the state": refused), and a
// second upload — by this kiosk again, or later by the kiosk that wrote the
// file — finds the record as sent and changes nothing.
#include "kiosk/app/config.hpp"
#include "kiosk/app/pending_bundle.hpp"
#include "sync/edfi/session.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kiosk::app {

struct UploadTally {
    int stored = 0;   // 2xx: the state holds the record
    int retry = 0;    // 409, 429, 5xx, no answer: run import-pending again later
    int refused = 0;  // 400/403, a 412 or a record already at the state: not stored; a person decides
    // Per record not stored: what it is and what the server said. The words
    // may quote a student ID: shown to the technician, never logged.
    struct Problem {
        const BundleRecord* record = nullptr;  // into the records given to uploadBundle
        bool refused = false;                  // for good; otherwise: try again later
        std::optional<int> httpStatus;
        edsync::edfi::ServerWords words;
        std::string cause;
    };
    std::vector<Problem> problems;
    // Nothing could be sent at all (offline, credentials refused, ...).
    std::optional<edsync::edfi::ApiError> fatal;
};

// `tokens` (may be null) shares the kiosk's token with its other processes.
UploadTally uploadBundle(const StateConfig& state, const Credentials& credentials, const std::vector<BundleRecord>& records,
                         edsync::edfi::TokenStore* tokens = nullptr);

} // namespace kiosk::app
