#pragma once
// Drains the outbox as a stream: claims due rows ahead in chunks (held in
// memory), keeps the transport's requests in flight all the time (a slot that
// answers is refilled at once, never waiting for a slower answer), POSTs each
// row's JSON (an Ed-Fi upsert on the natural key) or, for a deletion, DELETEs
// the record (deletion.hpp: by its id, or found by its key first), and records every outcome —
// acknowledge the version sent, retry later with backoff, or needs attention
// with the server's own words. Outcomes are saved in batched transactions
// (every few ms or every N outcomes) and always before the drain returns.
#include "sync/edfi/deletion.hpp"
#include "sync/edfi/session.hpp"
#include "sync/edfi/write_guard.hpp"
#include "sync/outbox/outbox.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
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
    std::string cause;                         // what the proctor or technician sees (may quote the server)
    ServerWords words;                         // the server's own words, parsed from any body shape
    std::optional<std::string> resourceId;     // a 2xx upsert's Location: the server's id for the record
    std::optional<std::string> etag;           // a 2xx upsert's ETag: the If-Match of the next write
    std::optional<std::int64_t> retryAfterMs;  // the server's Retry-After
    bool noResponse = false;                   // failed without any HTTP answer
    bool immediate = false;                    // retry at once (we stopped, not the server)
    bool authPause = false;                    // our credentials were refused: the session's auth back-off decides, not the record's attempts
    bool writeUnanswered = false;              // the request was a write, and may have reached the server
    bool writeMayLandLate = false;             // a copy of the write may be at the server, or reach it later (unanswered, sent twice, or not a 2xx)
};

// How one upsert outcome should change its outbox row.
Disposition classifyUpsert(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs);
// A DELETE by id: 2xx, and 404 (already gone), are done; the rest as for an upsert.
Disposition classifyDelete(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs);

// One line for a journal about a failed attempt: the HTTP status, the
// problem type and the correlationId only (never the words, which may quote
// a student ID). Empty when the server gave no answer.
std::string journalLine(std::optional<int> httpStatus, std::string_view problemType, std::string_view correlationId);

struct UploadOptions {
    int batchSize = 32;  // rows claimed per claim transaction, taken ahead and held in memory
    BackoffPolicy backoff;
    int saveEvery = 32;                            // outcomes saved per transaction ...
    std::chrono::milliseconds saveInterval{20};    // ... or at least this often while answers arrive
    int offlineAfter = 8;  // this many requests in a row with no answer at all: the network is gone
    // Called inside the transaction that saves an upsert's acknowledgement,
    // with the JSON the server took, its id and ETag: how a site shares what
    // reached the state (the site log), so the next uploader guards its
    // writes with them. An error rolls the save back.
    std::function<sqlite::Status(Database&, const outbox::Claim&, std::string_view resourceId, std::string_view etag)>
        onAcknowledged = nullptr;
    // Called inside the transaction that saves a write (an upsert or a
    // deletion) sent whose answer was lost (it may have reached the state):
    // the site log shares that too, so the next uploader neither takes the
    // record for a stranger's, nor leaves the state holding it when the
    // site's picture has moved on, nor takes a record the deletion may have
    // removed for still there.
    std::function<sqlite::Status(Database&, const outbox::Claim&)> onUnanswered = nullptr;
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
    bool noAnswerStreak = false;  // stopped after `offlineAfter` requests in a row got no answer
    bool linkDown = false;        // ... or because the transport found the link dead (LinkDown)
    bool cancelled = false;       // interrupt(): unsent claims went back to the queue

    // Every request failed without an answer, or the last `offlineAfter` did:
    // the network is gone.
    bool offline() const { return (noResponse > 0 && answered == 0) || noAnswerStreak; }
};

struct DrainOptions {
    // Only rows due by then (a CLI pass: those due when it began). Default:
    // the clock at each claim, so rows committed during the drain go too.
    std::optional<std::int64_t> dueByUnixMs;
    // Take no more than this many rows (runRound); default: until none is due.
    std::optional<int> maxRecords;
    // After each save, on the calling thread, with the totals so far (for a
    // status screen during a long drain). It must not use the HttpClient.
    std::function<void(const RoundStats& total)> onSaved;
};

class Uploader {
public:
    Uploader(Session& session, transport::HttpClient& http, const Clock& clock, UploadOptions options,
             std::uint64_t seed = std::random_device{}());

    // Sends every due row, `concurrency` at a time without a barrier, until
    // none is due, the network is gone (`offlineAfter` no-answers in a row),
    // a fresh token is refused, or interrupt(). A token first (cached); one
    // 401 triggers one token refresh and one resend of the rows refused.
    // Every outcome is saved before it returns; claims never sent go back
    // to the queue. Fails without claiming anything when no token can be had.
    ApiResult<RoundStats> drain(Database& db, const DrainOptions& options = {});

    // A bounded drain: at most batchSize rows due by `dueByUnixMs` (default: now).
    ApiResult<RoundStats> runRound(Database& db, std::optional<std::int64_t> dueByUnixMs = std::nullopt);

private:
    struct Run;  // one drain's state (uploader.cpp)
    sqlite::Status record(Database& db, outbox::Uploads& out, const outbox::Claim& claim, const Disposition& d, RoundStats& stats);

    Session& m_session;
    transport::HttpClient& m_http;
    const Clock& m_clock;
    UploadOptions m_options;
    std::mt19937_64 m_rng;
};

} // namespace edsync::edfi
