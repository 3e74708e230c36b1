#include "sync/edfi/uploader.hpp"

#include <algorithm>
#include <deque>
#include <span>
#include <unordered_map>

namespace edsync::edfi {

namespace {

std::string problemText(const transport::Response& response, std::string_view fallback) {
    std::string head = "HTTP " + std::to_string(response.status);
    auto problem = parseProblemDetails(response.body);
    if (problem) {
        std::string summary = problem->summary();
        if (!summary.empty()) return head + ": " + summary;
    }
    return head + ": " + std::string(fallback);
}

std::optional<std::int64_t> retryAfter(const transport::Response& r, std::int64_t now, std::int64_t maxMs) {
    auto value = r.header("retry-after");
    if (!value) return std::nullopt;
    return parseRetryAfterMs(*value, now, maxMs);
}

} // namespace

Disposition classifyUpsert(const transport::Outcome& outcome, std::int64_t nowUnixMs, std::int64_t maxRetryAfterMs) {
    Disposition d;
    if (!outcome) {
        const auto& err = outcome.error();
        d.verdict = Verdict::RetryLater;
        if (err.kind == transport::FailureKind::Cancelled) {
            d.immediate = true;
            d.cause = "stopped before the server answered";
        } else {
            d.noResponse = true;
            d.cause = err.describe();
        }
        return d;
    }
    const transport::Response& r = *outcome;
    const int s = r.status;
    d.httpStatus = s;
    if (s >= 200 && s < 300) {
        d.verdict = Verdict::Synced;
        return d;
    }
    if (s == 401) {
        d.verdict = Verdict::Unauthorized;
        d.cause = "HTTP 401: the access token was refused";
        return d;
    }
    // Worth waiting for: conflicts and unresolved references clear up once the
    // referenced record arrives; 429/5xx are the server's load or health.
    if (s == 408 || s == 409 || s == 412 || s == 423 || s == 425 || s == 429 || s >= 500 || s < 200 || (s >= 300 && s < 400)) {
        d.verdict = Verdict::RetryLater;
        d.retryAfterMs = retryAfter(r, nowUnixMs, maxRetryAfterMs);
        if (s == 409) d.cause = problemText(r, "conflict or missing reference; will retry");
        else if (s == 429) d.cause = "HTTP 429: the server asked us to slow down";
        else d.cause = "HTTP " + std::to_string(s) + ": the server could not take the record now";
        return d;
    }
    // 400 validation, 403 authorization/namespace, 404 no such resource, 413, 415, 422 ...:
    // the same request will be refused again. Keep the server's own explanation.
    d.verdict = Verdict::NeedsAttention;
    if (s == 400) d.cause = problemText(r, "the server refused the record as invalid");
    else if (s == 403) d.cause = problemText(r, "this kiosk's key is not allowed to write that record");
    else if (s == 404) d.cause = problemText(r, "the server does not offer this resource");
    else d.cause = problemText(r, "the server refused the record");
    return d;
}

Uploader::Uploader(Session& session, transport::HttpClient& http, const Clock& clock, UploadOptions options, std::uint64_t seed)
    : m_session(session), m_http(http), m_clock(clock), m_options(options), m_rng(seed) {
    if (m_options.batchSize < 1) m_options.batchSize = 1;
    if (m_options.saveEvery < 1) m_options.saveEvery = 1;
    if (m_options.offlineAfter < 1) m_options.offlineAfter = 1;
}

sqlite::Status Uploader::record(Database& db, const outbox::Claim& claim, const Disposition& d, RoundStats& stats) {
    if (d.httpStatus) ++stats.answered;
    if (d.noResponse) ++stats.noResponse;
    switch (d.verdict) {
    case Verdict::Synced:
        ++stats.synced;
        return outbox::acknowledge(db, claim.resource, claim.naturalKey, claim.version);
    case Verdict::NeedsAttention:
        ++stats.attention;
        stats.lastCause = d.cause;
        return outbox::needsAttention(db, claim.resource, claim.naturalKey, claim.version, d.httpStatus.value_or(0), d.cause);
    case Verdict::RetryLater:
    case Verdict::Unauthorized: {
        ++stats.retried;
        if (!d.immediate) stats.lastCause = d.cause;
        const std::int64_t now = m_clock.unixMs();
        const std::int64_t at = d.immediate ? now : retryAtUnixMs(m_options.backoff, claim.attempts, d.retryAfterMs, now, m_rng);
        return outbox::retryLater(db, claim.resource, claim.naturalKey, claim.version, at, d.httpStatus, d.cause);
    }
    }
    return {};
}

// One drain's state. Everything runs on the caller's thread: the transport
// calls next() whenever a slot is free and done() as each answer arrives.
struct Uploader::Run {
    struct Entry {
        outbox::Claim claim;
        bool resentAfter401 = false;
    };

