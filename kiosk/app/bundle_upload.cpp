#include "kiosk/app/bundle_upload.hpp"

#include "sync/edfi/clock.hpp"
#include "sync/edfi/uploader.hpp"
#include "sync/transport/curl_transport.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace kiosk::app {

namespace {

constexpr std::size_t kBatch = 32;
constexpr int kRounds = 3;                        // tries per record within one import
constexpr std::int64_t kMaxRetryAfterMs = 10'000;  // longer waits: run import-pending again

} // namespace

UploadTally uploadBundle(const StateConfig& state, const Credentials& credentials, const std::vector<BundleRecord>& records,
                         edsync::edfi::TokenStore* tokens) {
    using edsync::edfi::ApiError;
    using edsync::edfi::Verdict;
    UploadTally tally;
    edsync::transport::TransportOptions options;
    options.caBundle = state.caBundle;
    options.maxInFlight = 8;
    auto made = edsync::transport::CurlTransport::create(std::move(options));
    if (!made) {
        tally.fatal = edsync::edfi::fromTransport(made.error());
        return tally;
    }
    edsync::transport::CurlTransport http = std::move(*made);
    edsync::edfi::SystemClock clock;
    edsync::edfi::Session session(state.baseUrl, edsync::edfi::Credentials{credentials.key, credentials.secret}, http, clock);
    session.setRoute(state.route);
    session.setTokenStore(tokens);
    if (auto d = session.discover(); !d && d.error().kind == ApiError::Kind::Offline) {
        tally.fatal = d.error();
        return tally;
    }

    for (const auto& r : records)
        if (!edsync::edfi::isValidResourceName(r.resource)) {
            ++tally.refused;
            tally.problems.push_back({&r, true, std::nullopt, {}, "not an Ed-Fi resource name; skipped"});
        }
    std::vector<const BundleRecord*> queue;
    for (const auto& r : records)
        if (edsync::edfi::isValidResourceName(r.resource)) queue.push_back(&r);

    for (int round = 0; round < kRounds && !queue.empty(); ++round) {
        std::vector<const BundleRecord*> again;
        std::vector<edsync::edfi::Disposition> causes;
        std::int64_t waitMs = 0;
        for (std::size_t start = 0; start < queue.size(); start += kBatch) {
            auto token = session.token();
            if (!token) {
                if (tally.stored == 0 && (token.error().kind == ApiError::Kind::AuthRejected || token.error().kind == ApiError::Kind::Offline)) {
                    tally.fatal = token.error();
                    return tally;
                }
                for (std::size_t i = start; i < queue.size(); ++i) {
                    again.push_back(queue[i]);
                    edsync::edfi::Disposition d;
                    d.httpStatus = token.error().httpStatus;
                    d.cause = token.error().describe();
                    causes.push_back(std::move(d));
                }
                break;
            }
            const std::size_t end = std::min(queue.size(), start + kBatch);
            std::vector<edsync::transport::Request> batch;
            for (std::size_t i = start; i < end; ++i) batch.push_back(session.upsertRequest(queue[i]->resource, queue[i]->json, *token));
            auto outcomes = http.performAll(batch);
            bool tokenRefused = false;
            for (std::size_t i = 0; i < outcomes.size(); ++i) {
                const BundleRecord& r = *queue[start + i];
                auto d = edsync::edfi::classifyUpsert(outcomes[i], clock.unixMs(), kMaxRetryAfterMs);
                switch (d.verdict) {
                case Verdict::Synced: ++tally.stored; break;
                case Verdict::NeedsAttention:
                    ++tally.refused;
                    tally.problems.push_back({&r, true, d.httpStatus, d.words, d.cause});
                    break;
                case Verdict::Unauthorized:
                    tokenRefused = true;
                    again.push_back(&r);
                    d.cause = "the token was refused (401)";
                    causes.push_back(std::move(d));
                    break;
                case Verdict::RetryLater:
                    again.push_back(&r);
                    if (d.retryAfterMs) waitMs = std::max(waitMs, *d.retryAfterMs);
                    causes.push_back(std::move(d));
                    break;
                }
            }
            if (tokenRefused) session.tokenRejected(*token);
            else session.tokenAccepted();
        }
        if (again.empty()) break;
        if (round + 1 == kRounds) {
            tally.retry = static_cast<int>(again.size());
            for (std::size_t i = 0; i < again.size(); ++i)
                tally.problems.push_back({again[i], false, causes[i].httpStatus, causes[i].words, causes[i].cause});
            break;
        }
        // A short pause before the next round (the server's Retry-After up to 10 s).
        std::this_thread::sleep_for(std::chrono::milliseconds(std::max<std::int64_t>(waitMs, 500 * (round + 1))));
        queue = std::move(again);
    }
    return tally;
}

} // namespace kiosk::app
