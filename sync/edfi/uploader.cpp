#include "sync/edfi/uploader.hpp"

#include <span>

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

ApiResult<RoundStats> Uploader::runRound(Database& db, std::optional<std::int64_t> dueByUnixMs) {
    RoundStats stats;
    // A token first: claiming rows we cannot send would only churn them.
    auto token = m_session.token();
    if (!token) return fail(token.error());
    std::string tokenUsed = *token;

    std::vector<outbox::Claim> claims;
    {
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, tx.error().describe(), std::nullopt});
        auto claimed = outbox::claimDue(db, dueByUnixMs.value_or(m_clock.unixMs()), m_options.batchSize);
        if (!claimed) return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, claimed.error().describe(), std::nullopt});
        if (auto s = tx->commit(); !s) return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, s.error().describe(), std::nullopt});
        claims = std::move(*claimed);
    }
    stats.claimed = static_cast<int>(claims.size());
    if (claims.empty()) return stats;

    std::optional<sqlite::Error> dbError;
    auto keep = [&dbError](sqlite::Status s) {
        if (!s && !dbError) dbError = s.error();
    };
    // Outcomes are kept here and saved together once the round is over (see
    // the end of this function).
    std::vector<std::pair<std::size_t, Disposition>> outcomes;  // claim index, outcome
    auto settle = [&outcomes](std::size_t claimIndex, Disposition d) { outcomes.emplace_back(claimIndex, std::move(d)); };
    const std::int64_t maxRetryAfter = m_options.backoff.cap.count();

    // Build requests; a resource name that cannot be a URL is refused locally.
    std::vector<transport::Request> requests;
    std::vector<std::size_t> sent;  // request index -> claim index
    for (std::size_t i = 0; i < claims.size(); ++i) {
        if (!isValidResourceName(claims[i].resource)) {
            Disposition d;
            d.verdict = Verdict::NeedsAttention;
            d.cause = "\"" + sanitizeText(claims[i].resource, 100) + "\" is not an Ed-Fi resource name";
            settle(i, std::move(d));
            continue;
        }
        requests.push_back(m_session.upsertRequest(claims[i].resource, claims[i].json, tokenUsed));
        sent.push_back(i);
    }

    std::vector<std::size_t> unauthorized;  // claim indexes
    std::vector<bool> settled(claims.size(), false);
    for (std::size_t i = 0; i < claims.size(); ++i) settled[i] = true;
    for (std::size_t ci : sent) settled[ci] = false;
    auto onDone = [&](std::size_t index, transport::Outcome&& outcome) {
        if (index >= sent.size() || settled[sent[index]]) return;  // a transport reporting twice
        settled[sent[index]] = true;
        if (outcome) {
            if (auto offset = clockOffsetMs(*outcome, m_clock.unixMs())) stats.clockOffsetMs = offset;
        }
        Disposition d = classifyUpsert(outcome, m_clock.unixMs(), maxRetryAfter);
        if (d.verdict == Verdict::Unauthorized) {
            unauthorized.push_back(sent[index]);  // counted once its final outcome is recorded
            return;
        }
        if (d.verdict == Verdict::Synced) m_session.tokenAccepted();
        settle(sent[index], std::move(d));
    };
    m_http.perform(requests, onDone);

    if (!unauthorized.empty()) {
        // The token died (expired early, revoked, server restarted): one new
        // token and one resend; if that is refused too, back off.
        m_session.tokenRejected(tokenUsed);
        auto fresh = m_session.token();
        if (!fresh) {
            for (std::size_t ci : unauthorized) {
                Disposition d;
                d.verdict = Verdict::RetryLater;
                d.httpStatus = 401;
                d.cause = "HTTP 401, and no new token: " + fresh.error().describe();
                settle(ci, std::move(d));
            }
        } else {
            ++stats.tokenRefreshes;
            requests.clear();
            sent.clear();
            for (std::size_t ci : unauthorized) {
                requests.push_back(m_session.upsertRequest(claims[ci].resource, claims[ci].json, *fresh));
                sent.push_back(ci);
            }
            bool refusedAgain = false;
            for (std::size_t ci : sent) settled[ci] = false;
            m_http.perform(requests, [&](std::size_t index, transport::Outcome&& outcome) {
                if (index >= sent.size() || settled[sent[index]]) return;
                settled[sent[index]] = true;
                Disposition d = classifyUpsert(outcome, m_clock.unixMs(), maxRetryAfter);
                if (d.verdict == Verdict::Unauthorized) {
                    refusedAgain = true;
                    d.verdict = Verdict::RetryLater;
                    d.cause = "HTTP 401 again with a new token; waiting before asking for another";
                }
                if (d.verdict == Verdict::Synced) m_session.tokenAccepted();
                settle(sent[index], std::move(d));
            });
            if (refusedAgain) m_session.refreshDidNotHelp();
        }
    }

    // A transport that never reported some request must not strand its row in flight.
    for (std::size_t i = 0; i < claims.size(); ++i) {
        if (settled[i]) continue;
        Disposition d;
        d.verdict = Verdict::RetryLater;
        d.immediate = true;
        d.cause = "no outcome was reported for the request";
        settle(i, std::move(d));
    }

    // Every outcome of the round in ONE transaction: one fsync per round
    // instead of one per record, which capped a backlog drain near the disk's
    // fsync rate. Until it commits the rows stay claimed; after a crash the
    // next start hands them back and they are sent again, which an Ed-Fi
    // upsert makes harmless (at-least-once delivery, exactly-once effect).
    // The transaction opens only now, never across network waits, so the
    // kiosk's own writes are not held up by a slow server.
    if (!outcomes.empty()) {
        auto tx = sqlite::Transaction::begin(db);
        if (!tx) {
            keep(edsync::fail(tx.error()));
        } else {
            for (const auto& [claimIndex, d] : outcomes) keep(record(db, claims[claimIndex], d, stats));
            if (!dbError) keep(tx->commit());
            // On an error the transaction rolls back as it goes out of scope.
        }
    }

    if (dbError) {
        // Rows whose outcome could not be saved stay claimed; hand them back.
        (void)outbox::releaseInFlight(db);
        return fail(ApiError{ApiError::Kind::Database, std::nullopt, 0, dbError->describe(), std::nullopt});
    }
    return stats;
}

} // namespace edsync::edfi