    Uploader& up;
    Database& db;
    const DrainOptions& options;
    RoundStats stats;
    std::string token;

    std::deque<Entry> queue;                            // claimed, not yet sent
    std::unordered_map<std::size_t, Entry> inFlight;    // stream index -> entry
    std::size_t handedOut = 0;                          // requests given to the current stream
    std::vector<std::pair<outbox::Claim, Disposition>> unsaved;  // outcomes waiting for the next save
    std::vector<Entry> authRetry;                       // answered 401 with the first token
    int taken = 0;                                      // rows taken from the outbox
    bool dry = false;                                   // nothing more is due (or the limit is reached)
    int noAnswerRun = 0;
    int refreshes = 0;
    std::int64_t lastSaveSteadyMs = 0;
    std::optional<sqlite::Error> dbError;

    // Reasons to hand out no more requests in this stream.
    bool pausedFor401 = false;
    bool renewToken = false;
    bool refusedAgain = false;

    Run(Uploader& u, Database& d, const DrainOptions& o) : up(u), db(d), options(o) {}

    bool halted() const {
        return pausedFor401 || renewToken || refusedAgain || stats.noAnswerStreak || stats.cancelled || dbError.has_value();
    }

    void settle(const outbox::Claim& claim, Disposition d) { unsaved.emplace_back(claim, std::move(d)); }

    // One transaction: the outcomes so far and, when asked, the next chunk of claims.
    void save(bool claimMore) {
        if (dbError) return;
        int want = 0;
        if (claimMore && !dry) {
            want = up.m_options.batchSize;
            if (options.maxRecords) want = std::min(want, *options.maxRecords - taken);
            if (want <= 0) {
                dry = true;
                want = 0;
            }
        }
        if (unsaved.empty() && want == 0) return;
        auto fault = [&](const sqlite::Error& e) {
            dbError = e;
            unsaved.clear();  // rolled back: those rows stay claimed and go back to the queue at the end
        };
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) return fault(tx.error());
        for (const auto& [claim, d] : unsaved)
            if (auto s = up.record(db, claim, d, stats); !s) return fault(s.error());
        std::vector<outbox::Claim> claimed;
        if (want > 0) {
            auto c = outbox::claimDue(db, options.dueByUnixMs.value_or(up.m_clock.unixMs()), want);
            if (!c) return fault(c.error());
            claimed = std::move(*c);
        }
        if (auto s = tx->commit(); !s) return fault(s.error());
        const bool savedOutcomes = !unsaved.empty();
        unsaved.clear();
        lastSaveSteadyMs = up.m_clock.steadyMs();
        if (want > 0) {
            if (claimed.empty()) dry = true;
            taken += static_cast<int>(claimed.size());
            for (auto& c : claimed) queue.push_back(Entry{std::move(c), false});
        }
        if (savedOutcomes && options.onSaved) options.onSaved(stats);
    }

    std::optional<transport::Request> next() {
        for (;;) {
            if (halted()) return std::nullopt;
            if (!up.m_session.tokenStillValid(token)) {
                renewToken = true;  // renewed between streams: token() may need the network
                return std::nullopt;
            }
            // The queue ran out: save what has arrived and claim the next chunk together.
            if (queue.empty()) save(/*claimMore=*/true);
            if (queue.empty() || dbError) return std::nullopt;
            Entry e = std::move(queue.front());
            queue.pop_front();
            if (!e.resentAfter401) ++stats.claimed;
            if (!isValidResourceName(e.claim.resource)) {
                // Refused locally: a resource name that cannot be a URL.
                Disposition d;
                d.verdict = Verdict::NeedsAttention;
                d.cause = "\"" + sanitizeText(e.claim.resource, 100) + "\" is not an Ed-Fi resource name";
                settle(e.claim, std::move(d));
                continue;
            }
            transport::Request request = up.m_session.upsertRequest(e.claim.resource, e.claim.json, token);
            inFlight.emplace(handedOut++, std::move(e));
            return request;
        }
    }

    void done(std::size_t index, transport::Outcome&& outcome) {
        auto it = inFlight.find(index);
        if (it == inFlight.end()) return;  // a transport reporting twice, or an index it was never given
        Entry e = std::move(it->second);
        inFlight.erase(it);
        const std::int64_t now = up.m_clock.unixMs();
        if (outcome) {
            if (auto offset = clockOffsetMs(*outcome, now)) stats.clockOffsetMs = offset;
        }
        Disposition d = classifyUpsert(outcome, now, up.m_options.backoff.cap.count());
        if (d.verdict == Verdict::Unauthorized) {
            if (refreshes == 0 && !e.resentAfter401) {
                // The token died (expired early, revoked, server restarted): send
                // nothing more with it; once the stream is empty, one new token.
                authRetry.push_back(std::move(e));
                pausedFor401 = true;
                noAnswerRun = 0;
                return;
            }
            // A fresh token was refused too: back off rather than burn tokens.
            refusedAgain = true;
            d.verdict = Verdict::RetryLater;
            d.cause = "HTTP 401 again with a new token; waiting before asking for another";
        }
        if (d.verdict == Verdict::Synced) up.m_session.tokenAccepted();
        if (d.httpStatus) noAnswerRun = 0;
        if (d.noResponse && ++noAnswerRun >= up.m_options.offlineAfter) stats.noAnswerStreak = true;
        if (d.immediate) stats.cancelled = true;
        settle(e.claim, std::move(d));
        if (static_cast<int>(unsaved.size()) >= up.m_options.saveEvery ||
            up.m_clock.steadyMs() - lastSaveSteadyMs >= up.m_options.saveInterval.count())
            save(/*claimMore=*/false);
    }

