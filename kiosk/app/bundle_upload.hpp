#pragma once
// import-pending's upload: each record of a USB export goes to the state
// through the same Ed-Fi upsert the sync engine uses (Session::upsertRequest,
// classifyUpsert). An upsert on the natural key makes a second upload — by
// this kiosk again, or later by the kiosk that wrote the file — harmless.
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
    int refused = 0;  // 400/403: the server refused the record for good
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
