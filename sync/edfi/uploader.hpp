#pragma once
// Drains the outbox: claims due rows, POSTs each row's JSON (an Ed-Fi upsert
// on the natural key) several at a time, and records every outcome as soon
// as it arrives — acknowledge the version sent, retry later with backoff, or
// needs attention with the server's own words. Progress is saved per record.
#include "sync/edfi/session.hpp"
#include "sync/outbox/outbox.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace edsync::edfi {

using sqlite::Database;

enum class Verdict {
    Synced,          // 2xx: the server holds this version
    RetryLater,      // 409, 429, 5xx, no answer: keep it, try again after a backoff
    NeedsAttention,  // 400, 403 and other lasting refusals: a person must look
    Unauthorized,    // 401: the token, not the record, was refused
};

struct Disposition {
    Verdict verdict = Verdict::RetryLater;
    std::optional<int> httpStatus;
    std::string cause;                         // what the proctor or technician sees
    std::optional<std::int64_t> retryAfterMs;  // the server's Retry-After
    bool noResponse = false;                   // failed without any HTTP answer
    bool immediate = false;                    // retry at once (we stopped, not the server)
};

// How one upsert outcome should change its outbox row.
Disposition classifyUpsert(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs);

struct UploadOptions {
    int batchSize = 32;  // rows claimed per round; the transport runs `concurrency` of them at once
    BackoffPolicy backoff;
};

struct RoundStats {
    int claimed = 0;
    int synced = 0;
    int retried = 0;
    int attention = 0;
    int answered = 0;     // outcomes with any HTTP answer
    int noResponse = 0;   // outcomes with none
    int tokenRefreshes = 0;
    std::optional<std::string> lastCause;      // of the last failure in this round
    std::optional<std::int64_t> clockOffsetMs;  // from the last Date header seen

    // Every request of the round failed without an answer: the network is gone.
    bool offline() const { return noResponse > 0 && answered == 0; }
};

class Uploader {
public:
    Uploader(Session& session, transport::HttpClient& http, const Clock& clock, UploadOptions options,
             std::uint64_t seed = std::random_device{}());

    // One round: a token (cached), claim up to batchSize rows due by
    // `dueByUnixMs` (default: now), send them together, save each outcome.
    // A 401 triggers one token refresh and one resend of those rows.
    // Fails without claiming anything when no token can be had.
    ApiResult<RoundStats> runRound(Database& db, std::optional<std::int64_t> dueByUnixMs = std::nullopt);

private:
    sqlite::Status record(Database& db, const outbox::Claim& claim, const Disposition& d, RoundStats& stats);

    Session& m_session;
    transport::HttpClient& m_http;
    const Clock& m_clock;
    UploadOptions m_options;
    std::mt19937_64 m_rng;
};

} // namespace edsync::edfi