    // A transport that never reported some request must not strand its row in flight.
    void settleUnreported() {
        for (auto& [index, e] : inFlight) {
            Disposition d;
            d.verdict = Verdict::RetryLater;
            d.immediate = true;
            d.cause = "no outcome was reported for the request";
            settle(e.claim, std::move(d));
        }
        inFlight.clear();
    }

    void stream() {
        handedOut = 0;
        up.m_http.performStream([this] { return next(); },
                                [this](std::size_t index, transport::Outcome&& outcome) { done(index, std::move(outcome)); });
        settleUnreported();
    }

    // The last save: every outcome, and every claim never sent handed back.
    void finish() {
        if (dbError) return;
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) {
            dbError = tx.error();
            return;
        }
        for (const auto& [claim, d] : unsaved) {
            if (auto s = up.record(db, claim, d, stats); !s) {
                dbError = s.error();
                return;
            }
        }
        for (const Entry& e : queue) {
            if (auto s = outbox::unclaim(db, e.claim.resource, e.claim.naturalKey, e.claim.version); !s) {
                dbError = s.error();
                return;
            }
        }
        if (auto s = tx->commit(); !s) {
            dbError = s.error();
            return;
        }
        const bool savedOutcomes = !unsaved.empty();
        unsaved.clear();
        queue.clear();
        if (savedOutcomes && options.onSaved) options.onSaved(stats);
    }
};

ApiResult<RoundStats> Uploader::drain(Database& db, const DrainOptions& options) {
    // A token first: claiming rows we cannot send would only churn them.
    auto first = m_session.token();
    if (!first) return fail(first.error());

    Run run(*this, db, options);
    run.token = *first;
    run.lastSaveSteadyMs = m_clock.steadyMs();
    for (;;) {
        run.stream();
        if (run.dbError || run.stats.cancelled || run.stats.noAnswerStreak || run.refusedAgain) break;
        if (!run.authRetry.empty()) {
            // One new token and one resend of what the old one was refused for.
            run.pausedFor401 = false;
            m_session.tokenRejected(run.token);
            auto fresh = m_session.token();
            if (!fresh) {
                for (Run::Entry& e : run.authRetry) {
                    Disposition d;
                    d.verdict = Verdict::RetryLater;
                    d.httpStatus = 401;
                    d.cause = "HTTP 401, and no new token: " + fresh.error().describe();
                    run.settle(e.claim, std::move(d));
                }
                run.authRetry.clear();
                break;
            }
            ++run.stats.tokenRefreshes;
            ++run.refreshes;
            run.token = *fresh;
            for (auto it = run.authRetry.rbegin(); it != run.authRetry.rend(); ++it) {
                it->resentAfter401 = true;
                run.queue.push_front(std::move(*it));
            }
            run.authRetry.clear();
            continue;
        }
        if (run.renewToken) {
            // The token is near its end during a long drain: renew it between streams.
            run.renewToken = false;
            if (run.handedOut == 0) break;  // not even a fresh token lasted one request: let the caller look
            auto fresh = m_session.token();
            if (!fresh) break;  // the caller's next drain reports why
            run.token = *fresh;
            continue;
        }
        break;  // nothing more is due
    }
    if (run.refusedAgain) m_session.refreshDidNotHelp();
    // Stopped before their resend (interrupt, offline, a database error): back to the queue.
    for (auto it = run.authRetry.rbegin(); it != run.authRetry.rend(); ++it) run.queue.push_front(std::move(*it));
    run.authRetry.clear();
    run.finish();

    if (run.dbError) {
        // Rows whose outcome could not be saved stay claimed; hand them back.
        (void)outbox::releaseInFlight(db);
        return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, run.dbError->describe(), std::nullopt});
    }
    return run.stats;
}

ApiResult<RoundStats> Uploader::runRound(Database& db, std::optional<std::int64_t> dueByUnixMs) {
    DrainOptions options;
    options.dueByUnixMs = dueByUnixMs;
    options.maxRecords = m_options.batchSize;
    return drain(db, options);
}

} // namespace edsync::edfi
